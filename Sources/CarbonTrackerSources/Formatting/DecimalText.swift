/// Writes decimal numbers straight into byte buffers, as `Double.description` (and Python's `repr`)
/// would write them, for values already rounded to a decimal grid.
///
/// ```swift
/// var bytes: [UInt8] = []
/// DecimalText.append(&bytes, 0.000_027_4, fractionDigits: 6)   // "2.7e-05" (rounded to 0.000027)
/// DecimalText.append(&bytes, 248, fractionDigits: 6)           // "248.0"
/// ```
///
/// A value rounded to a few decimals, or to a few significant digits, is an integer and a power of
/// ten; its shortest round-trip text is that integer's digits with the point put in, which takes no
/// general shortest-digits search (`Double.description` costs several hundred instructions a number,
/// and every epoch writes a dozen numbers). Values outside the fast range (15 significant digits or
/// more, magnitudes from 1e15) go through `description`, so the text is the same in every case.
/// Cost: a few dozen instructions and no allocation.
package enum DecimalText {
    /// Appends `value` rounded to `fractionDigits` decimals (0 to 9), as `description` writes the rounded
    /// value (``LogNumber/rounded(_:_:)`` with `perUnit` 10^`fractionDigits`).
    /// - Parameters:
    ///   - bytes: Where to append.
    ///   - value: Any double; NaN and infinities are written as `description` writes them.
    ///   - fractionDigits: Decimals kept, 0 to 9.
    package static func append(_ bytes: inout [UInt8], _ value: Double, fractionDigits: Int) {
        let scale = exactPowerOfTen(fractionDigits)
        let units = (value * scale).rounded()
        guard abs(units) < 1e15 else {
            bytes.append(contentsOf: LogNumber.rounded(value, scale).description.utf8)
            return
        }
        appendDecimal(
            &bytes, negative: units.sign == .minus, mantissa: UInt64(abs(units)), exponent: -fractionDigits)
    }

    /// Appends `value` rounded to `digits` significant digits (1 to 15), as `description` writes
    /// ``LogNumber/significant(_:_:)``'s result.
    /// - Parameters:
    ///   - bytes: Where to append.
    ///   - value: Any double; zero, NaN and infinities are written as `description` writes them.
    ///   - digits: Significant digits kept, 1 to 15.
    package static func append(_ bytes: inout [UInt8], _ value: Double, significantDigits digits: Int) {
        let magnitude = abs(value)
        guard magnitude.isFinite, magnitude > 0, magnitude < 1e15, magnitude >= 1e-300 else {
            bytes.append(contentsOf: LogNumber.significant(value, digits).description.utf8)
            return
        }
        let exponent = LogNumber.decimalExponent(magnitude)
        let scale = digits - 1 - exponent
        // As LogNumber.significant: multiply by an exact power of ten, or divide by one.
        let units =
            scale >= 0
            ? (magnitude * LogNumber.powerOfTen(scale)).rounded()
            : (magnitude / LogNumber.powerOfTen(-scale)).rounded()
        guard scale <= 22, units < 1e15 else {
            bytes.append(contentsOf: LogNumber.significant(value, digits).description.utf8)
            return
        }
        appendDecimal(&bytes, negative: value < 0, mantissa: UInt64(units), exponent: -scale)
    }

    /// 10^`exponent` for 0...9, exactly.
    static func exactPowerOfTen(_ exponent: Int) -> Double {
        switch exponent {
        case 0: 1
        case 1: 10
        case 2: 100
        case 3: 1e3
        case 4: 1e4
        case 5: 1e5
        case 6: 1e6
        case 7: 1e7
        case 8: 1e8
        default: 1e9
        }
    }

    /// Appends `mantissa` × 10^`exponent` (fewer than 16 significant digits, below 1e15) as
    /// `Double.description` writes the double nearest to it: positional from 1e-4 up (`0.0001`,
    /// `248.0`), exponential below (`2.7e-05`), `-0.0` for a negative zero.
    static func appendDecimal(_ bytes: inout [UInt8], negative: Bool, mantissa: UInt64, exponent: Int) {
        var mantissa = mantissa
        var exponent = exponent
        if mantissa == 0 {
            if negative { bytes.append(UInt8(ascii: "-")) }
            bytes.append(UInt8(ascii: "0"))
            bytes.append(UInt8(ascii: "."))
            bytes.append(UInt8(ascii: "0"))
            return
        }
        while mantissa % 10 == 0 {
            mantissa /= 10
            exponent += 1
        }
        // The digits, last first (fewer than 16: the value is below 1e15).
        var reversed = SIMD16<UInt8>()
        var count = 0
        repeat {
            reversed[count] = UInt8(ascii: "0") &+ UInt8(truncatingIfNeeded: mantissa % 10)
            mantissa /= 10
            count &+= 1
        } while mantissa > 0
        // The decimal point sits after `point` digits (before the first when 0, further left when
        // negative); below 1e-4 the text is exponential, as Swift and Python write it.
        let point = count &+ exponent
        let power = 1 &- point
        let scientific = power > 4
        var length = negative ? 1 : 0
        if scientific {
            length &+= count &+ (count > 1 ? 1 : 0) &+ 2 &+ (power >= 100 ? 3 : 2)
        } else if point <= 0 {
            length &+= 2 &- point &+ count
        } else if point >= count {
            length &+= point &+ 2
        } else {
            length &+= count &+ 1
        }
        let start = bytes.count
        // Zeros first: the padding zeros of `0.000123` and `1200.0` are then already in place.
        bytes.append(contentsOf: repeatElement(UInt8(ascii: "0"), count: length))
        bytes.withUnsafeMutableBufferPointer { buffer in
            var index = start
            if negative {
                buffer[index] = UInt8(ascii: "-")
                index &+= 1
            }
            if scientific {
                buffer[index] = reversed[count &- 1]
                index &+= 1
                if count > 1 {
                    buffer[index] = UInt8(ascii: ".")
                    index &+= 1
                    for digit in stride(from: count &- 2, through: 0, by: -1) {
                        buffer[index] = reversed[digit]
                        index &+= 1
                    }
                }
                buffer[index] = UInt8(ascii: "e")
                buffer[index &+ 1] = UInt8(ascii: "-")
                index &+= 2
                if power >= 100 {
                    buffer[index] = UInt8(ascii: "0") &+ UInt8(truncatingIfNeeded: power / 100)
                    index &+= 1
                }
                buffer[index] = UInt8(ascii: "0") &+ UInt8(truncatingIfNeeded: power / 10 % 10)
                buffer[index &+ 1] = UInt8(ascii: "0") &+ UInt8(truncatingIfNeeded: power % 10)
            } else if point <= 0 {
                buffer[index &+ 1] = UInt8(ascii: ".")
                index &+= 2 &- point
                for digit in stride(from: count &- 1, through: 0, by: -1) {
                    buffer[index] = reversed[digit]
                    index &+= 1
                }
            } else {
                for position in 0..<min(point, count) {
                    buffer[index] = reversed[count &- 1 &- position]
                    index &+= 1
                }
                if point >= count {
                    index &+= point &- count
                    buffer[index] = UInt8(ascii: ".")
                } else {
                    buffer[index] = UInt8(ascii: ".")
                    index &+= 1
                    for position in point..<count {
                        buffer[index] = reversed[count &- 1 &- position]
                        index &+= 1
                    }
                }
            }
        }
    }
}
