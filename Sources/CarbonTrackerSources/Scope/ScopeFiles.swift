import Foundation

/// Reads the small kernel files that describe the scope (`/proc/self/cgroup`, `/proc/stat`, `cpu.stat`,
/// `cpuset.cpus.effective`), under a root that tests point at a fake tree.
///
/// One `open`, a few bounded `read`s and one `close` per file; nothing is cached.
package struct ScopeFiles: Sendable {
    /// Prefixed to every absolute path: `""` for the real system.
    package var root: String

    /// The real system.
    package static let system = ScopeFiles(root: "")

    /// Files under `root`.
    /// - Parameter root: A directory standing for `/`.
    package init(root: String) {
        self.root = root.hasSuffix("/") ? String(root.dropLast()) : root
    }

    /// The path `absolute` names under the root.
    package func path(_ absolute: String) -> String { root + absolute }

    /// The text of `absolute` (under the root), at most `limit` bytes, or `nil` when it cannot be read.
    package func read(_ absolute: String, limit: Int = 65_536) -> String? {
        Self.readFile(path(absolute), limit: limit)
    }

    /// Whether `absolute` (under the root) is a directory.
    package func isDirectory(_ absolute: String) -> Bool {
        var isDirectory: ObjCBool = false
        return FileManager.default.fileExists(atPath: path(absolute), isDirectory: &isDirectory)
            && isDirectory.boolValue
    }

    /// Whether `absolute` (under the root) exists.
    package func exists(_ absolute: String) -> Bool { FileManager.default.fileExists(atPath: path(absolute)) }

    /// Reads at most `limit` bytes of the file at `path` (not under the root).
    package static func readFile(_ path: String, limit: Int) -> String? {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return nil }
        defer { close(descriptor) }
        var buffer = [UInt8](repeating: 0, count: min(limit, 16_384))
        var bytes: [UInt8] = []
        while bytes.count < limit {
            let count = buffer.withUnsafeMutableBytes { raw in
                Foundation.read(descriptor, raw.baseAddress!, min(raw.count, limit - bytes.count))
            }
            if count < 0 {
                if errno == EINTR { continue }
                return nil
            }
            if count == 0 { break }
            bytes.append(contentsOf: buffer[..<count])
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
