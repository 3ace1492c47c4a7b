import Foundation

/// Reads the values carbontracker writes in its logs, without regular expressions.
///
/// Cost: one pass over the characters of the value; no allocation beyond the result.
enum LogValue {
    /// Splits `2026-11-21 06:34:49 - message` into its timestamp and message; a line without the
    /// timestamp (a report's continuation line, a wrapped numpy array) has none.
    static func splitTimestamp(_ line: Substring) -> (timestamp: Substring?, message: Substring) {
        var index = line.utf8.startIndex
        for expected in timestampPattern {
            guard index < line.utf8.endIndex else { return (nil, line) }
            let byte = line.utf8[index]
            let matches = expected == UInt8(ascii: "0") ? (byte >= 0x30 && byte <= 0x39) : byte == expected
            guard matches else { return (nil, line) }
            index = line.utf8.index(after: index)
        }
        let stampEnd = line.utf8.index(line.startIndex, offsetBy: 19)
        return (line[line.startIndex..<stampEnd], line[index...])
    }

    /// `0` stands for any digit.
    private static let timestampPattern = Array("0000-00-00 00:00:00 - ".utf8)

    /// A decimal number as Python or numpy print it (`248.0`, `30.`, `1.e-05`, `nan`, `-inf`).
    static func number<S: StringProtocol>(_ text: S) -> Double? {
        guard !text.isEmpty else { return nil }
        var sawDigit = false
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): sawDigit = true
            case UInt8(ascii: "."), UInt8(ascii: "e"), UInt8(ascii: "E"), UInt8(ascii: "+"), UInt8(ascii: "-"):
                continue
            default:
                return namedNumber(text)
            }
        }
        return sawDigit ? Double(String(text)) : nil
    }

    private static func namedNumber<S: StringProtocol>(_ text: S) -> Double? {
        switch text.lowercased() {
        case "nan", "-nan": return .nan
        case "inf", "+inf", "infinity": return .infinity
        case "-inf", "-infinity": return -.infinity
        default: return nil
        }
    }

    /// One number or a list (`[12.5 30. ]` from numpy, `[12.5, 30.0]` from Python); `nil` when
    /// any item is not a number.
    static func numberList<S: StringProtocol>(_ text: S) -> [Double]? {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        let body =
            trimmed.hasPrefix("[") && trimmed.hasSuffix("]")
            ? trimmed.dropFirst().dropLast() : Substring(trimmed)
        var values: [Double] = []
        for item in body.split(whereSeparator: { $0 == " " || $0 == "," || $0 == "\t" }) {
            guard let value = number(item) else { return nil }
            values.append(value)
        }
        return values.isEmpty ? nil : values
    }

    /// A duration written by `convert_to_timestring`: `H:MM:SS`, `H:MM:SS.ss`, optionally with `-`.
    static func duration<S: StringProtocol>(_ text: S) -> Double? {
        var rest = Substring(text.trimmingCharacters(in: .whitespaces))
        let negative = rest.hasPrefix("-")
        if negative { rest = rest.dropFirst() }
        let parts = rest.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 3, let hours = Int(parts[0]), hours >= 0,
            parts[1].count == 2, let minutes = Int(parts[1]), (0..<60).contains(minutes),
            let seconds = number(parts[2]), seconds >= 0, seconds < 61
        else { return nil }
        let total = Double(hours) * 3600 + Double(minutes) * 60 + seconds
        return negative ? -total : total
    }

    /// The integer at the start of `text` (`3` in `3 epoch(s):`).
    static func leadingInteger<S: StringProtocol>(_ text: S) -> Int? {
        let digits = text.prefix { $0.isASCII && $0.isNumber }
        return digits.isEmpty ? nil : Int(digits)
    }
}
