import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Reads a small regular file (a key file, `/proc/cpuinfo`, a sysfs attribute, a checkpoint) with a
/// size limit, without ever blocking on a FIFO or reading a device.
///
/// ```swift
/// let bytes = try BoundedFile.read("/proc/cpuinfo", limit: BoundedFile.cpuinfoLimit).get()
/// ```
///
/// The file is opened with `O_NONBLOCK | O_CLOEXEC` (opening a FIFO returns at once), its type is
/// checked with `fstat` before any read, a regular file whose size is known to exceed `limit` is
/// refused before reading, and at most `limit + 1` bytes are ever read (procfs and sysfs report sizes
/// of 0 or 4096 whatever they hold). Cost: `open`, `fstat`, one or a few `read`s and `close`; memory
/// at most `limit + 1` bytes.
package enum BoundedFile {
    /// Why a file was not read.
    package struct Failure: Error, Equatable, Sendable {
        /// What was wrong with it.
        package enum Kind: Equatable, Sendable {
            /// `open`, `fstat` or `read` failed with this `errno`.
            case system(Int32)
            /// It is not a regular file (a FIFO, a device, a directory, a socket); the type's name.
            case notRegular(String)
            /// It holds more than the limit, in bytes.
            case tooLarge(limit: Int)
        }

        /// The file.
        package var path: String
        /// What was wrong.
        package var kind: Kind

        /// The `errno` when a system call failed.
        package var code: Int32? {
            if case .system(let code) = kind { return code }
            return nil
        }

        /// One line for a message: "cannot be opened: No such file or directory", "is a FIFO, not a
        /// regular file", "is larger than 1048576 bytes".
        package var reason: String {
            switch kind {
            case .system(let code): return String(cString: strerror(code))
            case .notRegular(let type): return "it is \(type), not a regular file"
            case .tooLarge(let limit): return "it is larger than \(limit) bytes"
            }
        }
    }

    /// The limit for a provider key file: keys are short.
    package static let keyFileLimit = 64 * 1024
    /// The limit for `/proc/cpuinfo`: a few KiB per logical CPU, for machines of a few thousand.
    package static let cpuinfoLimit = 16 * 1024 * 1024
    /// The limit for a sysfs or procfs attribute (one page, as the kernel gives).
    package static let attributeLimit = 4096
    /// The limit for a run's checkpoint file (one line per device).
    package static let checkpointLimit = 4 * 1024 * 1024

    /// The name of a file type, for a message.
    package static func typeName(_ mode: mode_t) -> String {
        switch mode & S_IFMT {
        case S_IFIFO: return "a FIFO"
        case S_IFCHR: return "a character device"
        case S_IFBLK: return "a block device"
        case S_IFDIR: return "a directory"
        case S_IFSOCK: return "a socket"
        case S_IFLNK: return "a symbolic link"
        default: return "not a regular file"
        }
    }

    /// Checks that `path` names a regular file (following symbolic links) without opening it, for
    /// what is opened by another reader (the dynamic loader).
    /// - Returns: `nil` when it is one, else why not.
    package static func checkRegular(_ path: String) -> Failure? {
        var info = stat()
        guard stat(path, &info) == 0 else { return Failure(path: path, kind: .system(errno)) }
        guard (info.st_mode & S_IFMT) == S_IFREG else {
            return Failure(path: path, kind: .notRegular(typeName(info.st_mode)))
        }
        return nil
    }

    /// Reads the whole of a regular file of at most `limit` bytes.
    /// - Parameters:
    ///   - path: The file.
    ///   - limit: The most bytes accepted.
    /// - Returns: The bytes, or why they were not read.
    package static func read(_ path: String, limit: Int) -> Result<[UInt8], Failure> {
        let descriptor = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)
        guard descriptor >= 0 else { return .failure(Failure(path: path, kind: .system(errno))) }
        defer { close(descriptor) }
        var info = stat()
        guard fstat(descriptor, &info) == 0 else {
            return .failure(Failure(path: path, kind: .system(errno)))
        }
        guard (info.st_mode & S_IFMT) == S_IFREG else {
            return .failure(Failure(path: path, kind: .notRegular(typeName(info.st_mode))))
        }
        if Int(clamping: info.st_size) > limit {
            return .failure(Failure(path: path, kind: .tooLarge(limit: limit)))
        }
        // One byte more than the limit, so a file that grew (or a pseudo-file whose size is not
        // reported) is seen to be too large without reading further.
        let capacity = min(limit, max(Int(clamping: info.st_size), 4096)) + 1
        var buffer = [UInt8](repeating: 0, count: capacity)
        var length = 0
        while true {
            if length == buffer.count {
                guard buffer.count <= limit else {
                    return .failure(Failure(path: path, kind: .tooLarge(limit: limit)))
                }
                buffer.append(
                    contentsOf: repeatElement(0, count: min(buffer.count, limit + 1 - buffer.count)))
            }
            let count = buffer.withUnsafeMutableBytes { bytes in
                Foundation.read(descriptor, bytes.baseAddress! + length, bytes.count - length)
            }
            if count < 0 {
                if errno == EINTR { continue }
                return .failure(Failure(path: path, kind: .system(errno)))
            }
            if count == 0 { break }
            length += count
        }
        if length > limit { return .failure(Failure(path: path, kind: .tooLarge(limit: limit))) }
        buffer.removeSubrange(length...)
        return .success(buffer)
    }

    /// ``read(_:limit:)`` as text; bytes that are not UTF-8 become U+FFFD.
    package static func readText(_ path: String, limit: Int) -> Result<String, Failure> {
        read(path, limit: limit).map { String(decoding: $0, as: UTF8.self) }
    }
}
