/// Reads the values carbontracker writes in its logs, without regular expressions or Foundation.
///
/// Everything works on the UTF-8 bytes of a `Substring` of the decoded file: the markers searched
/// for are ASCII, so a byte match is always a character boundary. Cost: one pass over the bytes
/// concerned; no allocation except the returned numbers.
enum LogValue {
    /// Splits `2026-11-21 06:34:49 - message` into its timestamp and message; a line without the
    /// timestamp (a report's continuation line, a wrapped numpy array) has none.
    static func splitTimestamp(_ line: Substring) -> (timestamp: Substring?, message: Substring) {
        let bytes = line.utf8
        var index = bytes.startIndex
        for expected in timestampPattern {
            guard index < bytes.endIndex else { return (nil, line) }
            let byte = bytes[index]
            let matches = expected == UInt8(ascii: "0") ? (byte >= 0x30 && byte <= 0x39) : byte == expected
            guard matches else { return (nil, line) }
            bytes.formIndex(after: &index)
        }
        let stampEnd = bytes.index(bytes.startIndex, offsetBy: 19)
        return (line[line.startIndex..<stampEnd], line[index...])
    }

    /// `0` stands for any digit.
    private static let timestampPattern = Array("0000-00-00 00:00:00 - ".utf8)

    /// Whether `text` starts with `prefix`, byte for byte.
    static func hasPrefix(_ text: Substring, _ prefix: String) -> Bool {
        text.utf8.starts(with: prefix.utf8)
    }

    /// `text` after `prefix`, or `nil` when it does not start with it.
    static func after(_ prefix: String, in text: Substring) -> Substring? {
        guard hasPrefix(text, prefix) else { return nil }
        return text[text.utf8.index(text.startIndex, offsetBy: prefix.utf8.count)...]
    }

    /// The first (or last) occurrence of an ASCII `needle` in `text`.
    static func find(_ needle: String, in text: Substring, backwards: Bool = false) -> Range<String.Index>? {
        let pattern = Array(needle.utf8)
        guard let first = pattern.first else { return nil }
        let bytes = text.utf8
        func matches(at start: String.Index) -> String.Index? {
            var index = start
            for byte in pattern {
                guard index < bytes.endIndex, bytes[index] == byte else { return nil }
                bytes.formIndex(after: &index)
            }
            return index
        }
        if backwards {
            var index = bytes.endIndex
            while index > bytes.startIndex {
                bytes.formIndex(before: &index)
                if bytes[index] == first, let end = matches(at: index) { return index..<end }
            }
            return nil
        }
        var start = bytes.startIndex
        while let found = bytes[start...].firstIndex(of: first) {
            if let end = matches(at: found) { return found..<end }
            start = bytes.index(after: found)
        }
        return nil
    }

    /// `text` without leading and trailing spaces and tabs.
    static func trimmed(_ text: Substring) -> Substring {
        let bytes = text.utf8
        var start = bytes.startIndex
        var end = bytes.endIndex
        while start < end, bytes[start] == 0x20 || bytes[start] == 0x09 { bytes.formIndex(after: &start) }
        while end > start {
            let before = bytes.index(before: end)
            guard bytes[before] == 0x20 || bytes[before] == 0x09 else { break }
            end = before
        }
        return text[start..<end]
    }

    /// A decimal number as Python or numpy print it (`248.0`, `30.`, `1.e-05`, `nan`, `-inf`).
    static func number(_ text: Substring) -> Double? {
        guard !text.isEmpty else { return nil }
        var sawDigit = false
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): sawDigit = true
            case UInt8(ascii: "."), UInt8(ascii: "e"), UInt8(ascii: "E"), UInt8(ascii: "+"),
                UInt8(ascii: "-"):
                continue
            default:
                return namedNumber(text)
            }
        }
        return sawDigit ? Double(text) : nil
    }

    /// A decimal number in a `String`.
    static func number(_ text: String) -> Double? { number(text[...]) }

    private static func namedNumber(_ text: Substring) -> Double? {
        switch text.lowercased() {
        case "nan", "-nan": return .nan
        case "inf", "+inf", "infinity": return .infinity
        case "-inf", "-infinity": return -.infinity
        default: return nil
        }
    }

    /// One number or a list (`[12.5 30. ]` from numpy, `[12.5, 30.0]` from Python); `nil` when
    /// any item is not a number.
    static func numberList(_ text: Substring) -> [Double]? {
        var body = trimmed(text)
        if hasPrefix(body, "["), body.utf8.last == UInt8(ascii: "]") { body = body.dropFirst().dropLast() }
        var values: [Double] = []
        for item in body.split(whereSeparator: { $0 == " " || $0 == "," || $0 == "\t" }) {
            guard let value = number(item) else { return nil }
            values.append(value)
        }
        return values.isEmpty ? nil : values
    }

    /// A duration written by `convert_to_timestring`: `H:MM:SS`, `H:MM:SS.ss`, optionally with `-`.
    static func duration(_ text: Substring) -> Double? {
        var rest = trimmed(text)
        let negative = hasPrefix(rest, "-")
        if negative { rest = rest.dropFirst() }
        let parts = rest.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 3, let hours = Int(parts[0]), hours >= 0,
            parts[1].utf8.count == 2, let minutes = Int(parts[1]), (0..<60).contains(minutes),
            let seconds = number(parts[2]), seconds >= 0, seconds < 61
        else { return nil }
        let total = Double(hours) * 3600 + Double(minutes) * 60 + seconds
        return negative ? -total : total
    }

    /// The integer at the start of `text` (`3` in `3 epoch(s):`) and the text after it.
    static func leadingInteger(_ text: Substring) -> (value: Int, rest: Substring)? {
        let end = text.utf8.firstIndex { $0 < 0x30 || $0 > 0x39 } ?? text.endIndex
        guard end > text.startIndex, let value = Int(text[..<end]) else { return nil }
        return (value, text[end...])
    }
}
