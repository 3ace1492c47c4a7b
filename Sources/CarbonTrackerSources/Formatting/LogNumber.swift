import Foundation

/// Numbers in the standard log, written so Python's parser and `float()` read them.
///
/// Formatted by code we own (Swift's shortest round-trip `description`, which matches Python's `repr`
/// for these values), straight into byte buffers on the sampling thread's hot path.
package enum LogNumber {
    /// Python's `repr(float)` for ordinary magnitudes (`248.0`, `50.5`).
    package static func python(_ value: Double) -> String {
        value.description
    }

    /// One value as a number, several as numpy prints an array (`[12.5 30.0]`); rounded to micro-units
    /// so that floating-point noise does not show.
    static func list(_ values: [Double]) -> String {
        var bytes: [UInt8] = []
        appendList(&bytes, values[...])
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Whole seconds without a decimal point, as Python prints the integer 900.
    package static func seconds(_ value: Double) -> String {
        value == value.rounded() && abs(value) < 1e15 ? String(Int(value)) : python(value)
    }

    /// Appends ``list(_:)``'s text; `alwaysBrackets` writes `[x]` for a single value too.
    package static func appendList(
        _ bytes: inout [UInt8], _ values: ArraySlice<Double>, alwaysBrackets: Bool = false
    ) {
        let brackets = alwaysBrackets || values.count != 1
        if brackets { bytes.append(UInt8(ascii: "[")) }
        var first = true
        for value in values {
            if !first { bytes.append(UInt8(ascii: " ")) }
            first = false
            appendRounded(&bytes, value)
        }
        if brackets { bytes.append(UInt8(ascii: "]")) }
    }

    /// Appends `value` rounded to micro-units, in Python's `repr` form.
    static func appendRounded(_ bytes: inout [UInt8], _ value: Double) {
        DecimalText.append(&bytes, value, fractionDigits: 6)
    }

    /// `value` rounded to `1 / perUnit` (micro-units for 1e6), as the standard log rounds energies;
    /// `value` itself where scaling overflows.
    package static func rounded(_ value: Double, _ perUnit: Double) -> Double {
        let scaled = (value * perUnit).rounded() / perUnit
        return scaled.isFinite ? scaled : value
    }

    /// Appends a whole number in decimal.
    package static func appendInteger(_ bytes: inout [UInt8], _ value: Int) {
        LogTime.appendDigits(&bytes, value, width: 1)
    }

    /// `value` rounded to `digits` significant digits (1 to 15), whose shortest round-trip text then
    /// has at most that many: `significant(0.028426293447687608, 9)` is `0.0284262934`. Zero and
    /// non-finite values are returned as they are.
    package static func significant(_ value: Double, _ digits: Int) -> Double {
        guard value.isFinite, value != 0 else { return value }
        let exponent = decimalExponent(abs(value))
        let scale = digits - 1 - exponent
        // Dividing by an exact power of ten rounds once; multiplying by an inexact 10^-n would not.
        let rounded =
            scale >= 0
            ? (value * powerOfTen(scale)).rounded() / powerOfTen(scale)
            : (value / powerOfTen(-scale)).rounded() * powerOfTen(-scale)
        return rounded.isFinite ? rounded : value
    }

    /// The decimal exponent of `magnitude`'s leading digit (−2 for 0.0284), for a finite `magnitude > 0`:
    /// estimated from the binary exponent (log10(2) ≈ 0.30103) and corrected by comparisons, so that no
    /// `log10` is called per number.
    package static func decimalExponent(_ magnitude: Double) -> Int {
        var exponent = Int((Double(magnitude.exponent) * 0.30103).rounded(.down))
        if magnitude >= powerOfTen(exponent + 1) { exponent += 1 }
        if magnitude < powerOfTen(exponent) { exponent -= 1 }
        return exponent
    }

    /// 10^`exponent` as the nearest double (exact for 0...22), from a table for -32...32, else `pow`.
    package static func powerOfTen(_ exponent: Int) -> Double {
        abs(exponent) <= 32 ? powersOfTen[exponent + 32] : pow(10, Double(exponent))
    }

    private static let powersOfTen: [Double] = (-32...32).map { Double("1e\($0)") ?? .nan }
}
