import Foundation

extension WorkScope {
    /// The processes in the scope now, for telling the scope's work on a GPU from other work.
    ///
    /// ```swift
    /// scope.processIDs()   // [4711, 4720] for a job's cgroup; nil for the machine
    /// ```
    ///
    /// A cgroup's processes are read from `cgroup.procs` of its directory and every directory below it
    /// (a Slurm job's steps and tasks); a process tree's from `/proc/<pid>/stat` of every process.
    /// Costs one small read per cgroup directory, or one per process for a tree (a few milliseconds).
    /// - Returns: The process IDs, or `nil` when the scope is the whole machine (every process is in it)
    ///   or its processes cannot be read.
    package func processIDs() -> Set<Int32>? {
        switch usage {
        case .machine:
            return nil
        case .cgroupV2(let file), .cgroupV1(let file):
            let directory = (file as NSString).deletingLastPathComponent
            var pids = Set<Int32>()
            var pending = [directory]
            var visited = 0  // a bound, in case a bind mount loops
            while let current = pending.popLast(), visited < 10_000 {
                visited += 1
                let text = ScopeFiles.readFile(current + "/cgroup.procs", limit: 1 << 20) ?? ""
                for line in text.split(separator: "\n") {
                    if let pid = Int32(line.trimmingCharacters(in: .whitespaces)) { pids.insert(pid) }
                }
                let entries = (try? FileManager.default.contentsOfDirectory(atPath: current)) ?? []
                for entry in entries {
                    var isDirectory: ObjCBool = false
                    let child = current + "/" + entry
                    if FileManager.default.fileExists(atPath: child, isDirectory: &isDirectory),
                        isDirectory.boolValue
                    {
                        pending.append(child)
                    }
                }
            }
            return FileManager.default.fileExists(atPath: directory + "/cgroup.procs") ? pids : nil
        case .processTree(let root):
            #if os(Linux)
                return ProcessTree.family(of: root)
            #else
                return nil
            #endif
        }
    }

    /// Whether this process sees process IDs as NVML reports them: false inside a PID namespace of its
    /// own (a container), where NVML's host PIDs cannot be matched to the scope's.
    /// - Parameter statusText: `/proc/self/status`, or `nil` to read it.
    /// - Returns: `true` when the `NSpid` line has one entry or is absent.
    package static func sharesHostPIDNamespace(statusText: String? = nil) -> Bool {
        #if os(Linux)
            guard let text = statusText ?? ScopeFiles.readFile("/proc/self/status", limit: 1 << 16) else {
                return true
            }
            for line in text.split(separator: "\n") where line.hasPrefix("NSpid:") {
                return line.dropFirst("NSpid:".count).split(whereSeparator: { $0 == " " || $0 == "\t" }).count
                    <= 1
            }
            return true
        #else
            return true
        #endif
    }
}
