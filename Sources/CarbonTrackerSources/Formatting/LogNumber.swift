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
    /// estimated from the binary exponent and corrected by comparisons, so that no
    /// `log10` is called per number.
    @inline(__always)
    package static func decimalExponent(_ magnitude: Double) -> Int {
        // ⌊e × log10(2)⌋ in integers (78913 / 2^18 ≈ 0.30103, exact for |e| < 1700).
        var exponent = (Int(magnitude.exponent) &* 78913) >> 18
        if magnitude >= powerOfTen(exponent + 1) { exponent += 1 }
        if magnitude < powerOfTen(exponent) { exponent -= 1 }
        return exponent
    }

    /// 10^`exponent` as the nearest double (exact for 0...22): a constant for -32...32 (a table the
    /// compiler builds, with no lazy global to check per call), else `pow`.
    @inline(__always)
    package static func powerOfTen(_ exponent: Int) -> Double {
        switch exponent {
        case -32: 1e-32
        case -31: 1e-31
        case -30: 1e-30
        case -29: 1e-29
        case -28: 1e-28
        case -27: 1e-27
        case -26: 1e-26
        case -25: 1e-25
        case -24: 1e-24
        case -23: 1e-23
        case -22: 1e-22
        case -21: 1e-21
        case -20: 1e-20
        case -19: 1e-19
        case -18: 1e-18
        case -17: 1e-17
        case -16: 1e-16
        case -15: 1e-15
        case -14: 1e-14
        case -13: 1e-13
        case -12: 1e-12
        case -11: 1e-11
        case -10: 1e-10
        case -9: 1e-9
        case -8: 1e-8
        case -7: 1e-7
        case -6: 1e-6
        case -5: 1e-5
        case -4: 1e-4
        case -3: 1e-3
        case -2: 1e-2
        case -1: 1e-1
        case 0: 1e0
        case 1: 1e1
        case 2: 1e2
        case 3: 1e3
        case 4: 1e4
        case 5: 1e5
        case 6: 1e6
        case 7: 1e7
        case 8: 1e8
        case 9: 1e9
        case 10: 1e10
        case 11: 1e11
        case 12: 1e12
        case 13: 1e13
        case 14: 1e14
        case 15: 1e15
        case 16: 1e16
        case 17: 1e17
        case 18: 1e18
        case 19: 1e19
        case 20: 1e20
        case 21: 1e21
        case 22: 1e22
        case 23: 1e23
        case 24: 1e24
        case 25: 1e25
        case 26: 1e26
        case 27: 1e27
        case 28: 1e28
        case 29: 1e29
        case 30: 1e30
        case 31: 1e31
        case 32: 1e32
        default: pow(10, Double(exponent))
        }
    }
}
