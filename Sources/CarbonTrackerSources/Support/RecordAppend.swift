import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Appending whole lines (records) or nothing, and keeping disk space for the file that matters
/// most: what the logs, the event log and the emissions CSV share so a full disk never leaves a line
/// cut in half for a parser to trip on.
extension FileWriting {
    /// Appends `bytes` (lines ending in `\n`) to a file opened with `O_APPEND`; on a failure, cuts the
    /// file back to the end of the last whole record written, so it never ends in a partial one.
    /// - Parameters:
    ///   - descriptor: An open descriptor of a regular file.
    ///   - bytes: Whole lines.
    ///   - recordEnds: Where records end in `bytes`, ascending, when a record spans several lines (a
    ///     log's epoch, whose lines Python's parser counts together); `nil` when each line is one.
    /// - Returns: `errno` of the failure, or 0.
    package static func appendRecords(_ descriptor: Int32, _ bytes: [UInt8], recordEnds: [Int]? = nil)
        -> Int32
    {
        let start = lseek(descriptor, 0, SEEK_END)
        let (written, error) = writeAll(descriptor, bytes)
        guard error != 0, written > 0, start >= 0 else { return error }
        let whole: Int
        if let recordEnds {
            whole = recordEnds.last { $0 <= written } ?? 0
        } else {
            whole = bytes[..<written].lastIndex(of: 0x0A).map { $0 + 1 } ?? 0
        }
        _ = ftruncate(descriptor, start + off_t(whole))
        return error
    }

    /// Reserves space on disk for the next `bytes` bytes after the end of the file, without changing
    /// its size (Linux `fallocate` with `FALLOC_FL_KEEP_SIZE`), so appends up to there cannot fail
    /// for want of space while other files fill the disk.
    /// - Returns: 0, `errno` of the failure (`ENOSPC`: the disk is nearly full), or `EOPNOTSUPP`
    ///   where the system or file system cannot reserve.
    package static func reserve(_ descriptor: Int32, bytes: Int) -> Int32 {
        #if os(Linux)
            guard let fallocate = fallocateFunction else { return EOPNOTSUPP }
            let end = lseek(descriptor, 0, SEEK_END)
            guard end >= 0 else { return errno }
            return fallocate(descriptor, 1 /* FALLOC_FL_KEEP_SIZE */, end, off_t(bytes)) == 0 ? 0 : errno
        #else
            return EOPNOTSUPP
        #endif
    }

    #if os(Linux)
        private typealias Fallocate = @convention(c) (Int32, Int32, off_t, off_t) -> Int32
        /// glibc's `fallocate`, which Swift does not import (it needs `_GNU_SOURCE`).
        private static let fallocateFunction: Fallocate? = {
            guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "fallocate") else { return nil }
            return unsafeBitCast(symbol, to: Fallocate.self)
        }()
    #endif
}
