import Foundation

/// Feeds a file's lines to a scanner a chunk at a time, so a file of any size is read in
/// bounded memory; bytes that are not UTF-8 become U+FFFD.
///
/// Cost: one `open`, one `fstat` and one `read` per 256 KiB; a log of a few kilobytes is one read.
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
        var carry: [UInt8] = []
        var skippingLongLine = false
        // Sized to the file so that a small log costs one small read, not a 256 KiB buffer.
        let bufferBytes = max(4096, min(chunkBytes, Int(info.st_size) + 1))
        var chunk = [UInt8](repeating: 0, count: bufferBytes)
        while true {
            let count = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, bufferBytes) }
            if count < 0 {
                if errno == EINTR { continue }
                throw failure(path, "cannot be read")
            }
            if count == 0 { break }
            chunk.withUnsafeBufferPointer { buffer in
                var start = 0
                while start < count {
                    let rest = UnsafeBufferPointer(rebasing: buffer[start..<count])
                    guard let offset = rest.firstIndex(of: UInt8(ascii: "\n")) else {
                        if !skippingLongLine { carry.append(contentsOf: rest) }
                        if carry.count > maximumLineBytes {
                            outcome.longLines += 1
                            carry.removeAll(keepingCapacity: false)
                            skippingLongLine = true
                        }
                        return
                    }
                    let line = UnsafeBufferPointer(rebasing: rest[0..<offset])
                    if skippingLongLine {
                        skippingLongLine = false
                    } else if carry.isEmpty {
                        emit(line, body)
                    } else {
                        carry.append(contentsOf: line)
                        carry.withUnsafeBufferPointer { emit($0, body) }
                        carry.removeAll(keepingCapacity: true)
                    }
                    start += offset + 1
                }
            }
        }
        outcome.endedMidLine = !carry.isEmpty
        return outcome
    }

    private static func emit(_ bytes: UnsafeBufferPointer<UInt8>, _ body: (Substring) -> Void) {
        var line = bytes
        if let last = line.last, last == UInt8(ascii: "\r") { line = UnsafeBufferPointer(rebasing: line.dropLast()) }
        body(String(decoding: line, as: UTF8.self)[...])
    }

    /// Calls `body` with every line of an in-memory log; the last line counts even without a newline.
    static func forEachLine(text: String, _ body: (Substring) -> Void) {
        // "\r\n" is one Character in Swift, so it is a separator of its own.
        for line in text.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r\n" }) {
            body(line)
        }
    }

    private static func failure(_ path: String, _ what: String) -> CarbonTrackerError {
        let reason = String(cString: strerror(errno))
        return CarbonTrackerError(
            .logParseFailed,
            "'\(path)' \(what): \(reason). Check that the file exists and is readable by this user.")
    }
}
