import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A one-line file rewritten in place with the running epoch's energy so far, so that a process
/// killed mid-epoch (`kill -9`, a node failure) loses at most one update interval of it.
///
/// One `pwrite` at offset 0 per interval; the line is padded with spaces to the longest line written,
/// so no stale tail remains. Created on first write, deleted when the run ends normally.
final class ProgressFile: @unchecked Sendable {
    // Touched only by the sampling thread (or the one thread that finishes a stuck run).
    private let path: String
    private var descriptor: Int32 = -1
    private var longest = 0
    private var failed = false

    init(path: String) { self.path = path }

    /// Replaces the file's content with `line`.
    func write(_ line: String) {
        guard !failed else { return }
        if descriptor < 0 {
            descriptor = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
            if descriptor < 0 {
                failed = true
                return
            }
        }
        var bytes = Array(line.utf8)
        bytes.append(UInt8(ascii: "\n"))
        if bytes.count < longest {
            bytes.append(contentsOf: repeatElement(UInt8(ascii: " "), count: longest - bytes.count))
        }
        longest = max(longest, bytes.count)
        let written = bytes.withUnsafeBytes { pwrite(descriptor, $0.baseAddress, $0.count, 0) }
        if written != bytes.count { failed = true }
    }

    /// Deletes the file: the run ended with its final report, so the logs hold everything.
    func remove() {
        if descriptor >= 0 {
            close(descriptor)
            descriptor = -1
        }
        unlink(path)
    }
}
