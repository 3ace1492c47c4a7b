import Foundation

/// Feeds a file's lines to a scanner a chunk at a time, so a file of any size is read in
/// bounded memory; bytes that are not UTF-8 become U+FFFD.
///
/// Each chunk is cut after its last newline and decoded into one `String`, whose lines are passed on
/// as `Substring`s: a log of a few kilobytes costs one `read`, one decoding and no per-line allocation.
/// The search for newlines is `memchr` on the raw bytes, so even an unoptimised build reads quickly.
enum LogFileReader {
    /// The most bytes read at a time.
    static let chunkBytes = 256 * 1024
    /// Longer lines are skipped: no carbontracker line comes near it, so such a line is garbage.
    static let maximumLineBytes = 1 << 20

    /// How the file ended.
    struct Outcome {
        /// The last line had no newline (a write cut short); it was not passed on.
        var endedMidLine = false
        /// Lines longer than ``maximumLineBytes``; they were skipped.
        var longLines = 0
    }

    /// Calls `body` with every complete line, without its `\n` (or `\r\n`).
    /// - Throws: ``CarbonTrackerError`` with code `.logParseFailed` when the file cannot be opened
    ///   or read, or is not a regular file.
    static func forEachLine(path: String, _ body: (Substring) -> Void) throws -> Outcome {
        let fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)
        guard fd >= 0 else { throw failure(path, "cannot be opened") }
        defer { _ = close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw failure(path, "cannot be examined") }
        guard (info.st_mode & S_IFMT) == S_IFREG else {
            throw CarbonTrackerError(.logParseFailed, "'\(path)' is not a regular file; it was skipped.")
        }
        var outcome = Outcome()
        // Sized to the file so that a small log costs one small read; grows only for long lines.
        var capacity = max(4096, min(chunkBytes, Int(info.st_size) + 1))
        var buffer = UnsafeMutablePointer<UInt8>.allocate(capacity: capacity)
        defer { buffer.deallocate() }
        var filled = 0
        var skippingLongLine = false
        while true {
            if filled == capacity {
                if capacity >= maximumLineBytes {
                    if !skippingLongLine { outcome.longLines += 1 }
                    skippingLongLine = true
                    filled = 0
                } else {
                    let larger = UnsafeMutablePointer<UInt8>.allocate(
                        capacity: min(capacity * 2, maximumLineBytes))
                    larger.update(from: buffer, count: filled)
                    buffer.deallocate()
                    buffer = larger
                    capacity = min(capacity * 2, maximumLineBytes)
                }
            }
            let count = read(fd, buffer + filled, capacity - filled)
            if count < 0 {
                if errno == EINTR { continue }
                throw failure(path, "cannot be read")
            }
            if count == 0 { break }
            let searchedFrom = filled
            filled += count
            guard let lastNewline = lastNewline(buffer, from: searchedFrom, to: filled) else { continue }
            var first = 0
            if skippingLongLine, let newline = memchr(buffer, 0x0A, filled) {
                first = buffer.distance(to: newline.assumingMemoryBound(to: UInt8.self)) + 1
                skippingLongLine = false
            }
            if first <= lastNewline {
                let text = String(
                    decoding: UnsafeBufferPointer(start: buffer + first, count: lastNewline - first),
                    as: UTF8.self)
                forEachLine(text: text, body)
            }
            let remaining = filled - (lastNewline + 1)
            memmove(buffer, buffer + lastNewline + 1, remaining)
            filled = remaining
        }
        outcome.endedMidLine = filled > 0 && !skippingLongLine
        return outcome
    }

    /// The offset of the last `\n` in `buffer[from..<to]`.
    private static func lastNewline(_ buffer: UnsafeMutablePointer<UInt8>, from: Int, to: Int) -> Int? {
        var index = to
        while index > from {
            index -= 1
            if buffer[index] == 0x0A { return index }
        }
        return nil
    }

    /// Calls `body` with every line of an in-memory log; the last line counts even without a newline.
    static func forEachLine(text: String, _ body: (Substring) -> Void) {
        var contiguous = text
        contiguous.withUTF8 { bytes in
            guard let base = bytes.baseAddress else {
                body(text[...])
                return
            }
            var start = 0
            while true {
                let end =
                    memchr(base + start, 0x0A, bytes.count - start).map {
                        base.distance(to: $0.assumingMemoryBound(to: UInt8.self))
                    } ?? bytes.count
                var lineEnd = end
                if lineEnd > start && base[lineEnd - 1] == 0x0D { lineEnd -= 1 }
                let utf8 = text.utf8
                body(
                    text[
                        utf8.index(
                            utf8.startIndex, offsetBy: start)..<utf8.index(utf8.startIndex, offsetBy: lineEnd)
                    ])
                guard end < bytes.count else { return }
                start = end + 1
            }
        }
    }

    private static func failure(_ path: String, _ what: String) -> CarbonTrackerError {
        let reason = String(cString: strerror(errno))
        return CarbonTrackerError(
            .logParseFailed,
            "'\(path)' \(what): \(reason). Check that the file exists and is readable by this user.")
    }
}
