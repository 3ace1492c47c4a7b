import Foundation

/// A stretch of a log's raw bytes (a line, or part of one), read without decoding it.
///
/// ```swift
/// if let rest = line.after("Duration: ") { seconds = LogValue.duration(rest) }
/// ```
///
/// The markers carbontracker writes are ASCII, so matching them byte for byte never splits a
/// character; only the few values kept (device names, units, warnings) become `String`s, decoded
/// with U+FFFD for bytes that are not UTF-8. A `LogBytes` points into a buffer it does not own: it is
/// valid only during the call that hands it over. Cost: every operation is a pointer offset or one
/// pass over the bytes concerned; nothing allocates except ``string``.
package struct LogBytes {
    /// The bytes themselves.
    let bytes: UnsafeBufferPointer<UInt8>

    /// Wraps `bytes`, which must outlive every use of the result.
    init(_ bytes: UnsafeBufferPointer<UInt8>) { self.bytes = bytes }

    /// The number of bytes.
    var count: Int { bytes.count }
    /// Whether there are no bytes.
    var isEmpty: Bool { bytes.isEmpty }
    /// The first byte.
    var first: UInt8? { bytes.first }
    /// The last byte.
    var last: UInt8? { bytes.last }

    /// The byte at `offset` (0 ..< ``count``).
    subscript(offset: Int) -> UInt8 { bytes[offset] }

    /// The bytes decoded as UTF-8, invalid sequences as U+FFFD.
    var string: String { String(decoding: bytes, as: UTF8.self) }

    /// The bytes in single quotes for a warning, cut after 60 bytes (`'…'`), so a garbage line of a
    /// megabyte does not become a megabyte-long warning.
    var excerpt: String {
        let limit = 60
        return count <= limit ? "'\(string)'" : "'\(prefix(upTo: limit).string)…' (\(count) bytes)"
    }

    /// The bytes in `range` of offsets.
    subscript(range: Range<Int>) -> LogBytes { LogBytes(UnsafeBufferPointer(rebasing: bytes[range])) }

    /// The bytes from `offset` on.
    func suffix(from offset: Int) -> LogBytes { self[offset..<count] }
    /// The bytes before `offset`.
    func prefix(upTo offset: Int) -> LogBytes { self[0..<offset] }
    /// Without the first `n` bytes.
    func dropFirst(_ n: Int = 1) -> LogBytes { suffix(from: Swift.min(n, count)) }
    /// Without the last `n` bytes.
    func dropLast(_ n: Int = 1) -> LogBytes { prefix(upTo: Swift.max(0, count - n)) }

    /// The bytes up to the first `byte`, or all of them.
    func prefix(upToFirst byte: UInt8) -> LogBytes { prefix(upTo: firstIndex(of: byte) ?? count) }

    /// Without leading and trailing spaces and tabs.
    var trimmed: LogBytes {
        var start = 0
        var end = count
        while start < end, Self.isBlank(bytes[start]) { start += 1 }
        while end > start, Self.isBlank(bytes[end - 1]) { end -= 1 }
        return self[start..<end]
    }

    private static func isBlank(_ byte: UInt8) -> Bool { byte == 0x20 || byte == 0x09 }

    // MARK: Searching

    /// The offset of the first `byte`.
    func firstIndex(of byte: UInt8) -> Int? {
        guard let base = bytes.baseAddress, let found = memchr(base, Int32(byte), count) else { return nil }
        return base.distance(to: found.assumingMemoryBound(to: UInt8.self))
    }

    /// The offset of the last `byte`.
    func lastIndex(of byte: UInt8) -> Int? { bytes.lastIndex(of: byte) }

    /// Whether `byte` occurs.
    func contains(_ byte: UInt8) -> Bool { firstIndex(of: byte) != nil }

    /// Whether the bytes start with `prefix`.
    func hasPrefix(_ prefix: StaticString) -> Bool { matches(prefix, at: 0) }

    /// Whether the bytes end with `suffix`.
    func hasSuffix(_ suffix: StaticString) -> Bool { matches(suffix, at: count - suffix.utf8CodeUnitCount) }

    private func matches(_ text: StaticString, at offset: Int) -> Bool {
        let length = text.utf8CodeUnitCount
        guard offset >= 0, offset + length <= count else { return false }
        guard length > 0, let base = bytes.baseAddress else { return true }
        return memcmp(base + offset, text.utf8Start, length) == 0
    }

    /// The bytes after `prefix`, or `nil` when they do not start with it.
    func after(_ prefix: StaticString) -> LogBytes? {
        hasPrefix(prefix) ? suffix(from: prefix.utf8CodeUnitCount) : nil
    }

    /// Whether the bytes start with `prefix`, ignoring ASCII case; `prefix` is lower-case ASCII.
    func hasPrefix(ignoringCase prefix: StaticString) -> Bool {
        let length = prefix.utf8CodeUnitCount
        guard length <= count else { return false }
        let wanted = UnsafeBufferPointer(start: prefix.utf8Start, count: length)
        for offset in 0..<length where Self.lowercased(bytes[offset]) != wanted[offset] { return false }
        return true
    }

    /// Whether the bytes equal `text`, ignoring ASCII case; `text` is lower-case ASCII.
    func equals(ignoringCase text: StaticString) -> Bool {
        count == text.utf8CodeUnitCount && hasPrefix(ignoringCase: text)
    }

    /// Whether the bytes equal `text` exactly.
    func equals(_ text: StaticString) -> Bool { count == text.utf8CodeUnitCount && hasPrefix(text) }

    /// ASCII upper-case letters in lower case; every other byte unchanged. This is Unicode lower-casing
    /// for the markers: no other character lower-cases to a lone ASCII letter but the Kelvin sign
    /// ("k"), and no marker has a "k".
    private static func lowercased(_ byte: UInt8) -> UInt8 {
        byte >= 0x41 && byte <= 0x5A ? byte | 0x20 : byte
    }

    /// The offsets of the first (or last) occurrence of `needle`.
    func find(_ needle: StaticString, backwards: Bool = false) -> Range<Int>? {
        let length = needle.utf8CodeUnitCount
        guard length > 0, length <= count, let base = bytes.baseAddress else { return nil }
        let pattern = needle.utf8Start
        func matches(at start: Int) -> Bool { memcmp(base + start, pattern, length) == 0 }
        if backwards {
            var start = count - length
            while start >= 0 {
                if base[start] == pattern[0] && matches(at: start) { return start..<(start + length) }
                start -= 1
            }
            return nil
        }
        var from = 0
        let lastStart = count - length
        while from <= lastStart, let offset = suffix(from: from).firstIndex(of: pattern[0]) {
            let start = from + offset
            guard start <= lastStart else { return nil }
            if matches(at: start) { return start..<(start + length) }
            from = start + 1
        }
        return nil
    }

    /// Calls `body` with each non-empty piece between separator bytes, in order, until it returns `false`.
    /// - Returns: `false` when `body` stopped early.
    func forEachPiece(separatedBy isSeparator: (UInt8) -> Bool, _ body: (LogBytes) -> Bool) -> Bool {
        var start = 0
        for offset in 0...count where offset == count || isSeparator(bytes[offset]) {
            if offset > start, !body(self[start..<offset]) { return false }
            start = offset + 1
        }
        return true
    }
}
