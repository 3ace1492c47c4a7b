import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Why a small file could not be read: its path and the `errno` of the failing call.
struct SysfsReadError: Error, Equatable, Sendable {
    /// The file.
    var path: String
    /// The `errno` value.
    var code: Int32

    /// Whether the file exists but may not be read by this user.
    var isPermissionDenied: Bool { code == EACCES || code == EPERM }

    /// The system's words for ``code``.
    var reason: String { String(cString: strerror(code)) }
}

/// Reads small files such as sysfs attributes: the one seam between the RAPL reader and the kernel.
///
/// ```swift
/// let text = try SysfsReader.posix.read("/sys/class/powercap/intel-rapl:0/energy_uj").get()
/// ```
///
/// The POSIX reader costs one `open`, one `read` and one `close`; tests substitute a reader that
/// fails the way the kernel would (for instance with `EACCES` when they run as root, where file
/// modes do not deny reads).
struct SysfsReader: Sendable {
    /// Reads the whole file (at most 4 KiB, plenty for an attribute).
    var read: @Sendable (_ path: String) -> Result<String, SysfsReadError>

    /// The real file system.
    static let posix = SysfsReader { path in
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return .failure(SysfsReadError(path: path, code: errno)) }
        defer { close(descriptor) }
        var buffer = [UInt8](repeating: 0, count: 4096)
        var length = 0
        while length < buffer.count {
            let count = buffer.withUnsafeMutableBytes { bytes in
                Foundation.read(descriptor, bytes.baseAddress! + length, bytes.count - length)
            }
            if count < 0 {
                if errno == EINTR { continue }
                return .failure(SysfsReadError(path: path, code: errno))
            }
            if count == 0 { break }
            length += count
        }
        return .success(String(decoding: buffer[..<length], as: UTF8.self))
    }
}
