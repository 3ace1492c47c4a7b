import Foundation

/// Formats durations exactly as Python carbontracker's `convert_to_timestring` does.
///
/// ```swift
/// TimeString.format(seconds: 3725.4)                          // "1:02:05"
/// TimeString.format(seconds: 0.4, withHundredths: true)       // "0:00:00.40"
/// ```
///
/// Whole seconds round half to even (Python's `round`); hundredths round the binary value
/// correctly (Python's `%05.2f`), and 59.995 s becomes the next minute in both cases.
public enum TimeString {
    /// Formats a duration as `H:MM:SS` or `H:MM:SS.ss`.
    /// - Parameters:
    ///   - seconds: The duration in seconds; negative values get a leading `-`.
    ///   - withHundredths: Whether to keep two decimals of seconds.
    /// - Returns: The formatted duration.
    public static func format(seconds: Double, withHundredths: Bool = false) -> String {
        guard seconds.isFinite else { return seconds.isNaN ? "nan" : (seconds < 0 ? "-inf" : "inf") }
        let negative = seconds < 0
        let magnitude = abs(seconds)
        var (minutes, secs) = divmod60(magnitude)
        let body: String
        if withHundredths {
            if String(format: "%05.2f", secs).hasPrefix("60") {
                minutes += 1
                secs = 0
            }
            let (hours, mins) = split(minutes)
            body = hours + ":" + twoDigits(mins) + ":" + String(format: "%05.2f", secs)
        } else {
            var whole = secs.rounded(.toNearestOrEven)
            if whole == 60 {
                minutes += 1
                whole = 0
            }
            let (hours, mins) = split(minutes)
            body = hours + ":" + twoDigits(mins) + ":" + twoDigits(Int(whole))
        }
        return negative ? "-" + body : body
    }

    /// Whole hours as Python's `int(h)` prints them (every digit, even beyond `Int`), and the minutes left.
    private static func split(_ minutes: Double) -> (hours: String, minutes: Int) {
        let (hours, rest) = divmod60(minutes)
        // Past 2^63 hours no `Int` holds them: "%.0f" prints the double's exact integer value.
        return (hours < 1e18 ? String(Int(hours)) : String(format: "%.0f", hours), Int(rest))
    }

    /// Python's `divmod(value, 60)` for a finite `value >= 0`: the remainder is exact (`fmod`), so it
    /// lies in `0 ..< 60` however large `value` is, and the quotient is a whole number.
    private static func divmod60(_ value: Double) -> (quotient: Double, remainder: Double) {
        let remainder = value.truncatingRemainder(dividingBy: 60)
        let division = (value - remainder) / 60
        var quotient = division.rounded(.down)
        if division - quotient > 0.5 { quotient += 1 }
        return (quotient, remainder)
    }

    private static func twoDigits(_ value: Int) -> String { value < 10 ? "0\(value)" : "\(value)" }
}
