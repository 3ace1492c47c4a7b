import Foundation
import Testing

@testable import CarbonTracker
@testable import CarbonTrackerMonitor
@testable import CarbonTrackerSources

/// The built `carbontracker` started as torchrun and Open MPI start their workers: several processes at
/// once, each with the launcher's variables (no torch or MPI needed). They share this machine, one node.
@Suite(.enabled(if: CLIEndToEndTests.binary != nil, "build the carbontracker product first (swift build)"))
struct LauncherStyleTests {
    /// Starts one `carbontracker` per environment, all at once, and waits for every one.
    static func runRanks(
        _ environments: [[String: String]], logs: String, locks: String, seconds: String = "1"
    )
        throws
    {
        let executable = try #require(CLIEndToEndTests.binary)
        var processes: [Process] = []
        for extra in environments {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: executable)
            process.arguments = [
                "--log_dir", logs, "--sim-cpu", "Sim CPU", "--sim-cpu-tdp", "100", "--sim-gpu", "Sim GPU",
                "--sim-gpu-watts", "300", "--", "sleep", seconds,
            ]
            var environment = ProcessInfo.processInfo.environment.filter {
                !$0.key.hasPrefix("SLURM") && !$0.key.hasPrefix("OMPI_") && !$0.key.hasPrefix("PMI")
            }
            environment["CARBONTRACKER_OFFLINE"] = "1"
            environment["CARBONTRACKER_LOCK_DIR"] = locks
            environment.merge(extra) { $1 }
            process.environment = environment
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            processes.append(process)
        }
        for process in processes {
            process.waitUntilExit()
            #expect(process.terminationStatus == 0)
        }
    }

    /// The one job of `logs`, checked: one node CPU, one GPU per rank, energy within 2% of the truth
    /// (150 W per rank's GPU, 50 W for the CPU over the epochs of the rank that measured it).
    static func checkOneJob(in logs: String, ranks: Int, jobID: String) throws {
        let list = try LogParser.jobs(logDir: logs)
        #expect(list.jobs.count == 1)
        let job = try #require(list.jobs.first)
        #expect(job.total.jobID == jobID && job.total.processes == ranks && job.total.nodes.count == 1)
        #expect(job.total.components.first { $0.name == "cpu" }?.deviceIDs.count == 1)
        #expect(job.total.components.first { $0.name == "gpu" }?.deviceIDs.count == ranks)
        var truth = 0.0
        for run in job.runs {
            let seconds = run.standardLog.epochs.compactMap(\.durationSeconds).reduce(0, +)
            let measuresCPU = run.standardLog.distributed?.measured.contains { $0.kind == "cpu" } ?? false
            truth += (measuresCPU ? 200 : 150) * seconds
        }
        let measured = job.total.components.reduce(0) { $0 + $1.energyJoules }
        #expect(abs(measured / truth - 1) < 0.02, "measured \(measured) J, truth \(truth) J")
        #expect(
            job.runs.filter { $0.standardLog.distributed?.measured.contains { $0.kind == "cpu" } == true }
                .count == 1)
    }

    @Test func torchrunStyleWorkersCountTheNodeCPUOnce() throws {
        let scratch = try JobScratch()
        let (logs, locks) = (scratch.logs, scratch.locks)
        let ranks = (0..<4).map { rank in
            [
                "RANK": String(rank), "LOCAL_RANK": String(rank), "WORLD_SIZE": "4", "LOCAL_WORLD_SIZE": "4",
                "GROUP_RANK": "0", "TORCHELASTIC_RUN_ID": "torch-run-1", "TORCHELASTIC_RESTART_COUNT": "0",
                "MASTER_ADDR": "127.0.0.1", "MASTER_PORT": "29500",
            ]
        }
        try Self.runRanks(ranks, logs: logs, locks: locks)
        try Self.checkOneJob(in: logs, ranks: 4, jobID: "torch-run-1")
        let run = try #require(
            try LogParser.jobs(logDir: logs).jobs.first?.runs.first?.standardLog.distributed)
        #expect(run.launcher == "torchrun" && run.jobSource == "torchrun" && run.localWorldSize == 4)
    }

    @Test func openMPIStyleRanksCountTheNodeCPUOnce() throws {
        let scratch = try JobScratch()
        let (logs, locks) = (scratch.logs, scratch.locks)
        let ranks = (0..<3).map { rank in
            [
                "OMPI_COMM_WORLD_RANK": String(rank), "OMPI_COMM_WORLD_LOCAL_RANK": String(rank),
                "OMPI_COMM_WORLD_SIZE": "3", "OMPI_COMM_WORLD_LOCAL_SIZE": "3",
                "OMPI_COMM_WORLD_NODE_RANK": "0",
                "PMIX_NAMESPACE": "prterun-test-4242@1",
            ]
        }
        try Self.runRanks(ranks, logs: logs, locks: locks)
        try Self.checkOneJob(in: logs, ranks: 3, jobID: "prterun-test-4242@1")
    }

    @Test func trackersWithOnlyAJobIDElectOneCPUMeasurerByTheNodeLock() throws {
        let scratch = try JobScratch()
        let (logs, locks) = (scratch.logs, scratch.locks)
        try Self.runRanks(
            Array(repeating: ["CARBONTRACKER_JOB_ID": "sweep-3"], count: 3), logs: logs, locks: locks)
        try Self.checkOneJob(in: logs, ranks: 3, jobID: "sweep-3")
        let run = try #require(try LogParser.jobs(logDir: logs).jobs.first?.total)
        #expect(run.shape == "1 node × 3 ranks")  // ranks unknown: one per process
    }

    @Test func parsePrintsOneLinePerJobBeforeTheSentence() throws {
        let scratch = try JobScratch()
        let (logs, locks) = (scratch.logs, scratch.locks)
        try ParserTestSupport.copyPythonLogs(to: logs)
        try Self.runRanks(
            (0..<2).map {
                ["RANK": "\($0)", "LOCAL_RANK": "\($0)", "WORLD_SIZE": "2", "TORCHELASTIC_RUN_ID": "r9"]
            },
            logs: logs, locks: locks, seconds: "0.3")
        let run = try CLIEndToEndTests.run(["--parse", logs])
        #expect(run.status == 0, "\(run.standardError)")
        let aggregate = try LogParser.aggregateConsumption(logDir: logs)
        let job = try #require(aggregate.jobs.first)
        let lines = run.standardOutput.split(separator: "\n").map(String.init)
        #expect(lines == [job.summaryLine, aggregate.sentence])
        #expect(lines[0].hasPrefix("Job r9 (torchrun): 1 node × 2 ranks, 0:00:0"))
        // Each figure with its bounds after it: "… kWh (low–high), … g (low–high) CO2eq".
        #expect(lines[0].hasSuffix(") CO2eq") && lines[0].contains(" kWh (") && lines[0].contains(" g ("))
    }
}
