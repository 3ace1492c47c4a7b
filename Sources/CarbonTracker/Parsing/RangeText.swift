import Foundation

/// Bounds written for people: `4.10–4.90`, with as many decimals as show the value to three
/// significant digits and the width of the range to two, so a narrow range (a counter) and a wide one
/// (an estimate) look different.
enum RangeText {
    /// `low–high` (an en dash between), both with the same number of decimals.
    /// - Parameter range: The bounds.
    /// - Returns: The text; each bound in Python's `%.16f` when a bound is not finite.
    static func bounds(_ range: ClosedRange<Double>) -> String {
        let digits = decimals(range)
        return fixed(range.lowerBound, digits) + "\u{2013}" + fixed(range.upperBound, digits)
    }

    /// The decimals ``bounds(_:)`` uses, from 0 to 16.
    static func decimals(_ range: ClosedRange<Double>) -> Int {
        let magnitude = max(abs(range.lowerBound), abs(range.upperBound))
        guard magnitude.isFinite, magnitude > 0 else { return 2 }
        var digits = 2 - Int(log10(magnitude).rounded(.down))
        let width = range.upperBound - range.lowerBound
        if width > 0 { digits = max(digits, 1 - Int(log10(width).rounded(.down))) }
        return min(16, max(0, digits))
    }

    private static func fixed(_ value: Double, _ digits: Int) -> String {
        String(format: "%.*f", digits, value)
    }
}
