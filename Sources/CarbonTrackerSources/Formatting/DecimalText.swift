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
    /// The most bytes one number takes (`-1.23456789012345e-100`, or positional text below 1e15).
    package static let maximumLength = 32

    /// Appends `value` rounded to `fractionDigits` decimals (0 to 9), as `description` writes the rounded
    /// value (``LogNumber/rounded(_:_:)`` with `perUnit` 10^`fractionDigits`).
    /// - Parameters:
    ///   - bytes: Where to append.
    ///   - value: Any double; NaN and infinities are written as `description` writes them.
    ///   - fractionDigits: Decimals kept, 0 to 9.
    @inlinable
    package static func append(_ bytes: inout [UInt8], _ value: Double, fractionDigits: Int) {
        appendViaStack(&bytes) { write($0, value, fractionDigits: fractionDigits) }
    }

    /// Appends `value` rounded to `digits` significant digits (1 to 15), as `description` writes
    /// ``LogNumber/significant(_:_:)``'s result.
    /// - Parameters:
    ///   - bytes: Where to append.
    ///   - value: Any double; zero, NaN and infinities are written as `description` writes them.
    ///   - digits: Significant digits kept, 1 to 15.
    @inlinable
    package static func append(_ bytes: inout [UInt8], _ value: Double, significantDigits digits: Int) {
        appendViaStack(&bytes) { write($0, value, significantDigits: digits) }
    }

    /// Writes ``append(_:_:fractionDigits:)``'s text at `out`, which has room for ``maximumLength`` bytes.
    /// - Returns: The number of bytes written.
    package static func write(_ out: UnsafeMutablePointer<UInt8>, _ value: Double, fractionDigits: Int) -> Int
    {
        let scale = LogNumber.powerOfTen(fractionDigits)
        let units = roundedHalfAway(value * scale)
        guard abs(units) < 1e15 else {
            return writeText(out, LogNumber.rounded(value, scale).description)
        }
        return writeDecimal(
            out, negative: units.sign == .minus, mantissa: UInt64(abs(units)), exponent: -fractionDigits)
    }

    /// Writes ``append(_:_:significantDigits:)``'s text at `out`, which has room for ``maximumLength``
    /// bytes.
    /// - Returns: The number of bytes written.
    package static func write(
        _ out: UnsafeMutablePointer<UInt8>, _ value: Double, significantDigits digits: Int
    )
        -> Int
    {
        let magnitude = abs(value)
        guard magnitude.isFinite, magnitude > 0, magnitude < 1e15, magnitude >= 1e-300 else {
            return writeText(out, LogNumber.significant(value, digits).description)
        }
        let exponent = LogNumber.decimalExponent(magnitude)
        let scale = digits - 1 - exponent
        // As LogNumber.significant: multiply by an exact power of ten, or divide by one.
        let units =
            scale >= 0
            ? roundedHalfAway(magnitude * LogNumber.powerOfTen(scale))
            : roundedHalfAway(magnitude / LogNumber.powerOfTen(-scale))
        guard scale <= 22, units < 1e15 else {
            return writeText(out, LogNumber.significant(value, digits).description)
        }
        return writeDecimal(out, negative: value < 0, mantissa: UInt64(units), exponent: -scale)
    }

    /// Writes into a stack buffer, then appends it with one copy.
    @inlinable
    static func appendViaStack(
        _ bytes: inout [UInt8], _ write: (UnsafeMutablePointer<UInt8>) -> Int
    ) {
        var storage: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)
        withUnsafeMutableBytes(of: &storage) { raw in
            let out = raw.baseAddress!.assumingMemoryBound(to: UInt8.self)
            bytes.append(contentsOf: UnsafeBufferPointer(start: out, count: write(out)))
        }
    }

    private static func writeText(_ out: UnsafeMutablePointer<UInt8>, _ text: String) -> Int {
        var count = 0
        for byte in text.utf8.prefix(maximumLength) {
            out[count] = byte
            count += 1
        }
        return count
    }

    /// Writes `mantissa` × 10^`exponent` (fewer than 16 significant digits, below 1e15) as
    /// `Double.description` writes the double nearest to it: positional from 1e-4 up (`0.0001`,
    /// `248.0`), exponential below (`2.7e-05`), `-0.0` for a negative zero.
    /// - Returns: The number of bytes written.
    static func writeDecimal(
        _ out: UnsafeMutablePointer<UInt8>, negative: Bool, mantissa: UInt64, exponent: Int
    )
        -> Int
    {
        var mantissa = mantissa
        var exponent = exponent
        var index = 0
        if negative {
            out[0] = UInt8(ascii: "-")
            index = 1
        }
        if mantissa == 0 {
            out[index] = UInt8(ascii: "0")
            out[index &+ 1] = UInt8(ascii: ".")
            out[index &+ 2] = UInt8(ascii: "0")
            return index &+ 3
        }
        while mantissa % 10 == 0 {
            mantissa /= 10
            exponent &+= 1
        }
        let count = digitCount(UInt(mantissa))
        // The decimal point sits after `point` digits (before the first when 0, further left when
        // negative); below 1e-4 the text is exponential, as Swift and Python write it. Each layout
        // puts the digits straight into their places, last first.
        let point = count &+ exponent
        let power = 1 &- point
        if power > 4 {
            // d.ddde-XX
            let unit = powerOfTenUInt(count &- 1)
            out[index] = UInt8(ascii: "0") &+ UInt8(truncatingIfNeeded: mantissa / unit)
            if count > 1 {
                out[index &+ 1] = UInt8(ascii: ".")
                writeDigits(out + (index &+ 2), mantissa % unit, count &- 1)
                index &+= count &+ 1
            } else {
                index &+= 1
            }
            out[index] = UInt8(ascii: "e")
            out[index &+ 1] = UInt8(ascii: "-")
            index &+= 2
            if power >= 100 {
                out[index] = UInt8(ascii: "0") &+ UInt8(truncatingIfNeeded: power / 100)
                index &+= 1
            }
            out[index] = UInt8(ascii: "0") &+ UInt8(truncatingIfNeeded: power / 10 % 10)
            out[index &+ 1] = UInt8(ascii: "0") &+ UInt8(truncatingIfNeeded: power % 10)
            return index &+ 2
        }
        if point <= 0 {
            // 0.000ddd
            out[index] = UInt8(ascii: "0")
            out[index &+ 1] = UInt8(ascii: ".")
            index &+= 2
            for _ in 0..<(0 &- point) {
                out[index] = UInt8(ascii: "0")
                index &+= 1
            }
            writeDigits(out + index, mantissa, count)
            return index &+ count
        }
        if point >= count {
            // ddd000.0
            writeDigits(out + index, mantissa, count)
            index &+= count
            for _ in 0..<(point &- count) {
                out[index] = UInt8(ascii: "0")
                index &+= 1
            }
            out[index] = UInt8(ascii: ".")
            out[index &+ 1] = UInt8(ascii: "0")
            return index &+ 2
        }
        // ddd.ddd: the whole part and the fraction, each two digits at a time.
        let fraction = count &- point
        let unit = powerOfTenUInt(fraction)
        writeDigits(out + index, mantissa / unit, point)
        out[index &+ point] = UInt8(ascii: ".")
        writeDigits(out + (index &+ point &+ 1), mantissa % unit, fraction)
        return index &+ count &+ 1
    }

    /// 10^`exponent` for 0...19 as an integer: a constant from a table the compiler builds.
    @inline(__always)
    package static func powerOfTenUInt(_ exponent: Int) -> UInt64 {
        switch exponent {
        case 0: 1
        case 1: 10
        case 2: 100
        case 3: 1_000
        case 4: 10_000
        case 5: 100_000
        case 6: 1_000_000
        case 7: 10_000_000
        case 8: 100_000_000
        case 9: 1_000_000_000
        case 10: 10_000_000_000
        case 11: 100_000_000_000
        case 12: 1_000_000_000_000
        case 13: 10_000_000_000_000
        case 14: 100_000_000_000_000
        case 15: 1_000_000_000_000_000
        case 16: 10_000_000_000_000_000
        case 17: 100_000_000_000_000_000
        case 18: 1_000_000_000_000_000_000
        default: 10_000_000_000_000_000_000
        }
    }

    /// `value.rounded()` (to nearest, halves away from zero) without a call into the C library: below
    /// 2^52 the fraction `value − trunc(value)` is exact, so comparing it with ½ rounds exactly; from
    /// 2^52 a double is whole already.
    /// - Parameter value: Any double.
    /// - Returns: The same as `value.rounded()`.
    @inline(__always)
    package static func roundedHalfAway(_ value: Double) -> Double {
        guard abs(value) < 4_503_599_627_370_496 else { return value.isNaN ? value : value.rounded() }
        let whole = Double(Int64(value))
        let fraction = value - whole
        if fraction >= 0.5 { return whole + 1 }
        if fraction <= -0.5 { return whole - 1 }
        // Keeps the sign of a zero result (-0.3 rounds to -0.0, as `rounded()` does).
        return whole == 0 ? (value.sign == .minus ? -0.0 : 0.0) : whole
    }

    /// The number of decimal digits of `value` (1 for 0): ⌊log10⌋ estimated from the bit length
    /// (1233 / 4096 ≈ log10 2), corrected by one comparison, instead of a loop over the digits.
    @inline(__always)
    package static func digitCount(_ value: UInt) -> Int {
        let bits = UInt.bitWidth &- (value | 1).leadingZeroBitCount
        let estimate = (bits &* 1233) >> 12
        return UInt64(value | 1) < powerOfTenUInt(estimate) ? estimate : estimate &+ 1
    }

    /// Writes the `count` decimal digits of `value` (leading zeros included) at `out`, two at a time
    /// from a table of the pairs 00 to 99 (half the divisions).
    @inline(__always)
    package static func writeDigits(_ out: UnsafeMutablePointer<UInt8>, _ value: UInt64, _ count: Int) {
        let pairs = digitPairs.utf8Start
        var rest = value
        var position = count
        while position >= 2 {
            let pair = Int(truncatingIfNeeded: rest % 100) &* 2
            rest /= 100
            position &-= 2
            out[position] = pairs[pair]
            out[position &+ 1] = pairs[pair &+ 1]
        }
        if position == 1 { out[0] = UInt8(ascii: "0") &+ UInt8(truncatingIfNeeded: rest % 10) }
    }

    /// "00" to "99" one after another, in static memory.
    private static var digitPairs: StaticString {
        "00010203040506070809101112131415161718192021222324252627282930313233343536373839404142434445464748495051525354555657585960616263646566676869707172737475767778798081828384858687888990919293949596979899"
    }
}
