import CarbonTracker
import Foundation

/// A cgroup made for the command `carbontracker` wraps, so that the command's CPU time (its whole
/// process tree, children that already exited included) is read apart from everything else on the
/// machine.
///
/// Made under this process's own cgroup2 directory (found through `/proc/self/mountinfo`) when it can
/// be (root, or a delegated sub-tree); this process moves itself in just before starting the command,
/// which inherits it, and back out at once, so no process of the command escapes it. Where none can be
/// made, the scope is this process's tree from `/proc` instead (``fallbackScope``). Removed at the end.
struct CommandCgroup {
    /// The cgroup's directory and the directory this process came from.
    let directory: String
    private let origin: String

    /// The scope to measure when no cgroup could be made: this process and its descendants.
    static let fallbackScope = "process"

    /// Makes a cgroup for the command, or returns `nil` (no cgroup2, not permitted, or a scope was
    /// asked for explicitly).
    static func make(environment: [String: String]) -> CommandCgroup? {
        #if os(Linux)
            let requested = environment["CARBONTRACKER_SCOPE"]?.trimmingCharacters(in: .whitespaces) ?? ""
            guard requested.isEmpty || requested.lowercased() == "auto" else { return nil }
            let hierarchy = CgroupHierarchy(files: .system)
            guard let mount = hierarchy.unified, let path = hierarchy.unifiedPath,
                let origin = mount.directory(for: path)
            else { return nil }
            let directory = origin + (origin.hasSuffix("/") ? "" : "/") + "carbontracker-\(getpid())"
            guard mkdir(directory, 0o755) == 0 else { return nil }
            let cgroup = CommandCgroup(directory: directory, origin: origin)
            // A cgroup that does not accept processes (controllers enabled in its parent) is no use.
            guard cgroup.move(into: directory), cgroup.move(into: origin) else {
                cgroup.remove()
                return nil
            }
            return cgroup
        #else
            return nil
        #endif
    }

    /// Runs `start` (which starts the command) with this process inside the cgroup, so the command
    /// starts there; this process moves back out before returning.
    func starting<T, E: Error>(_ start: () throws(E) -> T) throws(E) -> T {
        _ = move(into: directory)
        defer { _ = move(into: origin) }
        return try start()
    }

    /// Removes the cgroup once the command's processes have left it (waits at most half a second).
    func remove() {
        for _ in 0..<50 {
            if rmdir(directory) == 0 || errno == ENOENT { return }
            usleep(10_000)
        }
    }

    private func move(into directory: String) -> Bool {
        let descriptor = open(directory + "/cgroup.procs", O_WRONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return false }
        defer { close(descriptor) }
        let text = Array("\(getpid())\n".utf8)
        return text.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) } == text.count
    }
}
