import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// An exclusive `flock` on a file in a node-local directory, held while a process measures a source.
///
/// ```swift
/// switch NodeLock.tryAcquire(path: "/tmp/carbontracker-0/4711.0.node1.node.lock", holder: record) {
/// case .acquired(let lock, _): defer { lock.release() }   // measure
/// case .busy(let holder): print(holder?.description ?? "someone")   // leave it to them
/// case .failed(let reason): print(reason)
/// }
/// ```
///
/// The kernel drops the lock when its holder exits, however it exits (kill -9 included), so a lock is
/// never stale. The holder writes who it is into the file, which stays after it ends: a later
/// process can tell "never held" (empty file) from "held by a process that ended" (a record but no
/// lock). Costs one `open`, one `flock` and, when acquired, one small write: a few microseconds.
final class NodeLock: Sendable {
    /// The lock file.
    let path: String
    private let descriptor: LockedBox<Int32?>

    private init(path: String, descriptor: Int32) {
        self.path = path
        self.descriptor = LockedBox(descriptor)
    }

    deinit { release() }

    /// The outcome of one attempt.
    enum Attempt: Sendable {
        /// This process now holds the lock; the record of the process that held it before, if any.
        case acquired(NodeLock, previous: HolderRecord?)
        /// Another process (or another tracker in this one) holds it; its record when it wrote one.
        case busy(HolderRecord?)
        /// The file could not be created or locked: the sentence says why.
        case failed(String)
    }

    /// Tries once to take the lock, without waiting.
    /// - Parameters:
    ///   - path: The lock file; created when missing, never deleted (deleting races with lockers).
    ///   - holder: Written into the file once the lock is held.
    /// - Returns: Whether the lock was acquired, and if not, who holds it.
    static func tryAcquire(path: String, holder: HolderRecord) -> Attempt {
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else {
            return .failed("cannot open the lock file '\(path)': \(String(cString: strerror(errno))).")
        }
        while flock(fd, LOCK_EX | LOCK_NB) != 0 {
            if errno == EINTR { continue }
            let busy = errno == EWOULDBLOCK
            let reason = String(cString: strerror(errno))
            let record = busy ? readRecord(fd) : nil
            _ = close(fd)
            return busy ? .busy(record) : .failed("cannot lock '\(path)': \(reason).")
        }
        let previous = readRecord(fd)
        // Records have one length, so a write replaces the last one whole: truncating a file costs
        // hundreds of microseconds on ext4, this write a few.
        var text = Array(holder.description.utf8.prefix(HolderRecord.length - 1))
        text += Array(repeating: UInt8(ascii: " "), count: HolderRecord.length - 1 - text.count) + [0x0A]
        _ = text.withUnsafeBytes { pwrite(fd, $0.baseAddress, $0.count, 0) }
        return .acquired(NodeLock(path: path, descriptor: fd), previous: previous)
    }

    /// The record in a lock file, whether or not it is held; `nil` when none was ever written.
    static func record(at path: String) -> HolderRecord? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { _ = close(fd) }
        return readRecord(fd)
    }

    private static func readRecord(_ fd: Int32) -> HolderRecord? {
        var buffer = [UInt8](repeating: 0, count: HolderRecord.length)
        let count = buffer.withUnsafeMutableBytes { pread(fd, $0.baseAddress, $0.count, 0) }
        guard count > 0 else { return nil }
        return HolderRecord(parsing: String(decoding: buffer[0..<count], as: UTF8.self))
    }

    /// Whether this object still holds the lock.
    var isHeld: Bool { descriptor.withLock { $0 != nil } }

    /// Drops the lock (closing the file); harmless when already released.
    func release() {
        descriptor.withLock { fd in
            if let open = fd { _ = close(open) }
            fd = nil
        }
    }
}

/// Who holds (or last held) a lock: written into the lock file by its holder.
struct HolderRecord: Sendable, Equatable, CustomStringConvertible {
    /// Bytes of a record in the file: the text padded with spaces, then a newline.
    static let length = 256

    var processID: Int32
    var rank: Int?
    var localRank: Int?
    var nodeName: String
    /// When the lock was taken, in seconds since 1970.
    var sinceUnixSeconds: Double

    init(processID: Int32, rank: Int?, localRank: Int?, nodeName: String, sinceUnixSeconds: Double) {
        self.processID = processID
        self.rank = rank
        self.localRank = localRank
        self.nodeName = nodeName
        self.sinceUnixSeconds = sinceUnixSeconds
    }

    /// The record of `role` taking a lock now.
    init(role: DistributedRole, now: Date = Date()) {
        self.init(
            processID: role.processID, rank: role.rank, localRank: role.localRank, nodeName: role.nodeName,
            sinceUnixSeconds: now.timeIntervalSince1970)
    }

    /// `pid=4242 rank=0 local_rank=0 since=1767225600.25 node=node1` (the node last: it may hold spaces).
    var description: String {
        "pid=\(processID) rank=\(rank.map(String.init) ?? "?") local_rank=\(localRank.map(String.init) ?? "?") "
            + "since=\(sinceUnixSeconds) node=\(nodeName)"
    }

    init?(parsing text: String) {
        var fields: [Substring: Substring] = [:]
        var rest = Substring(text.trimmingCharacters(in: .whitespacesAndNewlines))
        while !rest.isEmpty {
            guard let equals = rest.firstIndex(of: "=") else { break }
            let key = rest[..<equals]
            let afterEquals = rest[rest.index(after: equals)...]
            if key == "node" {
                fields[key] = afterEquals
                break
            }
            let end = afterEquals.firstIndex(of: " ") ?? afterEquals.endIndex
            fields[key] = afterEquals[..<end]
            rest = end == afterEquals.endIndex ? "" : afterEquals[afterEquals.index(after: end)...]
        }
        guard let pid = fields["pid"].flatMap({ Int32($0) }) else { return nil }
        self.init(
            processID: pid, rank: fields["rank"].flatMap { Int($0) },
            localRank: fields["local_rank"].flatMap { Int($0) },
            nodeName: fields["node"].map(String.init) ?? "?",
            sinceUnixSeconds: fields["since"].flatMap { Double($0) } ?? 0)
    }

    /// "rank 0 (pid 4242)", or "pid 4242" when the holder's rank is unknown.
    var who: String {
        if let rank { return "rank \(rank) (pid \(processID))" }
        if let localRank { return "local rank \(localRank) (pid \(processID))" }
        return "pid \(processID)"
    }
}
