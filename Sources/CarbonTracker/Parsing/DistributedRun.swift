extension LogParser {
    /// Who a run was in a distributed job, read from its "Distributed ..." lines.
    ///
    /// ```swift
    /// let run = try LogParser.parseStandardLog(file: path).distributed
    /// run?.jobID   // "4711"
    /// run?.measured.map(\.id)   // ["node1/cpu/Sim CPU", "node1/rank 0/gpu/Sim GPU"]
    /// ```
    public struct DistributedRun: Sendable, Equatable {
        /// The job's identity.
        public var jobID: String
        /// Where the job id came from ("slurm", "torchrun", "openmpi", "settings", ...).
        public var jobSource: String
        /// The job step.
        public var step: String
        /// The node's name.
        public var nodeName: String
        /// The rank in the job, when known.
        public var rank: Int?
        /// Ranks in the job, when known.
        public var worldSize: Int?
        /// The rank on the node, when known.
        public var localRank: Int?
        /// Ranks on the node, when known.
        public var localWorldSize: Int?
        /// The node's index in the job, when known.
        public var nodeRank: Int?
        /// The launchers detected ("slurm", "slurm+torchrun").
        public var launcher: String
        /// The process id.
        public var processID: Int32?
        /// Devices this run measured from its start.
        public var measured: [DistributedDevice] = []
        /// Devices it left to another process.
        public var left: [DistributedDevice] = []
        /// Devices it took over later.
        public var takenOver: [DistributedDevice] = []

        /// Creates a run record.
        /// - Parameters:
        ///   - jobID: The job's identity.
        ///   - jobSource: Where the job id came from.
        ///   - step: The job step.
        ///   - nodeName: The node's name.
        ///   - launcher: The launchers detected.
        public init(jobID: String, jobSource: String, step: String, nodeName: String, launcher: String) {
            self.jobID = jobID
            self.jobSource = jobSource
            self.step = step
            self.nodeName = nodeName
            self.launcher = launcher
        }

        /// The key runs of one job share: the job id qualified by where it came from.
        public var jobKey: String { jobSource.isEmpty ? jobID : "\(jobSource):\(jobID)" }
    }

    /// One device in a "Distributed measure/leave/take-over" line.
    public struct DistributedDevice: Sendable, Equatable {
        /// The component ("cpu", "gpu").
        public var kind: String
        /// The device's name.
        public var device: String
        /// The device's identity across the job (`node1/cpu/Xeon`, `node1/gpu/GPU-8f2a...`).
        public var id: String
        /// The rest of the line: the rule, the owner it was left to, or the gap of a take-over.
        public var detail: String

        /// Creates a device record.
        /// - Parameters:
        ///   - kind: The component.
        ///   - device: The device's name.
        ///   - id: The device's identity across the job.
        ///   - detail: The rest of the line.
        public init(kind: String, device: String, id: String, detail: String) {
            self.kind = kind
            self.device = device
            self.id = id
            self.detail = detail
        }
    }

    /// The last checkpoint of an epoch that never finished: the `..._carbontracker_progress.json` a
    /// killed run leaves beside its logs (the tracker rewrites it each update interval while an epoch
    /// runs and deletes it when the run ends normally).
    public struct EpochProgress: Sendable, Equatable {
        /// The epoch number.
        public var epoch: Int
        /// Seconds from the epoch's start to the checkpoint.
        public var elapsedSeconds: Double
        /// Energy per component since the epoch's start, per device, in joules (without PUE).
        public var joulesByComponent: [String: [Double]]

        /// Creates a checkpoint.
        /// - Parameters:
        ///   - epoch: The epoch number.
        ///   - elapsedSeconds: Seconds since the epoch's start.
        ///   - joulesByComponent: Joules per device by component name.
        public init(epoch: Int, elapsedSeconds: Double, joulesByComponent: [String: [Double]] = [:]) {
            self.epoch = epoch
            self.elapsedSeconds = elapsedSeconds
            self.joulesByComponent = joulesByComponent
        }

        /// The energy of every device, in joules (without PUE).
        public var totalJoules: Double { joulesByComponent.values.reduce(0) { $0 + $1.reduce(0, +) } }
    }
}
