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
package enum TimeString {
    /// Formats a duration as `H:MM:SS` or `H:MM:SS.ss`.
    /// - Parameters:
    ///   - seconds: The duration in seconds; negative values get a leading `-`.
    ///   - withHundredths: Whether to keep two decimals of seconds.
    /// - Returns: The formatted duration.
    package static func format(seconds: Double, withHundredths: Bool = false) -> String {
        var bytes: [UInt8] = []
        append(&bytes, seconds: seconds, withHundredths: withHundredths)
        return String(decoding: bytes, as: UTF8.self)
    }

    /// The most bytes ``write(_:seconds:withHundredths:)`` writes: a sign, hours as `%.0f` writes the
    /// largest double's (at most 309 digits), then `:MM:SS.ss`.
    package static let maximumLength = 320

    /// Appends ``format(seconds:withHundredths:)``'s text to `bytes`.
    package static func append(_ bytes: inout [UInt8], seconds: Double, withHundredths: Bool) {
        guard seconds.isFinite else {
            bytes.append(contentsOf: (seconds.isNaN ? "nan" : (seconds < 0 ? "-inf" : "inf")).utf8)
            return
        }
        if seconds < 0 { bytes.append(UInt8(ascii: "-")) }
        let (hours, minutes, units) = clock(abs(seconds), withHundredths: withHundredths)
        if hours < 1e9 {
            // The usual case, once per epoch: every part fits an Int; one copy from the stack.
            var storage: (UInt64, UInt64, UInt64) = (0, 0, 0)
            withUnsafeMutableBytes(of: &storage) { raw in
                let out = raw.baseAddress!.assumingMemoryBound(to: UInt8.self)
                let count = writeClock(
                    out, hours: Int(hours), minutes: Int(minutes), units: Int(units),
                    withHundredths: withHundredths)
                bytes.append(contentsOf: UnsafeBufferPointer(start: out, count: count))
            }
            return
        }
        appendWhole(&bytes, hours, width: 1)
        bytes.append(UInt8(ascii: ":"))
        appendWhole(&bytes, minutes, width: 2)
        bytes.append(UInt8(ascii: ":"))
        if withHundredths {
            let whole = (units / 100).rounded(.down)
            appendWhole(&bytes, whole, width: 2)
            bytes.append(UInt8(ascii: "."))
            appendWhole(&bytes, units - whole * 100, width: 2)
        } else {
            appendWhole(&bytes, units, width: 2)
        }
    }

    /// Writes ``format(seconds:withHundredths:)``'s text at `out`, which has room for
    /// ``maximumLength`` bytes: straight into place in the usual case (hours below 10^9), else through
    /// ``append(_:seconds:withHundredths:)``.
    /// - Parameters:
    ///   - out: Where to write.
    ///   - seconds: The duration in seconds.
    ///   - withHundredths: Whether to keep two decimals of seconds.
    /// - Returns: The number of bytes written.
    package static func write(_ out: UnsafeMutablePointer<UInt8>, seconds: Double, withHundredths: Bool)
        -> Int
    {
        if seconds.isFinite {
            let (hours, minutes, units) = clock(abs(seconds), withHundredths: withHundredths)
            if hours < 1e9 {
                let sign = seconds < 0 ? 1 : 0
                if sign == 1 { out.pointee = UInt8(ascii: "-") }
                return sign
                    &+ writeClock(
                        out + sign, hours: Int(hours), minutes: Int(minutes), units: Int(units),
                        withHundredths: withHundredths)
            }
        }
        var bytes: [UInt8] = []
        append(&bytes, seconds: seconds, withHundredths: withHundredths)
        let count = min(bytes.count, maximumLength)
        bytes.withUnsafeBufferPointer { out.update(from: $0.baseAddress!, count: count) }
        return count
    }

    /// Hours, minutes and the last unit shown (hundredths or seconds) of a finite `magnitude >= 0`,
    /// rounded as Python rounds them.
    private static func clock(_ magnitude: Double, withHundredths: Bool) -> (
        hours: Double, minutes: Double, units: Double
    ) {
        var (minutes, secs) = divmod60(magnitude)
        var units = withHundredths ? hundredths(secs) : secs.rounded(.toNearestOrEven)
        let unitsPerMinute: Double = withHundredths ? 6000 : 60
        if units >= unitsPerMinute {
            minutes += 1
            units = 0
        }
        let (hours, minutesLeft) = divmod60(minutes)
        return (hours, minutesLeft, units)
    }

    /// Writes `H:MM:SS` or `H:MM:SS.ss` (`units` in hundredths then) for `hours` below 10^9 at `out`.
    /// - Returns: The number of bytes written.
    private static func writeClock(
        _ out: UnsafeMutablePointer<UInt8>, hours: Int, minutes: Int, units: Int, withHundredths: Bool
    ) -> Int {
        let hourDigits = DecimalText.digitCount(UInt(hours))
        var rest = hours
        for index in stride(from: hourDigits &- 1, through: 0, by: -1) {
            out[index] = UInt8(ascii: "0") &+ UInt8(truncatingIfNeeded: rest % 10)
            rest /= 10
        }
        var index = hourDigits
        func two(_ value: Int) {
            out[index] = UInt8(ascii: "0") &+ UInt8(truncatingIfNeeded: value / 10)
            out[index &+ 1] = UInt8(ascii: "0") &+ UInt8(truncatingIfNeeded: value % 10)
            index &+= 2
        }
        out[index] = UInt8(ascii: ":")
        index &+= 1
        two(minutes)
        out[index] = UInt8(ascii: ":")
        index &+= 1
        if withHundredths {
            two(units / 100)
            out[index] = UInt8(ascii: ".")
            index &+= 1
            two(units % 100)
        } else {
            two(units)
        }
        return index
    }

    /// Python's `divmod(value, 60)` for a finite `value >= 0`: the remainder is exact (`fmod`), so it
    /// lies in `0 ..< 60` however large `value` is (`value - 60 × ⌊value / 60⌋` does not beyond 2^53,
    /// where it can even be negative), and the quotient is a whole number.
    private static func divmod60(_ value: Double) -> (quotient: Double, remainder: Double) {
        let remainder = value.truncatingRemainder(dividingBy: 60)
        let division = (value - remainder) / 60
        var quotient = division.rounded(.down)
        if division - quotient > 0.5 { quotient += 1 }
        return (quotient, remainder)
    }

    /// `value × 100` rounded to a whole number exactly as `%.2f` rounds the binary `value`: to nearest,
    /// ties to even, judged on the exact product (the multiplication's rounding error decides ties).
    static func hundredths(_ value: Double) -> Double {
        let product = value * 100
        let exactError = fusedError(value, product)
        let floor = product.rounded(.down)
        let fraction = product - floor
        if fraction == 0.5 {
            if exactError > 0 { return floor + 1 }
            if exactError < 0 { return floor }
            return floor.truncatingRemainder(dividingBy: 2) == 0 ? floor : floor + 1
        }
        return product.rounded(.toNearestOrEven)
    }

    /// The exact error `value × 100 − product` (an FMA gives it without rounding).
    private static func fusedError(_ value: Double, _ product: Double) -> Double {
        (-product).addingProduct(value, 100)
    }

    /// Appends a non-negative whole `value` zero-padded to `width` digits; huge values fall back to
    /// their shortest decimal form (`1e+20`), as no `Int` holds them.
    private static func appendWhole(_ bytes: inout [UInt8], _ value: Double, width: Int) {
        if value < 9.0e18 {
            LogTime.appendDigits(&bytes, Int(value), width: width)
        } else {
            bytes.append(contentsOf: String(format: "%.0f", value).utf8)
        }
    }
}
