import Foundation
import Testing

@testable import CarbonTracker
@testable import CarbonTrackerMonitor
@testable import CarbonTrackerSources

/// Who a process is, read from each launcher's environment variables.
struct DistributedRoleTests {
    static let slurmTask: [String: String] = [
        "SLURM_JOB_ID": "4711", "SLURM_STEP_ID": "0", "SLURM_PROCID": "3", "SLURM_LOCALID": "1",
        "SLURM_NODEID": "1", "SLURMD_NODENAME": "node2", "SLURM_NTASKS": "4", "SLURM_JOB_NUM_NODES": "2",
        "SLURM_STEP_TASKS_PER_NODE": "2(x2)",
    ]

    @Test func slurmTaskGivesJobStepNodeAndRanks() throws {
        let role = try #require(DistributedRole.detect(environment: Self.slurmTask, hostName: "host"))
        #expect(role.launcher == "slurm")
        #expect(role.jobID == "4711" && role.jobSource == "slurm" && role.step == "0")
        #expect(role.nodeName == "node2")
        #expect(role.rank == 3 && role.localRank == 1 && role.worldSize == 4 && role.localWorldSize == 2)
        #expect(role.nodeRank == 1)
        #expect(role.summary == "rank 3 of 4 (local rank 1 of 2) on node node2, job 4711 step 0 (slurm)")
    }

    @Test(arguments: [("2(x2)", 1, 2), ("3,1", 1, 1), ("3,1", 0, 3), ("4", 0, 4), ("2(x3),1", 3, 1)])
    func slurmTasksPerNodeIsReadForThisNode(text: String, node: Int, expected: Int) throws {
        var environment = Self.slurmTask
        environment["SLURM_STEP_TASKS_PER_NODE"] = text
        environment["SLURM_NODEID"] = String(node)
        #expect(DistributedRole.detect(environment: environment, hostName: "h")?.localWorldSize == expected)
    }

    @Test func aSlurmBatchScriptHasNoRanksSoTheNodeLockElects() throws {
        let environment = [
            "SLURM_JOB_ID": "12", "SLURM_PROCID": "0", "SLURM_LOCALID": "0", "SLURM_TASKS_PER_NODE": "4",
            "SLURMD_NODENAME": "gpu07",
        ]
        let role = try #require(DistributedRole.detect(environment: environment, hostName: "h"))
        #expect(role.step == "batch")
        #expect(role.rank == nil && role.localRank == nil && role.localWorldSize == nil)
    }

    @Test func torchrunGivesRanksAndItsRunID() throws {
        let environment = [
            "RANK": "5", "LOCAL_RANK": "1", "WORLD_SIZE": "8", "LOCAL_WORLD_SIZE": "4", "GROUP_RANK": "1",
            "TORCHELASTIC_RUN_ID": "abc123", "TORCHELASTIC_RESTART_COUNT": "0",
        ]
        let role = try #require(DistributedRole.detect(environment: environment, hostName: "gpu-a"))
        #expect(role.launcher == "torchrun" && role.jobID == "abc123" && role.jobSource == "torchrun")
        #expect(role.rank == 5 && role.localRank == 1 && role.worldSize == 8 && role.localWorldSize == 4)
        #expect(role.nodeRank == 1 && role.nodeName == "gpu-a" && role.step == "0")
    }

    @Test func torchrunInsideASlurmStepTakesRanksFromTorchAndTheJobFromSlurm() throws {
        var environment = Self.slurmTask
        environment.merge(
            [
                "RANK": "6", "LOCAL_RANK": "2", "WORLD_SIZE": "8", "LOCAL_WORLD_SIZE": "4",
                "TORCHELASTIC_RUN_ID": "none",
                "TORCHELASTIC_RESTART_COUNT": "2",
            ]
        ) { $1 }
        let role = try #require(DistributedRole.detect(environment: environment, hostName: "h"))
        #expect(role.launcher == "slurm+torchrun")
        #expect(role.jobID == "4711" && role.jobSource == "slurm")
        #expect(role.rank == 6 && role.localRank == 2 && role.localWorldSize == 4)
        // A restarted torchrun worker group is a new step: its locks are new.
        #expect(role.step == "0+restart2")
    }

    @Test func openMPIGivesRanksAndItsJob() throws {
        let environment = [
            "OMPI_COMM_WORLD_RANK": "2", "OMPI_COMM_WORLD_LOCAL_RANK": "0", "OMPI_COMM_WORLD_SIZE": "4",
            "OMPI_COMM_WORLD_LOCAL_SIZE": "2", "OMPI_COMM_WORLD_NODE_RANK": "0",
            "PMIX_NAMESPACE": "prterun-h-77@1",
        ]
        let role = try #require(DistributedRole.detect(environment: environment, hostName: "h"))
        #expect(role.launcher == "openmpi" && role.jobID == "prterun-h-77@1")
        #expect(role.rank == 2 && role.localRank == 0 && role.worldSize == 4 && role.localWorldSize == 2)
    }

    @Test func mpichPMIGivesRanksAndAnUnknownJob() throws {
        let environment = ["PMI_RANK": "3", "PMI_SIZE": "4", "MPI_LOCALRANKID": "1", "MPI_LOCALNRANKS": "2"]
        let role = try #require(DistributedRole.detect(environment: environment, hostName: "h"))
        #expect(role.launcher == "mpich" && role.jobID == "unknown")
        #expect(role.rank == 3 && role.localRank == 1 && role.worldSize == 4 && role.localWorldSize == 2)
        let cray = ["PMI_RANK": "1", "PMI_LOCAL_RANK": "1", "PMI_SIZE": "2", "PBS_JOBID": "99.pbs"]
        let crayRole = try #require(DistributedRole.detect(environment: cray, hostName: "h"))
        #expect(crayRole.localRank == 1 && crayRole.jobID == "99.pbs" && crayRole.launcher == "pbs+mpich")
    }

    @Test func settingsOverrideTheEnvironmentAndCanTurnItOff() throws {
        let settings = DistributedSettings(
            jobID: "mine", nodeName: "n9", rank: 0, localRank: 0, localWorldSize: 1)
        let role = try #require(
            DistributedRole.detect(environment: Self.slurmTask, settings: settings, hostName: "h"))
        #expect(role.jobID == "mine" && role.jobSource == "settings" && role.nodeName == "n9")
        #expect(role.rank == 0 && role.localRank == 0 && role.localWorldSize == 1 && role.worldSize == 4)
        #expect(DistributedRole.detect(environment: Self.slurmTask, settings: .disabled) == nil)
        var off = Self.slurmTask
        off["CARBONTRACKER_DISTRIBUTED"] = "0"
        #expect(DistributedRole.detect(environment: off) == nil)
        let manual = try #require(
            DistributedRole.detect(environment: ["CARBONTRACKER_JOB_ID": "exp-7"], hostName: "h"))
        #expect(manual.jobID == "exp-7" && manual.localRank == nil && manual.launcher == "settings")
    }

    @Test func aPlainProcessIsNotDistributed() {
        #expect(DistributedRole.detect(environment: [:]) == nil)
        #expect(DistributedRole.detect(environment: ["RANK": "0"]) == nil)  // RANK alone is too common a name
        #expect(
            DistributedRole.describe(environment: [:])
                == "single process (no launcher detected): measures every device it sees")
    }

    @Test func describeSaysWhatTheRoleMeasures() {
        var environment = Self.slurmTask
        #expect(
            DistributedRole.describe(environment: environment).hasSuffix(
                "no node-shared source (local rank 0 does) and the GPUs it owns"))
        environment["SLURM_LOCALID"] = "0"
        #expect(
            DistributedRole.describe(environment: environment).contains(
                "node-shared sources (CPU, DRAM) as local rank 0"))
    }

    @Test func theHostNameIsReadWithoutNameResolution() {
        #expect(!DistributedRole.currentHostName().isEmpty)
    }
}
