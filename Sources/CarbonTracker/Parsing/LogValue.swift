/// Reads the values carbontracker writes in its logs, without regular expressions or Foundation.
///
/// Everything works on the raw bytes of a line (``LogBytes``): numbers, lists and durations are ASCII,
/// so a value holding any other byte is unreadable. Cost: one pass over the bytes concerned; no
/// allocation except the returned lists.
enum LogValue {
    /// Whether a figure can be added to a total: finite and not negative (see
    /// ``LogParser/Aggregate/problem(_:)`` for the reason when it cannot).
    static func usable(_ value: Double) -> Bool { value.isFinite && value >= 0 }

    /// Splits `2026-11-21 06:34:49 - message` into its timestamp and message; a line without the
    /// timestamp (a report's continuation line, a wrapped numpy array) has none.
    static func splitTimestamp(_ line: LogBytes) -> (timestamp: LogBytes?, message: LogBytes) {
        let pattern: StaticString = "0000-00-00 00:00:00 - "
        let length = pattern.utf8CodeUnitCount
        guard line.count >= length else { return (nil, line) }
        let expected = pattern.utf8Start
        for offset in 0..<length {
            let byte = line[offset]
            // `0` in the pattern stands for any digit.
            let matches = expected[offset] == 0x30 ? (byte &- 0x30) < 10 : byte == expected[offset]
            guard matches else { return (nil, line) }
        }
        return (line.prefix(upTo: 19), line.suffix(from: length))
    }

    /// A decimal number as Python or numpy print it (`248.0`, `30.`, `1.e-05`, `nan`, `-inf`), read
    /// exactly as Swift's `Double(String)` reads it (`1e999` is infinity).
    static func number(_ text: LogBytes) -> Double? {
        guard !text.isEmpty else { return nil }
        var sawDigit = false
        for offset in 0..<text.count {
            switch text[offset] {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): sawDigit = true
            case UInt8(ascii: "."), UInt8(ascii: "e"), UInt8(ascii: "E"), UInt8(ascii: "+"),
                UInt8(ascii: "-"):
                continue
            default:
                return namedNumber(text)
            }
        }
        guard sawDigit else { return nil }
        return plainDecimal(text) ?? Double(text.string)
    }

    /// A decimal number in a `String`.
    static func number(_ text: String) -> Double? {
        var text = text
        return text.withUTF8 { number(LogBytes($0)) }
    }

    private static func namedNumber(_ text: LogBytes) -> Double? {
        if text.equals(ignoringCase: "nan") || text.equals(ignoringCase: "-nan") { return .nan }
        if text.equals(ignoringCase: "inf") || text.equals(ignoringCase: "+inf")
            || text.equals(ignoringCase: "infinity")
        {
            return .infinity
        }
        if text.equals(ignoringCase: "-inf") || text.equals(ignoringCase: "-infinity") { return -.infinity }
        return nil
    }

    /// `[+-]digits[.digits]` whose digits, as an integer, stay below 2^53 and whose fraction has at
    /// most 22 digits: the integer and the power of ten are then exact doubles, so one division is
    /// correctly rounded (Clinger's fast path) and equals what `Double(String)` returns. `nil` for
    /// every other form, which goes to `Double(String)` itself.
    private static func plainDecimal(_ text: LogBytes) -> Double? {
        var offset = 0
        let negative = text[0] == UInt8(ascii: "-")
        if negative || text[0] == UInt8(ascii: "+") { offset = 1 }
        var digits: UInt64 = 0
        var fractionDigits = -1
        var sawDigit = false
        while offset < text.count {
            let byte = text[offset]
            offset += 1
            if byte == UInt8(ascii: ".") {
                guard fractionDigits < 0 else { return nil }
                fractionDigits = 0
                continue
            }
            guard byte >= 0x30 && byte <= 0x39 else { return nil }
            sawDigit = true
            digits = digits * 10 + UInt64(byte - 0x30)
            guard digits < 1 << 53 else { return nil }
            if fractionDigits >= 0 { fractionDigits += 1 }
        }
        guard sawDigit, fractionDigits <= 22 else { return nil }
        var scale = 1.0
        for _ in 0..<max(0, fractionDigits) { scale *= 10 }  // exact up to 1e22
        let magnitude = Double(digits) / scale
        return negative ? -magnitude : magnitude
    }

    /// An integer with the meaning and limits of Swift's `Int(String)`: an optional sign, then digits.
    static func integer(_ text: LogBytes) -> Int? {
        guard let first = text.first else { return nil }
        let negative = first == UInt8(ascii: "-")
        let digits = negative || first == UInt8(ascii: "+") ? text.dropFirst() : text
        guard !digits.isEmpty else { return nil }
        var value = 0
        for offset in 0..<digits.count {
            let byte = digits[offset]
            guard byte >= 0x30 && byte <= 0x39 else { return nil }
            let digit = Int(byte - 0x30)
            let (shifted, overflowA) = value.multipliedReportingOverflow(by: 10)
            let (next, overflowB) =
                negative
                ? shifted.subtractingReportingOverflow(digit) : shifted.addingReportingOverflow(digit)
            guard !overflowA && !overflowB else { return nil }
            value = next
        }
        return value
    }

    /// Calls `body` with each number of one number or a list (`[12.5 30. ]` from numpy, `[12.5, 30.0]`
    /// from Python), in order.
    /// - Returns: `false` when an item is not a number or there is none.
    static func forEachNumber(in text: LogBytes, _ body: (Double) -> Void) -> Bool {
        var list = text.trimmed
        if list.first == UInt8(ascii: "["), list.last == UInt8(ascii: "]") {
            list = list.dropFirst().dropLast()
        }
        var any = false
        let isSeparator: (UInt8) -> Bool = { $0 == 0x20 || $0 == 0x2C || $0 == 0x09 }
        let readable = list.forEachPiece(separatedBy: isSeparator) { item in
            guard let value = number(item) else { return false }
            body(value)
            any = true
            return true
        }
        return readable && any
    }

    /// One number or a list as an array; `nil` when any item is not a number or there is none.
    static func numberList(_ text: LogBytes) -> [Double]? {
        var values: [Double] = []
        return forEachNumber(in: text) { values.append($0) } ? values : nil
    }

    /// A duration written by `convert_to_timestring`: `H:MM:SS`, `H:MM:SS.ss`, optionally with `-`.
    static func duration(_ text: LogBytes) -> Double? {
        var rest = text.trimmed
        let negative = rest.first == UInt8(ascii: "-")
        if negative { rest = rest.dropFirst() }
        guard let firstColon = rest.firstIndex(of: UInt8(ascii: ":")) else { return nil }
        let afterHours = rest.suffix(from: firstColon + 1)
        guard let secondColon = afterHours.firstIndex(of: UInt8(ascii: ":")) else { return nil }
        let minutesText = afterHours.prefix(upTo: secondColon)
        let secondsText = afterHours.suffix(from: secondColon + 1)
        guard !secondsText.contains(UInt8(ascii: ":")),
            let hours = integer(rest.prefix(upTo: firstColon)), hours >= 0,
            minutesText.count == 2, let minutes = integer(minutesText), (0..<60).contains(minutes),
            let seconds = number(secondsText), seconds >= 0, seconds < 61
        else { return nil }
        let total = Double(hours) * 3600 + Double(minutes) * 60 + seconds
        return negative ? -total : total
    }

    /// The digits at the start of `text`, or `nil` when it does not start with one.
    static func leadingDigits(_ text: LogBytes) -> LogBytes? {
        var end = 0
        while end < text.count, text[end] >= 0x30 && text[end] <= 0x39 { end += 1 }
        return end > 0 ? text.prefix(upTo: end) : nil
    }

    /// The integer at the start of `text` (`3` in `3 epoch(s):`) and the text after it.
    static func leadingInteger(_ text: LogBytes) -> (value: Int, rest: LogBytes)? {
        guard let digits = leadingDigits(text), let value = integer(digits) else { return nil }
        return (value, text.suffix(from: digits.count))
    }
}
