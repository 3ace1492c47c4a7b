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
        if bytes.count < longest { bytes.append(contentsOf: repeatElement(UInt8(ascii: " "), count: longest - bytes.count)) }
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

/// JSON text for the few values the package writes by hand (no JSONSerialization on hot paths).
enum JSONText {
    /// A JSON string literal with the characters JSON requires escaped.
    static func quoted(_ text: String) -> String {
        var result = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": result += "\\\""
            case "\\": result += "\\\\"
            case "\n": result += "\\n"
            case "\r": result += "\\r"
            case "\t": result += "\\t"
            case let c where c.value < 0x20:
                let hex = String(c.value, radix: 16)
                result += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: result.unicodeScalars.append(scalar)
            }
        }
        return result + "\""
    }

    /// A JSON number; `null` for NaN and infinities, which JSON cannot hold.
    static func number(_ value: Double) -> String {
        value.isFinite ? value.description : "null"
    }
}
