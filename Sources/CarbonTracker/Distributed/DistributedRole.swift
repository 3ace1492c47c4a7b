import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Who this process is in a distributed job: job, step, node, rank and local rank.
///
/// ```swift
/// let role = DistributedRole.detect(environment: ProcessInfo.processInfo.environment)
/// role?.summary   // "rank 2 of 4 (local rank 0 of 2) on node node2, job 4711 step 0 (slurm)"
/// ```
///
/// Detection reads environment variables only: it costs microseconds and never blocks.
public struct DistributedRole: Sendable, Equatable {
    /// The launchers whose variables were read, innermost last ("slurm", "slurm+torchrun", "openmpi").
    public var launcher: String
    /// The job's identity; `"unknown"` when ranks are known but no launcher names the job.
    public var jobID: String
    /// Where ``jobID`` came from ("slurm", "torchrun", "openmpi", "pbs", "settings", ...).
    public var jobSource: String
    /// The job step ("0" for the first `srun`, "batch" for a Slurm batch script).
    public var step: String
    /// The node's name, the same for every rank on it.
    public var nodeName: String
    /// This process's rank in the job, when the launcher says.
    public var rank: Int?
    /// This process's rank on its node, when the launcher says.
    public var localRank: Int?
    /// The number of ranks in the job, when the launcher says.
    public var worldSize: Int?
    /// The number of ranks on this node, when the launcher says.
    public var localWorldSize: Int?
    /// The node's index in the job, when the launcher says.
    public var nodeRank: Int?
    /// This process's id.
    public var processID: Int32

    /// Creates a role.
    /// - Parameters:
    ///   - launcher: The launchers whose variables were read.
    ///   - jobID: The job's identity.
    ///   - jobSource: Where the job id came from.
    ///   - step: The job step.
    ///   - nodeName: The node's name.
    ///   - rank: The rank in the job.
    ///   - localRank: The rank on the node.
    ///   - worldSize: Ranks in the job.
    ///   - localWorldSize: Ranks on the node.
    ///   - nodeRank: The node's index in the job.
    ///   - processID: The process id.
    public init(
        launcher: String, jobID: String, jobSource: String, step: String, nodeName: String, rank: Int? = nil,
        localRank: Int? = nil, worldSize: Int? = nil, localWorldSize: Int? = nil, nodeRank: Int? = nil,
        processID: Int32 = getpid()
    ) {
        self.launcher = launcher
        self.jobID = jobID
        self.jobSource = jobSource
        self.step = step
        self.nodeName = nodeName
        self.rank = rank
        self.localRank = localRank
        self.worldSize = worldSize
        self.localWorldSize = localWorldSize
        self.nodeRank = nodeRank
        self.processID = processID
    }

    /// Reads the launcher's environment, with `settings` taking precedence over every variable.
    ///
    /// Ranks come from the innermost launcher that sets them: torchrun (`RANK`, `LOCAL_RANK`,
    /// `WORLD_SIZE`, `LOCAL_WORLD_SIZE`, `GROUP_RANK`), then Open MPI (`OMPI_COMM_WORLD_*`), then
    /// MPICH/PMI (`PMI_RANK`, `PMI_LOCAL_RANK` or `MPI_LOCALRANKID`, `PMI_SIZE`), then Slurm
    /// (`SLURM_PROCID`, `SLURM_LOCALID`, `SLURM_NTASKS`, `SLURM_NODEID`). The job id comes from
    /// `CARBONTRACKER_JOB_ID`, else the outermost scheduler (`SLURM_JOB_ID`, `PBS_JOBID`, `LSB_JOBID`),
    /// else the launcher (`TORCHELASTIC_RUN_ID`, `PMIX_NAMESPACE`, Open MPI's job id). The node is
    /// `SLURMD_NODENAME` when set, else the host name.
    /// - Parameters:
    ///   - environment: The process's environment variables.
    ///   - settings: Explicit values; `isEnabled == false` turns detection off.
    ///   - hostName: The host name, for the node when no launcher names it.
    /// - Returns: The role, or `nil` for a single process: detection is off, `CARBONTRACKER_DISTRIBUTED`
    ///   is `0`, or neither a launcher nor `settings` names a job or a rank.
    public static func detect(
        environment: [String: String], settings: DistributedSettings = .automatic,
        hostName: String = DistributedRole.currentHostName()
    ) -> DistributedRole? {
        guard settings.isEnabled else { return nil }
        if let flag = environment["CARBONTRACKER_DISTRIBUTED"]?.lowercased(),
            ["0", "off", "false", "no"].contains(flag)
        {
            return nil
        }
        let launchers = LauncherEnvironment.read(environment)
        let ranks =
            launchers.last { $0.ranks.rank != nil || $0.ranks.localRank != nil }?.ranks ?? RankNumbers()
        let explicitJob = settings.jobID ?? environment["CARBONTRACKER_JOB_ID"].flatMap(nonEmpty)
        let job = explicitJob.map { (id: $0, source: "settings") } ?? launchers.lazy.compactMap(\.job).first
        let anyRank = [settings.rank, settings.localRank, ranks.rank, ranks.localRank].contains { $0 != nil }
        guard job != nil || anyRank || settings.jobID != nil else { return nil }

        var names = launchers.map(\.name)
        if names.isEmpty { names = ["settings"] }
        let restart = environment["TORCHELASTIC_RESTART_COUNT"].flatMap { Int($0) } ?? 0
        var step = settings.step ?? launchers.lazy.compactMap(\.step).first ?? "0"
        if settings.step == nil && restart > 0 { step += "+restart\(restart)" }
        return DistributedRole(
            launcher: names.joined(separator: "+"), jobID: job?.id ?? "unknown",
            jobSource: job?.source ?? "none",
            step: step,
            nodeName: nodeName(environment: environment, settings: settings, hostName: hostName),
            rank: settings.rank ?? ranks.rank, localRank: settings.localRank ?? ranks.localRank,
            worldSize: settings.worldSize ?? ranks.worldSize,
            localWorldSize: settings.localWorldSize ?? ranks.localWorldSize, nodeRank: ranks.nodeRank)
    }

    /// This node's name: `settings.nodeName`, else `SLURMD_NODENAME`, else the host name; the same for
    /// every rank on the node, and known without a launcher too.
    static func nodeName(
        environment: [String: String], settings: DistributedSettings,
        hostName: @autoclosure () -> String = DistributedRole.currentHostName()
    ) -> String {
        settings.nodeName ?? environment["SLURMD_NODENAME"].flatMap(nonEmpty) ?? hostName()
    }

    /// The host name from `gethostname`, which never waits on name resolution.
    /// - Returns: The name, or "localhost" when it cannot be read.
    public static func currentHostName() -> String {
        var buffer = [CChar](repeating: 0, count: 256)
        guard gethostname(&buffer, buffer.count - 1) == 0 else { return "localhost" }
        let name = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return name.isEmpty ? "localhost" : name
    }

    /// One line for `--diagnose` and messages, e.g. "rank 2 of 4 (local rank 0 of 2) on node node2,
    /// job 4711 step 0 (slurm)".
    public var summary: String {
        "\(Self.position("rank", rank, of: worldSize)) (\(Self.position("local rank", localRank, of: localWorldSize))) "
            + "on node \(nodeName), job \(jobID) step \(step) (\(launcher))"
    }

    /// Whether this process is the one that should measure the node's shared sources first.
    var isDesignatedNodeMeasurer: Bool { localRank == 0 }

    static func position(_ name: String, _ value: Int?, of total: Int?) -> String {
        "\(name) \(value.map(String.init) ?? "?") of \(total.map(String.init) ?? "?")"
    }

    private static func nonEmpty(_ text: String) -> String? {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        return trimmed.isEmpty ? nil : trimmed
    }
}

extension DistributedRole {
    /// A description of the role detected from `environment`, for `--diagnose`.
    /// - Parameters:
    ///   - environment: The process's environment variables.
    ///   - settings: Explicit values, as in ``TrackerOptions/distributed``.
    /// - Returns: "single process (no launcher detected): measures every device it sees", or the role
    ///   and which sources it measures first.
    public static func describe(
        environment: [String: String], settings: DistributedSettings = .automatic
    ) -> String {
        guard let role = detect(environment: environment, settings: settings) else {
            return "single process (no launcher detected): measures every device it sees"
        }
        let shared =
            role.localRank == nil
            ? "node-shared sources (CPU, DRAM) if it wins the node lock"
            : role.isDesignatedNodeMeasurer
                ? "node-shared sources (CPU, DRAM) as local rank 0"
                : "no node-shared source (local rank 0 does)"
        return "\(role.summary): measures \(shared) and the GPUs it owns"
    }
}

/// The rank numbers one launcher's variables give.
struct RankNumbers: Sendable, Equatable {
    var rank: Int?
    var localRank: Int?
    var worldSize: Int?
    var localWorldSize: Int?
    var nodeRank: Int?
}

/// One launcher's variables as found in the environment.
struct LauncherEnvironment: Sendable, Equatable {
    var name: String
    var job: (id: String, source: String)?
    var step: String?
    var ranks: RankNumbers

    static func == (lhs: Self, rhs: Self) -> Bool {
        lhs.name == rhs.name && lhs.job?.id == rhs.job?.id && lhs.job?.source == rhs.job?.source
            && lhs.step == rhs.step && lhs.ranks == rhs.ranks
    }

    /// The launchers present, outermost (scheduler) first.
    static func read(_ environment: [String: String]) -> [LauncherEnvironment] {
        func text(_ name: String) -> String? {
            guard let value = environment[name]?.trimmingCharacters(in: .whitespaces), !value.isEmpty else {
                return nil
            }
            return value
        }
        func number(_ names: String...) -> Int? {
            for name in names { if let value = text(name).flatMap({ Int($0) }), value >= 0 { return value } }
            return nil
        }
        var found: [LauncherEnvironment] = []
        if let job = text("SLURM_JOB_ID") ?? text("SLURM_JOBID") {
            // A batch script is one task whatever the allocation's task count says, and every process it
            // starts reads the same SLURM_PROCID: there, ranks are unknown and the node lock elects.
            let step = text("SLURM_STEP_ID") ?? text("SLURM_STEPID")
            let ranks =
                step == nil
                ? RankNumbers(nodeRank: number("SLURM_NODEID"))
                : RankNumbers(
                    rank: number("SLURM_PROCID"), localRank: number("SLURM_LOCALID"),
                    worldSize: number("SLURM_STEP_NUM_TASKS", "SLURM_NTASKS", "SLURM_NPROCS"),
                    localWorldSize: slurmTasksOnNode(environment), nodeRank: number("SLURM_NODEID"))
            found.append(
                LauncherEnvironment(name: "slurm", job: (job, "slurm"), step: step ?? "batch", ranks: ranks))
        }
        for (variable, source) in [("PBS_JOBID", "pbs"), ("LSB_JOBID", "lsf")] {
            if let job = text(variable) {
                found.append(
                    LauncherEnvironment(name: source, job: (job, source), step: nil, ranks: RankNumbers()))
            }
        }
        let mpi = RankNumbers(
            rank: number("OMPI_COMM_WORLD_RANK"), localRank: number("OMPI_COMM_WORLD_LOCAL_RANK"),
            worldSize: number("OMPI_COMM_WORLD_SIZE"), localWorldSize: number("OMPI_COMM_WORLD_LOCAL_SIZE"),
            nodeRank: number("OMPI_COMM_WORLD_NODE_RANK"))
        if mpi.rank != nil || mpi.localRank != nil {
            let job =
                text("PMIX_NAMESPACE").map { ($0, "openmpi") } ?? text("OMPI_MCA_ess_base_jobid").map {
                    ($0, "openmpi")
                }
                ?? text("OMPI_MCA_orte_ess_jobid").map { ($0, "openmpi") }
            found.append(LauncherEnvironment(name: "openmpi", job: job, step: nil, ranks: mpi))
        } else if let rank = number("PMI_RANK", "PMIX_RANK") {
            let ranks = RankNumbers(
                rank: rank, localRank: number("PMI_LOCAL_RANK", "MPI_LOCALRANKID"),
                worldSize: number("PMI_SIZE"), localWorldSize: number("PMI_LOCAL_SIZE", "MPI_LOCALNRANKS"))
            let job = text("PMIX_NAMESPACE").map { ($0, "pmix") }
            found.append(LauncherEnvironment(name: "mpich", job: job, step: nil, ranks: ranks))
        }
        let torch = RankNumbers(
            rank: number("RANK"), localRank: number("LOCAL_RANK"), worldSize: number("WORLD_SIZE"),
            localWorldSize: number("LOCAL_WORLD_SIZE"), nodeRank: number("GROUP_RANK"))
        let runID = text("TORCHELASTIC_RUN_ID")
        // RANK alone is too common a name to mean torchrun; LOCAL_RANK or torchelastic's run id must be there too.
        if runID != nil || (torch.rank != nil && torch.localRank != nil) {
            let job = runID.flatMap { $0 == "none" ? nil : ($0, "torchrun") }
            found.append(LauncherEnvironment(name: "torchrun", job: job, step: nil, ranks: torch))
        }
        // The innermost launcher's ranks are this process's: torchrun inside srun, mpirun inside a batch job.
        return found.sorted { $0.depth < $1.depth }
    }

    private var depth: Int {
        switch name {
        case "slurm", "pbs", "lsf": return 0
        case "openmpi", "mpich": return 1
        default: return 2
        }
    }

    /// `SLURM_TASKS_PER_NODE` names the count per node ("2(x2)" or "3,1"); this node's is the entry at
    /// `SLURM_NODEID`.
    private static func slurmTasksOnNode(_ environment: [String: String]) -> Int? {
        guard let text = environment["SLURM_STEP_TASKS_PER_NODE"] ?? environment["SLURM_TASKS_PER_NODE"],
            let node = environment["SLURM_NODEID"].flatMap({ Int($0) })
        else { return nil }
        var counts: [Int] = []
        for entry in text.split(separator: ",") {
            let parts = entry.split(separator: "(")
            guard let count = Int(parts[0]) else { return nil }
            var repeats = 1
            if parts.count == 2, parts[1].hasPrefix("x"), parts[1].hasSuffix(")") {
                repeats = Int(parts[1].dropFirst().dropLast()) ?? 1
            }
            counts += Array(repeating: count, count: repeats)
        }
        return node < counts.count ? counts[node] : nil
    }
}
