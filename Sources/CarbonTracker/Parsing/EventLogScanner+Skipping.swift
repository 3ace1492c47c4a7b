/// How a scanner that keeps no figures passes over epoch lines without decoding them.
///
/// An aggregate needs a run's reports, not its epochs, and decoding a line with `JSONSerialization`
/// costs about 8 µs: most of the time of reading a long run's event log. A compact epoch line that
/// plainly holds nothing else (its first member is `"event":"epoch"`, it names no other event, schema
/// or time, and it is well-formed JSON of the plain kind checked here) is held back instead; the next
/// line of another kind, or the end of the file, decodes the last one held, so the latest epoch is
/// kept exactly as a full read keeps it. A line outside that plain kind is decoded, so every line
/// that a full read warns about still gets its warning.
extension EventLogScanner {
    /// Whether `line` is a compact epoch line that can be passed over without decoding it.
    static func isPlainEpochLine(_ line: LogBytes) -> Bool {
        guard line.hasPrefix("{\"event\":\"epoch\",") else { return false }
        let rest = line.dropFirst(8)
        guard rest.find("\"event\"") == nil, rest.find("\"schema\"") == nil, rest.find("\"time\"") == nil
        else { return false }
        var checker = PlainJSON(line.bytes)
        return checker.isValidDocument()
    }
}

/// A check that bytes are one JSON value of a plain kind that `JSONSerialization` surely accepts:
/// ASCII strings without escapes, numbers of at most 15 integer digits, 20 fraction digits and a
/// two-digit exponent, and arrays and objects at most 8 deep. `false` says only that the bytes are
/// not of that kind (they may still be JSON). Cost: one pass, no allocation.
struct PlainJSON {
    private let bytes: UnsafeBufferPointer<UInt8>
    private var index = 0

    /// Wraps the bytes to check.
    init(_ bytes: UnsafeBufferPointer<UInt8>) { self.bytes = bytes }

    /// Whether the bytes are one plain value, with nothing but white space around it.
    mutating func isValidDocument() -> Bool {
        guard value(depth: 0) else { return false }
        skipSpace()
        return index == bytes.count
    }

    private var current: UInt8? { index < bytes.count ? bytes[index] : nil }

    private mutating func skipSpace() {
        while let byte = current, byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D { index += 1 }
    }

    private mutating func take(_ byte: UInt8) -> Bool {
        skipSpace()
        guard current == byte else { return false }
        index += 1
        return true
    }

    private mutating func value(depth: Int) -> Bool {
        skipSpace()
        guard let byte = current else { return false }
        switch byte {
        case UInt8(ascii: "{"): return depth < 8 && object(depth: depth + 1)
        case UInt8(ascii: "["): return depth < 8 && array(depth: depth + 1)
        case UInt8(ascii: "\""): return string()
        case UInt8(ascii: "t"): return literal("true")
        case UInt8(ascii: "f"): return literal("false")
        case UInt8(ascii: "n"): return literal("null")
        default: return number()
        }
    }

    private mutating func object(depth: Int) -> Bool {
        index += 1
        if take(UInt8(ascii: "}")) { return true }
        repeat {
            skipSpace()
            guard string(), take(UInt8(ascii: ":")), value(depth: depth) else { return false }
        } while take(UInt8(ascii: ","))
        return take(UInt8(ascii: "}"))
    }

    private mutating func array(depth: Int) -> Bool {
        index += 1
        if take(UInt8(ascii: "]")) { return true }
        repeat {
            guard value(depth: depth) else { return false }
        } while take(UInt8(ascii: ","))
        return take(UInt8(ascii: "]"))
    }

    private mutating func string() -> Bool {
        guard current == UInt8(ascii: "\"") else { return false }
        index += 1
        while let byte = current {
            index += 1
            if byte == UInt8(ascii: "\"") { return true }
            guard byte >= 0x20, byte < 0x7F, byte != UInt8(ascii: "\\") else { return false }
        }
        return false
    }

    private mutating func literal(_ word: StaticString) -> Bool {
        let length = word.utf8CodeUnitCount
        guard bytes.count - index >= length else { return false }
        for offset in 0..<length where bytes[index + offset] != word.utf8Start[offset] { return false }
        index += length
        return true
    }

    private mutating func number() -> Bool {
        if current == UInt8(ascii: "-") { index += 1 }
        if current == UInt8(ascii: "0") {
            index += 1
        } else {
            guard let first = current, first >= UInt8(ascii: "1"), first <= UInt8(ascii: "9") else {
                return false
            }
            guard digits(atMost: 15) else { return false }
        }
        if current == UInt8(ascii: ".") {
            index += 1
            guard digits(atMost: 20) else { return false }
        }
        if current == UInt8(ascii: "e") || current == UInt8(ascii: "E") {
            index += 1
            if current == UInt8(ascii: "+") || current == UInt8(ascii: "-") { index += 1 }
            guard digits(atMost: 2) else { return false }
        }
        return true
    }

    /// One to `limit` digits.
    private mutating func digits(atMost limit: Int) -> Bool {
        var count = 0
        while let byte = current, byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") {
            count += 1
            index += 1
        }
        return count >= 1 && count <= limit
    }
}
