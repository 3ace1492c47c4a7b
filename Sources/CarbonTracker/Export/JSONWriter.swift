import Foundation

/// JSON text built byte by byte into a buffer that is reused from one batch of events to the next.
///
/// ```swift
/// var json = JSONWriter()
/// json.beginObject()
/// json.key("energy_joules"); json.number(99.2)
/// json.endObject()
/// json.newline()                       // {"energy_joules":99.2}\n
/// ```
///
/// Commas are placed by the writer: a value, object or array written after another in the same
/// container gets one. Strings are escaped as RFC 8259 requires (quote, backslash and control
/// characters); numbers use Swift's shortest round-trip form, and NaN or infinity, which JSON cannot
/// hold, become `null`; a number already rounded to a few decimals or significant digits is written by
/// ``DecimalText`` without Swift's general shortest-digits search. Cost: appends to one array.
struct JSONWriter {
    /// The text so far, UTF-8.
    var bytes: [UInt8] = []
    /// Whether the next value continues a container that already holds one.
    private var needsComma = false

    /// Creates an empty writer.
    init() {}

    /// The text so far as a `String`.
    var text: String { String(decoding: bytes, as: UTF8.self) }

    /// Empties the buffer, keeping its capacity.
    mutating func removeAll() {
        bytes.removeAll(keepingCapacity: true)
        needsComma = false
    }

    // MARK: Containers

    /// Opens an object.
    mutating func beginObject() {
        separate()
        bytes.append(UInt8(ascii: "{"))
        needsComma = false
    }

    /// Closes the object opened last.
    mutating func endObject() {
        bytes.append(UInt8(ascii: "}"))
        needsComma = true
    }

    /// Opens an array.
    mutating func beginArray() {
        separate()
        bytes.append(UInt8(ascii: "["))
        needsComma = false
    }

    /// Closes the array opened last.
    mutating func endArray() {
        bytes.append(UInt8(ascii: "]"))
        needsComma = true
    }

    /// Appends a whole JSON Lines record, newline included, written elsewhere.
    mutating func appendLine(_ line: UnsafeBufferPointer<UInt8>) {
        bytes.append(contentsOf: line)
        needsComma = false
    }

    /// Ends a JSON Lines record.
    mutating func newline() {
        bytes.append(0x0A)
        needsComma = false
    }

    // MARK: Keys

    /// Writes a member name; `name` must need no escaping (the fixed ASCII field names).
    mutating func key(_ name: StaticString) {
        separate()
        bytes.append(UInt8(ascii: "\""))
        name.withUTF8Buffer { bytes.append(contentsOf: $0) }
        bytes.append(UInt8(ascii: "\""))
        bytes.append(UInt8(ascii: ":"))
        needsComma = false
    }

    /// Writes a member name that may need escaping (a label's, a setting's). Its own label keeps a
    /// literal from choosing it over ``key(_:)-(StaticString)``, which copies the name without a scan.
    mutating func key(escaping name: String) {
        string(name)
        bytes.append(UInt8(ascii: ":"))
        needsComma = false
    }

    // MARK: Values

    /// Writes a string, escaped.
    mutating func string(_ value: String) {
        separate()
        Self.appendEscaped(value, to: &bytes)
        needsComma = true
    }

    /// Writes a string, or `null`.
    mutating func string(_ value: String?) {
        if let value { string(value) } else { null() }
    }

    /// Writes a number; NaN and infinities become `null`.
    mutating func number(_ value: Double) {
        finite(value) { $0.append(contentsOf: value.description.utf8) }
    }

    /// Writes `value` rounded to `fractionDigits` decimals (0 to 9) as ``number(_:)-(Double)`` writes the
    /// rounded value, without the general shortest-digits search; NaN and infinities become `null`.
    mutating func number(_ value: Double, fractionDigits: Int) {
        finite(value) { DecimalText.append(&$0, value, fractionDigits: fractionDigits) }
    }

    /// Writes `value` rounded to `significantDigits` (1 to 15) as ``number(_:)-(Double)`` writes the
    /// rounded value; NaN and infinities become `null`.
    mutating func number(_ value: Double, significantDigits: Int) {
        finite(value) { DecimalText.append(&$0, value, significantDigits: significantDigits) }
    }

    /// Writes a value with `write` when `value` is finite, else `null`.
    @inline(__always)
    private mutating func finite(_ value: Double, _ write: (inout [UInt8]) -> Void) {
        separate()
        if value.isFinite { write(&bytes) } else { bytes.append(contentsOf: Self.nullText) }
        needsComma = true
    }

    /// Writes a number, or `null`.
    mutating func number(_ value: Double?) {
        if let value { number(value) } else { null() }
    }

    /// Writes an integer.
    mutating func integer(_ value: Int) {
        separate()
        LogNumber.appendInteger(&bytes, value)
        needsComma = true
    }

    /// Writes `true` or `false`.
    mutating func bool(_ value: Bool) {
        separate()
        bytes.append(contentsOf: value ? Self.trueText : Self.falseText)
        needsComma = true
    }

    /// Writes `null`.
    mutating func null() {
        separate()
        bytes.append(contentsOf: Self.nullText)
        needsComma = true
    }

    /// Writes an array of numbers.
    mutating func numbers(_ values: [Double]) {
        beginArray()
        for value in values { number(value) }
        endArray()
    }

    /// Writes `values` each rounded to `fractionDigits` decimals (0 to 9).
    mutating func numbers(_ values: [Double], fractionDigits: Int) {
        beginArray()
        for value in values { number(value, fractionDigits: fractionDigits) }
        endArray()
    }

    /// Writes an array of strings.
    mutating func strings(_ values: [String]) {
        beginArray()
        for value in values { string(value) }
        endArray()
    }

    // MARK: Members

    /// Writes `"name":` and an object whose members `body` writes.
    mutating func object(_ name: StaticString, _ body: (inout JSONWriter) -> Void) {
        key(name)
        object(body)
    }

    /// Writes an object whose members `body` writes.
    mutating func object(_ body: (inout JSONWriter) -> Void) {
        beginObject()
        body(&self)
        endObject()
    }

    /// Writes `"name":` and an array of `items`, each written by `body`.
    mutating func array<Item>(_ name: StaticString, _ items: [Item], _ body: (inout JSONWriter, Item) -> Void)
    {
        key(name)
        beginArray()
        for item in items { body(&self, item) }
        endArray()
    }

    /// Writes `"name":"value"` (or `null`).
    mutating func field(_ name: StaticString, _ value: String?) {
        key(name)
        string(value)
    }

    /// Writes `"name":number` (`null` for `nil` or a non-finite value).
    mutating func field(_ name: StaticString, _ value: Double?) {
        key(name)
        number(value)
    }

    /// Writes `"name":integer` (or `null`).
    mutating func field(_ name: StaticString, _ value: Int?) {
        key(name)
        if let value { integer(value) } else { null() }
    }

    /// Writes `"name":true` or `false`.
    mutating func field(_ name: StaticString, _ value: Bool) {
        key(name)
        bool(value)
    }

    /// Writes `"name":number` with the number rounded to `fractionDigits` decimals (0 to 9).
    mutating func field(_ name: StaticString, _ value: Double, fractionDigits: Int) {
        key(name)
        number(value, fractionDigits: fractionDigits)
    }

    /// Writes `"name":number` with the number rounded to `significantDigits` (1 to 15).
    mutating func field(_ name: StaticString, _ value: Double, significantDigits: Int) {
        key(name)
        number(value, significantDigits: significantDigits)
    }

    /// Writes `"name":[...]` of strings.
    mutating func field(_ name: StaticString, strings values: [String]) {
        key(name)
        strings(values)
    }

    /// Writes `"name":[...]` of numbers.
    mutating func field(_ name: StaticString, numbers values: [Double]) {
        key(name)
        numbers(values)
    }

    /// Writes text that is already a JSON value (a timestamp built with ``RFC3339Formatter``).
    mutating func rawValue(_ write: (inout [UInt8]) -> Void) {
        separate()
        write(&bytes)
        needsComma = true
    }

    private mutating func separate() {
        if needsComma { bytes.append(UInt8(ascii: ",")) }
    }

    private static let nullText: [UInt8] = Array("null".utf8)
    private static let trueText: [UInt8] = Array("true".utf8)
    private static let falseText: [UInt8] = Array("false".utf8)
    private static let hexDigits: [UInt8] = Array("0123456789abcdef".utf8)

    /// Appends `value` as a quoted JSON string: runs of bytes that need no escape are copied whole.
    static func appendEscaped(_ value: String, to bytes: inout [UInt8]) {
        // Native strings are contiguous: read them in place (no copy, no uniqueness check), and append
        // them whole when nothing needs escaping, which is every name and id the tracker writes.
        let done = value.utf8.withContiguousStorageIfAvailable { utf8 -> Bool in
            for byte in utf8 where byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") {
                return false
            }
            bytes.append(UInt8(ascii: "\""))
            bytes.append(contentsOf: utf8)
            bytes.append(UInt8(ascii: "\""))
            return true
        }
        if done == true { return }
        bytes.append(UInt8(ascii: "\""))
        var value = value
        value.withUTF8 { utf8 in
            var start = 0
            for index in 0..<utf8.count {
                let byte = utf8[index]
                guard byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") else {
                    continue
                }
                bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[start..<index]))
                bytes.append(UInt8(ascii: "\\"))
                switch byte {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"): bytes.append(byte)
                case 0x0A: bytes.append(UInt8(ascii: "n"))
                case 0x0D: bytes.append(UInt8(ascii: "r"))
                case 0x09: bytes.append(UInt8(ascii: "t"))
                case 0x08: bytes.append(UInt8(ascii: "b"))
                case 0x0C: bytes.append(UInt8(ascii: "f"))
                default:
                    bytes.append(contentsOf: [
                        UInt8(ascii: "u"), UInt8(ascii: "0"), UInt8(ascii: "0"), hexDigits[Int(byte >> 4)],
                        hexDigits[Int(byte & 0x0F)],
                    ])
                }
                start = index + 1
            }
            bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[start..<utf8.count]))
        }
        bytes.append(UInt8(ascii: "\""))
    }
}
