import Foundation

/// Writing a whole buffer to a file descriptor: the one loop that the logs, the console, the event log,
/// the Prometheus textfile and the emissions CSV share.
package enum FileWriting {
    /// Writes every byte of `bytes`, retrying interrupted and short writes.
    /// - Parameters:
    ///   - descriptor: An open descriptor.
    ///   - bytes: What to write.
    /// - Returns: The bytes written, and `errno` of the failure (`EIO` for a write that wrote nothing,
    ///   which would otherwise be retried forever), or 0.
    package static func writeAll(_ descriptor: Int32, _ bytes: [UInt8]) -> (written: Int, error: Int32) {
        bytes.withUnsafeBytes { buffer in
            var offset = 0
            while offset < buffer.count {
                let result = write(descriptor, buffer.baseAddress! + offset, buffer.count - offset)
                if result < 0 {
                    if errno == EINTR { continue }
                    return (offset, errno)
                }
                if result == 0 { return (offset, EIO) }
                offset += result
            }
            return (offset, 0)
        }
    }
}
