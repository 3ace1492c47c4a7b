import Foundation

/// Finds the work a process belongs to: its Slurm job's cgroup, its container's, its systemd scope's,
/// or the whole machine; or the scope `CARBONTRACKER_SCOPE` names.
///
/// ```swift
/// let scope = try ScopeResolver(files: .system, environment: environment).resolve()
/// ```
///
/// Slurm's two layouts are both recognised by the `job_<id>` directory on the way up from the process's
/// cgroup: cgroup2 `…/slurmstepd.scope/job_<id>/step_<n>/user/task_<k>` and v1
/// `…/slurm/uid_<u>/job_<id>/step_<n>/…`; the job's directory holds every step and task on the node.
package struct ScopeResolver: Sendable {
    /// Where the kernel files are read.
    package var files: ScopeFiles
    /// `CARBONTRACKER_SCOPE`, `SLURM_CPUS_ON_NODE`.
    package var environment: [String: String]

    package init(files: ScopeFiles, environment: [String: String]) {
        self.files = files
        self.environment = environment
    }

    /// The scope asked for by `CARBONTRACKER_SCOPE`, for `process` (`"self"` or a pid).
    /// - Throws: ``CarbonTrackerError`` `.invalidConfiguration` when the variable names no cgroup.
    package func resolve(process: String = "self") throws -> WorkScope {
        let request = (environment["CARBONTRACKER_SCOPE"] ?? "").trimmingCharacters(in: .whitespaces)
        let hierarchy = CgroupHierarchy(files: files, process: process)
        switch request.lowercased() {
        case "", "auto":
            return automatic(hierarchy)
        case "machine":
            return machine()
        case "process":
            return processTree(getpid())
        default:
            guard let scope = named(request, hierarchy) else {
                throw CarbonTrackerError.invalidConfiguration(
                    "CARBONTRACKER_SCOPE names no cgroup with CPU accounting: '\(request)'. Give `auto`, `machine`, `process`, "
                        + "or a cgroup directory such as /sys/fs/cgroup/system.slice/train.scope "
                        + "(or its path inside the hierarchy, /system.slice/train.scope).")
            }
            return scope
        }
    }

    // MARK: Choices

    /// The whole machine.
    package func machine() -> WorkScope {
        let all = onlineCPUs()
        return WorkScope(
            kind: .machine, label: "machine", cpuCount: all.count, cpuIDs: all, machineCPUCount: all.count,
            cpuSource: "all online CPUs", cgroupDirectory: nil, usage: .machine)
    }

    /// `pid` and its descendants, on every CPU of the machine.
    package func processTree(_ pid: Int32) -> WorkScope {
        let all = onlineCPUs()
        return WorkScope(
            kind: .processTree, label: "process tree of \(pid)", cpuCount: all.count, cpuIDs: all,
            machineCPUCount: all.count, cpuSource: "all online CPUs", cgroupDirectory: nil,
            usage: .processTree(pid: pid))
    }

    /// A cgroup candidate: its path inside the hierarchy, its directory and how its CPU time is read.
    private struct Candidate {
        var path: String
        var directory: String
        var usage: WorkScope.Usage
        var version: Int
    }

    private func automatic(_ hierarchy: CgroupHierarchy) -> WorkScope {
        var candidates: [Candidate] = []
        if let path = hierarchy.unifiedPath, let mount = hierarchy.unified {
            candidates += candidate(path: path, mount: mount, version: 2)
        }
        if let path = hierarchy.legacyPaths["cpuacct"], let mount = hierarchy.legacyMount("cpuacct") {
            candidates += candidate(path: path, mount: mount, version: 1)
        }
        // A Slurm job, in either layout, whichever hierarchy shows it.
        for candidate in candidates {
            if let job = Self.slurmJob(in: candidate.path), let truncated = truncate(candidate, to: job.path)
            {
                return scope(truncated, kind: .slurmJob, label: "job \(job.id)", hierarchy: hierarchy)
            }
        }
        for candidate in candidates where candidate.path != "/" {
            if let container = Self.containerID(in: candidate.path) {
                let label = container.isEmpty ? "container" : "container \(container)"
                return scope(candidate, kind: .container, label: label, hierarchy: hierarchy)
            }
            return scope(candidate, kind: .cgroup, label: "cgroup \(candidate.path)", hierarchy: hierarchy)
        }
        // At the root of a namespaced hierarchy inside a container, the root is the container's cgroup.
        if let root = candidates.first, isContainer(), hierarchyIsNamespaced(hierarchy) {
            return scope(root, kind: .container, label: "container", hierarchy: hierarchy)
        }
        return machine()
    }

    private func named(_ request: String, _ hierarchy: CgroupHierarchy) -> WorkScope? {
        var found: Candidate?
        if request.hasPrefix("/"), files.isDirectory(request) {
            if files.exists(request + "/cpu.stat") {
                found = Candidate(
                    path: request, directory: request, usage: .cgroupV2(files.path(request + "/cpu.stat")),
                    version: 2)
            } else if files.exists(request + "/cpuacct.usage") {
                found = Candidate(
                    path: request, directory: request,
                    usage: .cgroupV1(files.path(request + "/cpuacct.usage")),
                    version: 1)
            }
        }
        if found == nil, let mount = hierarchy.unified {
            found = candidate(path: request, mount: mount, version: 2).first
        }
        if found == nil, let mount = hierarchy.legacyMount("cpuacct") {
            found = candidate(path: request, mount: mount, version: 1).first
        }
        guard let found else { return nil }
        if let job = Self.slurmJob(in: found.path) {
            return scope(found, kind: .slurmJob, label: "job \(job.id)", hierarchy: hierarchy)
        }
        return scope(found, kind: .cgroup, label: "cgroup \(found.path)", hierarchy: hierarchy)
    }

    private func candidate(path: String, mount: CgroupHierarchy.Mount, version: Int) -> [Candidate] {
        guard let directory = mount.directory(for: path) else { return [] }
        let file = directory + (version == 2 ? "/cpu.stat" : "/cpuacct.usage")
        guard files.exists(file) else { return [] }
        let usage: WorkScope.Usage = version == 2 ? .cgroupV2(files.path(file)) : .cgroupV1(files.path(file))
        return [Candidate(path: path, directory: directory, usage: usage, version: version)]
    }

    /// The candidate cut back to `path`, one of its ancestors.
    private func truncate(_ candidate: Candidate, to path: String) -> Candidate? {
        guard candidate.path.hasPrefix(path) else { return nil }
        let extra = candidate.path.count - path.count
        let directory = String(candidate.directory.dropLast(extra))
        let file = directory + (candidate.version == 2 ? "/cpu.stat" : "/cpuacct.usage")
        guard files.exists(file) else { return nil }
        let usage: WorkScope.Usage =
            candidate.version == 2 ? .cgroupV2(files.path(file)) : .cgroupV1(files.path(file))
        return Candidate(path: path, directory: directory, usage: usage, version: candidate.version)
    }

    private func scope(
        _ candidate: Candidate, kind: WorkScope.Kind, label: String, hierarchy: CgroupHierarchy
    )
        -> WorkScope
    {
        let machineCPUs = onlineCPUs()
        var cpus: [Int]?
        var source = "all online CPUs"
        if let held = cpuset(candidate, hierarchy) {
            cpus = held
            source = "cpuset.cpus.effective"
        }
        var count = cpus?.count ?? machineCPUs.count
        if cpus == nil,
            kind == .slurmJob || hierarchy.unifiedPath.map({ Self.slurmJob(in: $0) != nil }) == true,
            let slurm = environment["SLURM_CPUS_ON_NODE"].flatMap({ Int($0) }), slurm > 0
        {
            count = min(slurm, machineCPUs.count)
            source = "SLURM_CPUS_ON_NODE"
        }
        if cpus == nil && source == "all online CPUs" { cpus = machineCPUs }
        return WorkScope(
            kind: kind, label: label, cpuCount: max(1, count), cpuIDs: cpus,
            machineCPUCount: machineCPUs.count,
            cpuSource: source, cgroupDirectory: files.path(candidate.directory), usage: candidate.usage)
    }

    // MARK: CPUs

    /// The CPUs the cgroup may run on, from its cpuset (or its nearest ancestor's).
    private func cpuset(_ candidate: Candidate, _ hierarchy: CgroupHierarchy) -> [Int]? {
        if candidate.version == 2, let mount = hierarchy.unified {
            var directory = candidate.directory
            while directory.count >= mount.mountPoint.count {
                if let text = files.read(directory + "/cpuset.cpus.effective"),
                    let ids = WorkScope.cpuList(text)
                {
                    return ids
                }
                guard let slash = directory.lastIndex(of: "/"), slash != directory.startIndex else { break }
                directory = String(directory[..<slash])
            }
            return nil
        }
        guard let mount = hierarchy.legacyMount("cpuset") else { return nil }
        let path = hierarchy.legacyPaths["cpuset"] ?? candidate.path
        // Slurm's v1 job directory has the same path in the cpuset hierarchy as in cpuacct.
        let jobPath = Self.slurmJob(in: path).map(\.path) ?? path
        guard let directory = mount.directory(for: jobPath) else { return nil }
        for name in ["cpuset.effective_cpus", "cpuset.cpus"] {
            if let text = files.read(directory + "/" + name), let ids = WorkScope.cpuList(text) { return ids }
        }
        return nil
    }

    /// The machine's online CPUs (`/sys/devices/system/cpu/online`, else the `cpuN` lines of `/proc/stat`).
    package func onlineCPUs() -> [Int] {
        if let text = KernelPaths.onlineCPUs.flatMap({ files.read($0) }), let ids = WorkScope.cpuList(text) {
            return ids
        }
        if let stat = KernelPaths.stat.flatMap({ files.read($0, limit: 1 << 20) }) {
            let ids = ProcStat.perCPU(stat).map(\.cpu)
            if !ids.isEmpty { return ids }
        }
        return Array(0..<ProcessInfo.processInfo.activeProcessorCount)
    }

    // MARK: Names

    /// The Slurm job in a cgroup path: the `job_<id>` component and the path up to it.
    package static func slurmJob(in path: String) -> (id: String, path: String)? {
        var prefix = ""
        for component in path.split(separator: "/") {
            prefix += "/" + component
            if component.hasPrefix("job_"), component.count > 4, component.dropFirst(4).allSatisfy(\.isNumber)
            {
                return (String(component.dropFirst(4)), prefix)
            }
        }
        return nil
    }

    /// A container's id (first 12 characters) when a path component names a container runtime's cgroup;
    /// `""` for a container whose id is not in the path; `nil` for no container.
    package static func containerID(in path: String) -> String? {
        for component in path.split(separator: "/").reversed() {
            for prefix in ["docker-", "libpod-", "cri-containerd-", "crio-"] where component.hasPrefix(prefix)
            {
                let id = component.dropFirst(prefix.count).prefix { $0 != "." }
                return String(id.prefix(12))
            }
        }
        let components = path.split(separator: "/")
        if let index = components.firstIndex(where: { $0 == "docker" || $0 == "lxc" }),
            index + 1 < components.count
        {
            return String(components[index + 1].prefix(12))
        }
        if components.contains(where: { $0.hasPrefix("kubepods") }) { return "" }
        return nil
    }

    private func isContainer() -> Bool {
        KernelPaths.containerMarkers.contains { files.exists($0) }
    }

    private func hierarchyIsNamespaced(_ hierarchy: CgroupHierarchy) -> Bool {
        hierarchy.unifiedPath == "/" || hierarchy.legacyPaths["cpuacct"] == "/"
    }
}
