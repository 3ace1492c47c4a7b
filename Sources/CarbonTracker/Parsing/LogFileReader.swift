import Foundation

/// Feeds a file's lines to a scanner as raw bytes, a chunk at a time, so a file of any size is read
/// in bounded memory and a log of a few kilobytes costs one `read` into a reused buffer.
///
/// Lines are found with `memchr` and handed over as ``LogBytes`` pointing into the buffer: no
/// decoding and no allocation per line.
package enum LogFileReader {
    /// The largest buffer a reader starts with; it grows beyond only to hold a long line.
    static let chunkBytes = 256 * 1024
    /// Longer lines are skipped: no carbontracker line comes near it, so such a line is garbage.
    static let maximumLineBytes = 1 << 20
    /// Warnings about single lines kept per file; the rest are counted, so a file of garbage cannot
    /// make one warning per line.
    static let lineWarningLimit = 20

    /// How the file ended.
    package struct Outcome {
        /// The last line had no newline (a write cut short); it was not passed on.
        var endedMidLine = false
        /// Lines longer than ``maximumLineBytes``; they were skipped.
        var longLines = 0
        /// The longest line the reader kept.
        var maximumLineBytes = LogFileReader.maximumLineBytes

        /// What a parse result says about a last line without its newline.
        var endedMidLineWarning: String? {
            guard endedMidLine else { return nil }
            return "The file ends in the middle of a line (the tracker was probably killed while writing); "
                + "the partial line was ignored."
        }

        /// What a parse result says about the skipped lines.
        var longLinesWarning: String? {
            guard longLines > 0 else { return nil }
            return "\(longLines) line(s) longer than \(maximumLineBytes) bytes were skipped "
                + "(not a carbontracker log?)."
        }
    }

    /// Memory a reader fills; one per thread, reused from file to file so that reading a small log
    /// allocates nothing.
    package final class Buffer {
        fileprivate var start: UnsafeMutablePointer<UInt8>
        fileprivate var capacity: Int
        /// The longest line kept; longer ones are skipped.
        let maximumLineBytes: Int

        /// Creates a buffer for `capacity` bytes (at most ``chunkBytes``); it grows up to
        /// ``LogFileReader/maximumLineBytes`` only for long lines.
        convenience init(capacity: Int = 64 * 1024) {
            self.init(
                capacity: max(4096, min(capacity, chunkBytes)),
                maximumLineBytes: LogFileReader.maximumLineBytes)
        }

        /// Creates a buffer of exactly `capacity` bytes that grows up to `maximumLineBytes`: small
        /// limits let a fuzzer reach the long-line paths with short inputs.
        package init(capacity: Int, maximumLineBytes: Int) {
            self.capacity = max(1, capacity)
            self.maximumLineBytes = max(self.capacity, maximumLineBytes)
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
        let buffer = Buffer(capacity: Int(clamping: info.st_size) &+ 1)
        return try forEachLine(
            descriptor: fd, knownBytes: Int(clamping: info.st_size), buffer: buffer, path: path, body)
    }

    /// Calls `body` with every complete line of an open regular file, without its line ending.
    ///
    /// `\n`, `\r\n` and a lone `\r` all end a line, as in Python's universal-newline reading.
    /// - Parameters:
    ///   - knownBytes: The file's size when it was examined: a short read that reaches it is the end
    ///     of the file, which saves the `read` that would return nothing.
    ///   - path: The file's path, for the error.
    /// - Throws: ``CarbonTrackerError`` with code `.logParseFailed` when a read fails.
    package static func forEachLine(
        descriptor fd: Int32, knownBytes: Int, buffer: Buffer, path: @autoclosure () -> String,
        _ body: (LogBytes) -> Void
    ) throws -> Outcome {
        var outcome = Outcome(maximumLineBytes: buffer.maximumLineBytes)
        var splitter = LineSplitter()
        var filled = 0
        var total = 0
        while true {
            if filled == buffer.capacity {
                if buffer.capacity >= buffer.maximumLineBytes {
                    if !splitter.skipping { outcome.longLines += 1 }
                    splitter.skipping = true
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
            let consumed = splitter.split(
                UnsafeBufferPointer(start: buffer.start, count: filled), from: searchedFrom, body)
            if consumed > 0 {
                memmove(buffer.start, buffer.start + consumed, filled - consumed)
                filled -= consumed
            }
            if atEnd { break }
        }
        outcome.endedMidLine = filled > 0 && !splitter.skipping
        return outcome
    }

    /// Finds the lines in a reader's buffer: each line ends at `\n`, `\r\n` or a lone `\r`. Keeps,
    /// from one call to the next, whether the last line ended with `\r` (so a `\n` that arrives in the
    /// next read completes `\r\n` rather than making an empty line) and whether a line is being skipped.
    struct LineSplitter {
        /// The line in progress is longer than the buffer allows: its bytes are dropped, and it is
        /// not passed on when its end arrives.
        var skipping = false
        /// The last line ending seen was a `\r`, and no byte has come after it yet.
        private var afterCarriageReturn = false

        /// Calls `body` with every line that ends in `bytes`.
        /// - Parameters:
        ///   - bytes: The unconsumed bytes: a line start at offset 0.
        ///   - from: Where bytes not yet examined begin; those before it hold no line ending.
        /// - Returns: The number of bytes consumed: up to and including the last line ending.
        mutating func split(_ bytes: UnsafeBufferPointer<UInt8>, from: Int, _ body: (LogBytes) -> Void)
            -> Int
        {
            guard let base = bytes.baseAddress, from < bytes.count else { return 0 }
            var lineStart = 0
            func end(at offset: Int) {
                let byte = base[offset]
                if byte == 0x0A && afterCarriageReturn && offset == lineStart {
                    // The `\n` of a `\r\n` whose `\r` ended the line before.
                    afterCarriageReturn = false
                    lineStart = offset + 1
                    return
                }
                if skipping {
                    skipping = false
                } else {
                    body(LogBytes(UnsafeBufferPointer(start: base + lineStart, count: offset - lineStart)))
                }
                afterCarriageReturn = byte == 0x0D
                lineStart = offset + 1
            }
            // Bytes came after that `\r` (the unconsumed ones before `from`, or a first byte other
            // than `\n`), so a `\n` now ends a line of its own.
            if afterCarriageReturn && (from > 0 || base[0] != 0x0A) { afterCarriageReturn = false }
            if memchr(base + from, 0x0D, bytes.count - from) == nil {
                // The usual case, no `\r` at all: `memchr` finds each `\n`.
                var offset = from
                while offset < bytes.count,
                    let found = memchr(base + offset, 0x0A, bytes.count - offset)
                {
                    let position = base.distance(to: found.assumingMemoryBound(to: UInt8.self))
                    end(at: position)
                    offset = position + 1
                }
            } else {
                for offset in from..<bytes.count where base[offset] == 0x0A || base[offset] == 0x0D {
                    end(at: offset)
                }
            }
            return lineStart
        }
    }

    /// Calls `body` with every line of an in-memory log; the last line counts even without a line
    /// ending (and is empty after a final one).
    static func forEachLine(text: String, _ body: (LogBytes) -> Void) {
        var contiguous = text
        contiguous.withUTF8 { bytes in
            var splitter = LineSplitter()
            let consumed = splitter.split(bytes, from: 0, body)
            body(LogBytes(UnsafeBufferPointer(rebasing: bytes[consumed...])))
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
