/// The cgroup file systems mounted here and the cgroups a process belongs to, as
/// `/proc/self/mountinfo` and `/proc/<pid>/cgroup` describe them.
///
/// ```swift
/// let hierarchy = CgroupHierarchy(files: .system, process: "self")
/// hierarchy.unified?.directory(for: "/system.slice/job.scope")   // "/sys/fs/cgroup/system.slice/job.scope"
/// ```
///
/// The cgroup2 mount is found in `mountinfo`, not assumed at `/sys/fs/cgroup` (hybrid systems mount
/// it at `/sys/fs/cgroup/unified`, some at `/cgroup2`). Cost: two file reads, once per run.
package struct CgroupHierarchy: Sendable, Equatable {
    /// A mounted cgroup file system.
    package struct Mount: Sendable, Equatable {
        /// Where it is mounted.
        package var mountPoint: String
        /// The cgroup its mount point shows (`/` unless a container mounted a sub-tree).
        package var root: String
        /// 2 for cgroup2, 1 for a v1 hierarchy.
        package var version: Int
        /// The v1 controllers it carries (`cpu`, `cpuacct`, `cpuset`); empty for cgroup2.
        package var controllers: Set<String>

        /// The directory of the cgroup at `path` (a path inside the hierarchy), or `nil` when the
        /// mount does not show it.
        package func directory(for path: String) -> String? {
            var relative = path
            if root != "/" {
                guard path == root || path.hasPrefix(root + "/") else {
                    // A container's namespaced view: its paths are relative to the mount already.
                    return join(mountPoint, path)
                }
                relative = String(path.dropFirst(root.count))
            }
            return join(mountPoint, relative)
        }

        private func join(_ base: String, _ relative: String) -> String {
            let trimmed = relative.hasPrefix("/") ? String(relative.dropFirst()) : relative
            if trimmed.isEmpty { return base }
            return base.hasSuffix("/") ? base + trimmed : base + "/" + trimmed
        }
    }

    /// The cgroup2 mount, if any.
    package var unified: Mount?
    /// The v1 hierarchies, by mount.
    package var legacy: [Mount]
    /// The process's cgroup2 path (`0::…`), if it has one.
    package var unifiedPath: String?
    /// The process's v1 path per controller (`cpuacct` → `/slurm/uid_1000/job_42/step_0`).
    package var legacyPaths: [String: String]

    /// Reads the hierarchy and the cgroups of `process` (`"self"` or a pid).
    package init(files: ScopeFiles, process: String = "self") {
        let mounts = Self.mounts(
            fromMountInfo: KernelPaths.mountInfo.flatMap { files.read($0, limit: 1 << 20) } ?? "")
        unified = mounts.first { $0.version == 2 }
        legacy = mounts.filter { $0.version == 1 }
        (unifiedPath, legacyPaths) = Self.paths(
            fromProcCgroup: KernelPaths.cgroups(of: process).flatMap { files.read($0) } ?? "")
    }

    package init(unified: Mount?, legacy: [Mount], unifiedPath: String?, legacyPaths: [String: String]) {
        self.unified = unified
        self.legacy = legacy
        self.unifiedPath = unifiedPath
        self.legacyPaths = legacyPaths
    }

    /// The v1 mount carrying `controller`.
    package func legacyMount(_ controller: String) -> Mount? {
        legacy.first { $0.controllers.contains(controller) }
    }

    /// The cgroup mounts in `mountinfo` text: `ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTIONS … - TYPE SOURCE SUPER`.
    package static func mounts(fromMountInfo text: String) -> [Mount] {
        var mounts: [Mount] = []
        for line in text.split(separator: "\n") {
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            guard let dash = fields.firstIndex(of: "-"), dash >= 5, fields.count > dash + 1 else { continue }
            let type = fields[dash + 1]
            let superOptions =
                fields.count > dash + 3 ? fields[dash + 3].split(separator: ",").map(String.init) : []
            let root = unescape(String(fields[3]))
            let point = unescape(String(fields[4]))
            switch type {
            case "cgroup2":
                mounts.append(Mount(mountPoint: point, root: root, version: 2, controllers: []))
            case "cgroup":
                let known: Set<String> = ["cpu", "cpuacct", "cpuset"]
                mounts.append(
                    Mount(
                        mountPoint: point, root: root, version: 1,
                        controllers: Set(superOptions).intersection(known)))
            default:
                continue
            }
        }
        return mounts
    }

    /// The paths in `/proc/<pid>/cgroup` text: `0::/path` for cgroup2, `N:cpu,cpuacct:/path` for v1.
    package static func paths(fromProcCgroup text: String) -> (unified: String?, legacy: [String: String]) {
        var unified: String?
        var legacy: [String: String] = [:]
        for line in text.split(separator: "\n") {
            let parts = line.split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false)
            guard parts.count == 3 else { continue }
            let path = String(parts[2])
            if parts[0] == "0" && parts[1].isEmpty {
                unified = path
            } else {
                for controller in parts[1].split(separator: ",") { legacy[String(controller)] = path }
            }
        }
        return (unified, legacy)
    }

    /// Undoes mountinfo's octal escapes (`\040` for a space).
    private static func unescape(_ field: String) -> String {
        guard field.contains("\\") else { return field }
        var bytes: [UInt8] = []
        var utf8 = Array(field.utf8)[...]
        while let byte = utf8.popFirst() {
            if byte == UInt8(ascii: "\\"), utf8.count >= 3,
                let value = UInt8(String(decoding: utf8.prefix(3), as: UTF8.self), radix: 8)
            {
                bytes.append(value)
                utf8 = utf8.dropFirst(3)
            } else {
                bytes.append(byte)
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
