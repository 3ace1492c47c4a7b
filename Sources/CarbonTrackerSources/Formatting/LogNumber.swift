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
        bytes.append(contentsOf: rounded(value, 1e6).description.utf8)
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
}
