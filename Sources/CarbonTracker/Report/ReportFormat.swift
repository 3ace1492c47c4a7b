import Foundation

/// Text for the HTML report: escaping of log text and readable quantities.
enum ReportFormat {
    /// Escapes text for HTML and SVG content and attribute values.
    static func escape<S: StringProtocol>(_ text: S) -> String {
        var result = ""
        result.reserveCapacity(text.utf8.count)
        for character in text {
            switch character {
            case "&": result += "&amp;"
            case "<": result += "&lt;"
            case ">": result += "&gt;"
            case "\"": result += "&quot;"
            case "'": result += "&#39;"
            default: result.append(character)
            }
        }
        return result
    }

    /// A number with about `significant` significant digits, without exponent for everyday magnitudes.
    static func number(_ value: Double, significant: Int = 4) -> String {
        guard value.isFinite else { return value.isNaN ? "n/a" : (value > 0 ? "∞" : "-∞") }
        if value == 0 { return "0" }
        let magnitude = abs(value)
        if magnitude >= 1e9 || magnitude < 1e-4 {
            return String(format: "%.\(max(0, significant - 1))e", value)
        }
        let digitsBeforePoint = Int(log10(magnitude).rounded(.down)) + 1
        let decimals = max(0, significant - digitsBeforePoint)
        var text = String(format: "%.\(decimals)f", value)
        if text.contains(".") {
            while text.hasSuffix("0") { text.removeLast() }
            if text.hasSuffix(".") { text.removeLast() }
        }
        return text
    }

    /// Energy in the largest unit that keeps the value at least 1: kWh, Wh or mWh.
    static func energy(kilowattHours: Double) -> String {
        scaled(kilowattHours, units: [(1, "kWh"), (1e-3, "Wh"), (1e-6, "mWh")])
    }

    /// CO2-equivalent in t, kg, g or mg.
    static func mass(grams: Double) -> String {
        scaled(grams, units: [(1e6, "t"), (1e3, "kg"), (1, "g"), (1e-3, "mg")])
    }

    /// The unit of `units` (largest first) for which `value` is at least 1, and the scaled value.
    static func unit(for value: Double, units: [(factor: Double, name: String)]) -> (
        factor: Double, name: String
    ) {
        units.first { abs(value) >= $0.factor } ?? units[units.count - 1]
    }

    private static func scaled(_ value: Double, units: [(factor: Double, name: String)]) -> String {
        let chosen = unit(for: value, units: units)
        return "\(number(value / chosen.factor)) \(chosen.name)"
    }

    /// `1 h 2 min 5.3 s`, `2.01 s`.
    static func duration(seconds: Double) -> String {
        guard seconds.isFinite else { return "n/a" }
        if seconds < 0 { return "-" + duration(seconds: -seconds) }
        if seconds < 60 { return "\(number(seconds, significant: 3)) s" }
        // Beyond a million years minutes and seconds mean nothing, and `Int` would overflow at 2^63 s.
        if seconds >= 3.2e13 { return "\(number(seconds / 3600)) h" }
        let whole = Int(seconds.rounded())
        let (hours, minutes, secs) = (whole / 3600, (whole % 3600) / 60, whole % 60)
        return hours > 0 ? "\(hours) h \(minutes) min \(secs) s" : "\(minutes) min \(secs) s"
    }
}
