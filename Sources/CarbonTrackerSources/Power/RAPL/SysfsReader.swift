import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Why a small file could not be read: its path and the `errno` of the failing call.
package struct SysfsReadError: Error, Equatable, Sendable {
    /// The file.
    var path: String
    /// The `errno` value (`EINVAL` for a file that is not a regular one, `EFBIG` for one too large).
    var code: Int32
    /// Why, when it is more than ``code`` says (a FIFO, a device, a file too large).
    var detail: String? = nil

    /// Whether the file exists but may not be read by this user.
    var isPermissionDenied: Bool { code == EACCES || code == EPERM }

    /// The system's words for ``code``.
    package var reason: String { detail ?? String(cString: strerror(code)) }
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
package struct SysfsReader: Sendable {
    /// Reads the whole file: a regular file of at most 4 KiB, plenty for an attribute.
    package var read: @Sendable (_ path: String) -> Result<String, SysfsReadError>

    /// The real file system.
    package static let posix = SysfsReader { path in
        switch BoundedFile.readText(path, limit: BoundedFile.attributeLimit) {
        case .success(let text): return .success(text)
        case .failure(let failure):
            switch failure.kind {
            case .system(let code): return .failure(SysfsReadError(path: path, code: code))
            case .notRegular:
                return .failure(SysfsReadError(path: path, code: EINVAL, detail: failure.reason))
            case .tooLarge: return .failure(SysfsReadError(path: path, code: EFBIG, detail: failure.reason))
            }
        }
    }
}
