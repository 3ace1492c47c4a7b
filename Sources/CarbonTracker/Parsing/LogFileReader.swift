import Foundation

/// Feeds a file's lines to a scanner as raw bytes, a chunk at a time, so a file of any size is read
/// in bounded memory and a log of a few kilobytes costs one `read` into a reused buffer.
///
/// Lines are found with `memchr` and handed over as ``LogBytes`` pointing into the buffer: no
/// decoding and no allocation per line.
enum LogFileReader {
    /// The largest buffer a reader starts with; it grows beyond only to hold a long line.
    static let chunkBytes = 256 * 1024
    /// Longer lines are skipped: no carbontracker line comes near it, so such a line is garbage.
    static let maximumLineBytes = 1 << 20

    /// How the file ended.
    struct Outcome {
        /// The last line had no newline (a write cut short); it was not passed on.
        var endedMidLine = false
        /// Lines longer than ``maximumLineBytes``; they were skipped.
        var longLines = 0

        /// What a parse result says about the skipped lines.
        var longLinesWarning: String? {
            guard longLines > 0 else { return nil }
            return "\(longLines) line(s) longer than \(maximumLineBytes) bytes were skipped "
                + "(not a carbontracker log?)."
        }
    }

    /// Memory a reader fills; one per thread, reused from file to file so that reading a small log
    /// allocates nothing.
    final class Buffer {
        fileprivate var start: UnsafeMutablePointer<UInt8>
        fileprivate var capacity: Int

        /// Creates a buffer for `capacity` bytes (at most ``chunkBytes``); it grows up to
        /// ``maximumLineBytes`` only for long lines.
        init(capacity: Int = 64 * 1024) {
            self.capacity = max(4096, min(capacity, chunkBytes))
            start = .allocate(capacity: self.capacity)
        }

        deinit { start.deallocate() }

        fileprivate func grow() {
            let larger = min(capacity * 2, maximumLineBytes)
            let moved = UnsafeMutablePointer<UInt8>.allocate(capacity: larger)
            moved.update(from: start, count: capacity)
            start.deallocate()
            start = moved
            capacity = larger
        }
    }

    /// Opens a file, checks that it is a regular file and calls `body` with every complete line.
    /// - Throws: ``CarbonTrackerError`` with code `.logParseFailed` when the file cannot be opened
    ///   or read, or is not a regular file.
    static func forEachLine(path: String, _ body: (LogBytes) -> Void) throws -> Outcome {
        let fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)
        guard fd >= 0 else { throw failure(path, "cannot be opened", errno) }
        defer { _ = close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw failure(path, "cannot be examined", errno) }
        guard (info.st_mode & S_IFMT) == S_IFREG else {
            throw CarbonTrackerError(.logParseFailed, "'\(path)' is not a regular file; it was skipped.")
        }
        let buffer = Buffer(capacity: Int(info.st_size) + 1)
        return try forEachLine(
            descriptor: fd, knownBytes: Int(info.st_size), buffer: buffer, path: path, body)
    }

    /// Calls `body` with every complete line of an open regular file, without its `\n` (or `\r\n`).
    /// - Parameters:
    ///   - knownBytes: The file's size when it was examined: a short read that reaches it is the end
    ///     of the file, which saves the `read` that would return nothing.
    ///   - path: The file's path, for the error.
    /// - Throws: ``CarbonTrackerError`` with code `.logParseFailed` when a read fails.
    static func forEachLine(
        descriptor fd: Int32, knownBytes: Int, buffer: Buffer, path: @autoclosure () -> String,
        _ body: (LogBytes) -> Void
    ) throws -> Outcome {
        var outcome = Outcome()
        var filled = 0
        var total = 0
        var skippingLongLine = false
        while true {
            if filled == buffer.capacity {
                if buffer.capacity >= maximumLineBytes {
                    if !skippingLongLine { outcome.longLines += 1 }
                    skippingLongLine = true
                    filled = 0
                } else {
                    buffer.grow()
                }
            }
            let wanted = buffer.capacity - filled
            let count = read(fd, buffer.start + filled, wanted)
            if count < 0 {
                if errno == EINTR { continue }
                throw failure(path(), "cannot be read", errno)
            }
            if count == 0 { break }
            let searchedFrom = filled
            filled += count
            total += count
            // A short read at the known size is the end for a regular file; a size of 0 proves nothing.
            let atEnd = knownBytes > 0 && count < wanted && total >= knownBytes
            if let lastNewline = lastNewline(buffer.start, from: searchedFrom, to: filled) {
                var first = 0
                if skippingLongLine, let newline = memchr(buffer.start, 0x0A, filled) {
                    first = buffer.start.distance(to: newline.assumingMemoryBound(to: UInt8.self)) + 1
                    skippingLongLine = false
                }
                if first <= lastNewline {
                    forEachLine(
                        UnsafeBufferPointer(start: buffer.start + first, count: lastNewline - first), body)
                }
                let remaining = filled - (lastNewline + 1)
                memmove(buffer.start, buffer.start + lastNewline + 1, remaining)
                filled = remaining
            }
            if atEnd { break }
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
    static func forEachLine(text: String, _ body: (LogBytes) -> Void) {
        var contiguous = text
        contiguous.withUTF8 { forEachLine($0, body) }
    }

    /// Calls `body` with every line of `bytes`, split at `\n`, each without a `\r` before the `\n`;
    /// the part after the last `\n` is a line too, even when empty.
    private static func forEachLine(_ bytes: UnsafeBufferPointer<UInt8>, _ body: (LogBytes) -> Void) {
        let all = LogBytes(bytes)
        var start = 0
        while true {
            let end = all.suffix(from: start).firstIndex(of: 0x0A).map { start + $0 } ?? all.count
            var lineEnd = end
            if lineEnd > start && all[lineEnd - 1] == 0x0D { lineEnd -= 1 }
            body(all[start..<lineEnd])
            guard end < all.count else { return }
            start = end + 1
        }
    }

    /// The error for a file that cannot be opened, examined or read, with the reason `code` names.
    static func failure(_ path: String, _ what: String, _ code: Int32) -> CarbonTrackerError {
        CarbonTrackerError(
            .logParseFailed,
            "'\(path)' \(what): \(String(cString: strerror(code))). "
                + "Check that the file exists and is readable by this user.")
    }
}
