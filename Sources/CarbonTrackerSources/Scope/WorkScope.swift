import Foundation

/// The work a tracker measures and the CPUs it holds: the whole machine, a Slurm job's cgroup, a
/// container's, a systemd scope's, or a process tree.
///
/// ```swift
/// let scope = try WorkScope.resolve(environment: ProcessInfo.processInfo.environment)
/// print(scope.label, scope.cpuCount, "of", scope.machineCPUCount)   // "job 4242 8 of 64"
/// ```
///
/// Resolved once per run from `/proc/self/mountinfo` and `/proc/self/cgroup` (two small reads);
/// its CPU time is read by the monitor at each sample (one small read for a cgroup).
public struct WorkScope: Sendable, Equatable {
    /// What kind of work the scope is.
    public enum Kind: String, Sendable {
        /// Everything on the machine.
        case machine
        /// A Slurm job's cgroup on this node (all its steps and tasks).
        case slurmJob = "slurm job"
        /// A container's cgroup.
        case container
        /// Another cgroup: a systemd scope or service, or one named by `CARBONTRACKER_SCOPE`.
        case cgroup
        /// A process and its descendants, read from `/proc` (no cgroup of their own).
        case processTree = "process tree"
    }

    /// How the scope's CPU time is read.
    package enum Usage: Sendable, Equatable {
        /// The busy time of the machine's CPUs in `/proc/stat`.
        case machine
        /// `usage_usec` in a cgroup2 `cpu.stat` file (the path).
        case cgroupV2(String)
        /// Nanoseconds in a v1 `cpuacct.usage` file (the path).
        case cgroupV1(String)
        /// A process tree from `/proc`, with `getrusage` for this process's children that exited.
        case processTree(pid: Int32)
    }

    /// What kind of work the scope is.
    public var kind: Kind
    /// The scope as the logs name it: "machine", "job 4242", "container 3f2a9c1b7d6e", "cgroup /system.slice/x.scope".
    public var label: String
    /// The CPUs the scope may run on.
    public var cpuCount: Int
    /// Which CPUs, when known (from a cpuset).
    public var cpuIDs: [Int]?
    /// The machine's online CPUs.
    public var machineCPUCount: Int
    /// Where ``cpuCount`` comes from: `cpuset.cpus.effective`, `SLURM_CPUS_ON_NODE` or `all online CPUs`.
    public var cpuSource: String
    /// The cgroup directory, when the scope is a cgroup.
    public var cgroupDirectory: String?
    /// How the scope's CPU time is read.
    package var usage: Usage

    /// Whether the scope holds the whole machine.
    public var holdsWholeMachine: Bool { kind == .machine || cpuCount >= machineCPUCount }

    /// The scope, its CPUs and where they come from, for `--diagnose` and the start of the log.
    public var summary: String {
        var text = "\(label) (\(kind.rawValue)), \(cpuCount) of \(machineCPUCount) CPUs (\(cpuSource))"
        if let cgroupDirectory { text += ", cgroup \(cgroupDirectory)" }
        return text
    }

    /// The words a component line ends with: `scope: job 4242, 8 of 64 CPUs`.
    public var shareDescription: String { "scope: \(label), \(cpuCount) of \(machineCPUCount) CPUs" }

    /// Resolves the scope of this process from `CARBONTRACKER_SCOPE` (`auto`, `machine` or a cgroup path).
    /// - Parameter environment: Where `CARBONTRACKER_SCOPE` and `SLURM_CPUS_ON_NODE` are read.
    /// - Returns: The scope.
    /// - Throws: ``CarbonTrackerError`` with code `.invalidConfiguration` when `CARBONTRACKER_SCOPE` names
    ///   no cgroup.
    public static func resolve(environment: [String: String]) throws -> WorkScope {
        try ScopeResolver(files: .system, environment: environment).resolve()
    }

    /// Parses a cpuset list (`0-3,8,10-11`).
    /// - Parameter text: The list as the kernel writes it.
    /// - Returns: The CPU ids, or `nil` when the text is empty or malformed.
    package static func cpuList(_ text: String) -> [Int]? {
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !trimmed.isEmpty else { return nil }
        var ids: [Int] = []
        for part in trimmed.split(separator: ",") {
            let bounds = part.split(separator: "-")
            guard bounds.count == 1 || bounds.count == 2, let low = Int(bounds[0]),
                let high = Int(bounds.count == 2 ? bounds[1] : bounds[0]), low >= 0, high >= low,
                high - low < 1 << 16
            else { return nil }
            ids.append(contentsOf: low...high)
        }
        return ids
    }
}
