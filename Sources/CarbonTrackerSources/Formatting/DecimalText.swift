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
        let scale = exactPowerOfTen(fractionDigits)
        let units = (value * scale).rounded()
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
            ? (magnitude * LogNumber.powerOfTen(scale)).rounded()
            : (magnitude / LogNumber.powerOfTen(-scale)).rounded()
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
            var position = index &+ count  // the last digit, after the point
            var rest = mantissa
            while position > index &+ 1 {
                out[position] = UInt8(ascii: "0") &+ UInt8(truncatingIfNeeded: rest % 10)
                rest /= 10
                position &-= 1
            }
            out[index] = UInt8(ascii: "0") &+ UInt8(truncatingIfNeeded: rest)
            if count > 1 {
                out[index &+ 1] = UInt8(ascii: ".")
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
        // ddd.ddd
        let fraction = count &- point
        var rest = mantissa
        var position = index &+ count  // the last digit, one place right for the point
        for _ in 0..<fraction {
            out[position] = UInt8(ascii: "0") &+ UInt8(truncatingIfNeeded: rest % 10)
            rest /= 10
            position &-= 1
        }
        out[position] = UInt8(ascii: ".")
        writeDigits(out + index, rest, point)
        return index &+ count &+ 1
    }

    /// The number of decimal digits of `value` (1 for 0).
    @inline(__always)
    package static func digitCount(_ value: UInt) -> Int {
        var count = 1
        var limit: UInt = 10
        while count < 20 && value >= limit {
            limit &*= 10
            count &+= 1
        }
        return count
    }

    /// Writes the `count` decimal digits of `value` (leading zeros included) at `out`, two at a time
    /// from a table of the pairs 00 to 99 (half the divisions).
    @inline(__always)
    private static func writeDigits(_ out: UnsafeMutablePointer<UInt8>, _ value: UInt64, _ count: Int) {
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
