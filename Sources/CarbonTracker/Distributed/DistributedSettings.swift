/// How a tracker learns which job, node and rank it belongs to, overriding the launcher's environment.
///
/// ```swift
/// var options = TrackerOptions()
/// options.distributed = DistributedSettings(jobID: "run-42", rank: rank, localRank: localRank)
/// let tracker = try CarbonTracker(epochs: 10, options: options)
/// ```
///
/// Every field left `nil` is read from the environment (Slurm, torchrun, Open MPI, MPICH/PMI; see
/// ``DistributedRole/detect(environment:settings:hostName:)``). With no launcher detected and no job
/// set here, the tracker measures everything, as a single process does.
public struct DistributedSettings: Sendable, Equatable {
    /// `false` ignores every launcher: the process measures every device it sees, as before.
    public var isEnabled: Bool
    /// The job's identity, shared by all its ranks (Slurm job id, torchrun run id, ...).
    public var jobID: String?
    /// The job step, for launchers that run several in one job (Slurm's `srun`).
    public var step: String?
    /// The node's name, the same for every rank on it (else `SLURMD_NODENAME`, else the host name).
    public var nodeName: String?
    /// This process's rank in the job (0-based).
    public var rank: Int?
    /// This process's rank on its node (0-based); local rank 0 measures the node's shared sources.
    public var localRank: Int?
    /// The number of ranks in the job.
    public var worldSize: Int?
    /// The number of ranks on this node.
    public var localWorldSize: Int?
    /// A node-local directory for the lock files that elect the measuring process; `nil` reads
    /// `CARBONTRACKER_LOCK_DIR`, else uses `/tmp/carbontracker-<uid>`.
    public var lockDirectory: String?
    /// How long a process waits, in seconds, before it takes over a source whose designated owner
    /// never started measuring it. A source whose owner ended is taken over at once.
    public var takeOverGraceSeconds: Double

    /// Creates settings; every `nil` field is detected from the environment.
    /// - Parameters:
    ///   - isEnabled: `false` to measure everything as a single process.
    ///   - jobID: The job's identity.
    ///   - step: The job step.
    ///   - nodeName: The node's name.
    ///   - rank: This process's rank in the job.
    ///   - localRank: This process's rank on its node.
    ///   - worldSize: The number of ranks in the job.
    ///   - localWorldSize: The number of ranks on this node.
    ///   - lockDirectory: A node-local directory for lock files.
    ///   - takeOverGraceSeconds: Seconds to wait for a designated owner that never started.
    public init(
        isEnabled: Bool = true, jobID: String? = nil, step: String? = nil, nodeName: String? = nil,
        rank: Int? = nil, localRank: Int? = nil, worldSize: Int? = nil, localWorldSize: Int? = nil,
        lockDirectory: String? = nil, takeOverGraceSeconds: Double = 30
    ) {
        self.isEnabled = isEnabled
        self.jobID = jobID
        self.step = step
        self.nodeName = nodeName
        self.rank = rank
        self.localRank = localRank
        self.worldSize = worldSize
        self.localWorldSize = localWorldSize
        self.lockDirectory = lockDirectory
        self.takeOverGraceSeconds = takeOverGraceSeconds
    }

    /// Detect everything from the environment.
    public static let automatic = DistributedSettings()
    /// Ignore launchers: measure everything, as a single process.
    public static let disabled = DistributedSettings(isEnabled: false)
}
