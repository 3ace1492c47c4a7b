import Foundation
import Testing

@testable import CarbonTracker
@testable import CarbonTrackerMonitor
@testable import CarbonTrackerSources

/// The two-node Slurm cluster of `scripts/slurm-test-cluster.sh`, reached through its `exec` command.
enum SlurmTestCluster {
    static let enabled = ProcessInfo.processInfo.environment["CARBONTRACKER_TEST_SLURM"] == "1"

    static let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent(
            "scripts/slurm-test-cluster.sh"
        )
        .path

    /// The DistributedTraining example, built next to `carbontracker`.
    static var trainingBinary: String? {
        guard let cli = CLIEndToEndTests.binary else { return nil }
        let path = URL(fileURLWithPath: cli).deletingLastPathComponent().appendingPathComponent(
            "DistributedTraining"
        ).path
        return FileManager.default.isExecutableFile(atPath: path) ? path : nil
    }

    /// A started `srun` (or any client command) whose output goes to files; ``wait()`` collects it.
    final class Command {
        let process = Process()
        let output: String

        init(_ arguments: [String], scratch: String) throws {
            output = scratch + "/srun-\(UUID().uuidString.prefix(8)).out"
            _ = FileManager.default.createFile(atPath: output, contents: nil)
            process.executableURL = URL(fileURLWithPath: "/bin/bash")
            process.arguments = [SlurmTestCluster.script, "exec"] + arguments
            let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: output))
            process.standardOutput = handle
            process.standardError = handle
            try process.run()
        }

        func wait() -> (status: Int32, output: String) {
            process.waitUntilExit()
            return (process.terminationStatus, (try? ParserTestSupport.read(output)) ?? "")
        }
    }

    /// Runs `arguments` (`srun ...`) to completion.
    static func run(_ arguments: [String], scratch: String) throws -> (status: Int32, output: String) {
        try Command(arguments, scratch: scratch).wait()
    }
}

/// A real Slurm job step of 2 nodes × 2 tasks, each task tracked by the CLI or by the library, must
/// count 2 node CPUs and 4 GPUs — not 4 CPUs — within 2% of the truth computed from the durations.
///
/// Runs when `CARBONTRACKER_TEST_SLURM=1` (set by `.ci/run` after `scripts/slurm-test-cluster.sh start`).
@Suite(
    .serialized,
    .enabled(
        if: SlurmTestCluster.enabled,
        "skipped: no Slurm cluster; run `scripts/slurm-test-cluster.sh start` as root (Debian's slurm-wlm and munge) and set CARBONTRACKER_TEST_SLURM=1"
    ),
    .enabled(if: CLIEndToEndTests.binary != nil, "build the carbontracker product first (swift build)"))
struct SlurmClusterTests {
    static let simulated = [
        "--sim-cpu", "Sim CPU", "--sim-cpu-tdp", "100", "--sim-gpu", "Sim GPU", "--sim-gpu-watts", "300",
    ]

    /// `srun -N2 -n4 --ntasks-per-node=2 env ... COMMAND`, with a lock directory of the test's own.
    static func srun(_ command: [String], locks: String) -> [String] {
        [
            "srun", "-N2", "-n4", "--ntasks-per-node=2", "env", "CARBONTRACKER_OFFLINE=1",
            "CARBONTRACKER_LOCK_DIR=\(locks)",
        ]
            + command
    }

    /// The truth of a run's devices: 150 W for its GPU, plus 50 W for its node's CPU when it is its
    /// node's local rank 0, over its logged epochs, in joules.
    static func truthJoules(_ run: LogParser.Entry) -> Double {
        let seconds = run.standardLog.epochs.compactMap(\.durationSeconds).reduce(0, +)
        return (run.standardLog.distributed?.localRank == 0 ? 200 : 150) * seconds
    }

    /// Checks one 2 × 2 job: every device once, energy within 2% of the truth and away from "4 + 4".
    static func checkJob(_ job: LogParser.Job) {
        #expect(job.total.nodes == ["node1", "node2"] && job.total.ranks == [0, 1, 2, 3])
        #expect(job.total.shape == "2 nodes × 4 ranks")
        let cpu = job.total.components.first { $0.name == "cpu" }
        let gpu = job.total.components.first { $0.name == "gpu" }
        #expect(
            cpu?.deviceIDs.map { $0.split(separator: "/").prefix(2).joined(separator: "/") } == [
                "node1/cpu", "node2/cpu",
            ])
        #expect(gpu?.deviceIDs.count == 4)
        let truth = job.runs.reduce(0) { $0 + truthJoules($1) }
        let measured = (cpu?.energyJoules ?? 0) + (gpu?.energyJoules ?? 0)
        #expect(
            abs(measured / truth - 1) < 0.02,
            "job \(job.total.jobID): measured \(measured) J, truth \(truth) J")
        let fourCPUs = job.runs.reduce(0) { sum, run in
            sum + 200 * run.standardLog.epochs.compactMap(\.durationSeconds).reduce(0, +)
        }
        #expect(abs(measured / fourCPUs - 1) > 0.05, "not 4 CPUs + 4 GPUs")
        print(
            "Slurm job \(job.total.jobID): measured \(String(format: "%.1f", measured)) J, truth "
                + "\(String(format: "%.1f", truth)) J (\(String(format: "%+.3f", (measured / truth - 1) * 100)) %), "
                + "4 CPUs + 4 GPUs would be \(String(format: "%.1f", fourCPUs)) J; \(job.total.summaryLine)")
    }

    @Test func theCLIInEveryTaskCountsEachDeviceOnceAndASecondJobIsSeparate() throws {
        let cli = try #require(CLIEndToEndTests.binary)
        let scratch = try ParserTestSupport.scratchDirectory()
        defer { ParserTestSupport.cleanUp(scratch) }
        let logs = scratch + "/logs"
        let tracked = [cli, "--log_dir", logs] + Self.simulated + ["--", "sleep", "2"]
        for _ in 0..<2 {
            let run = try SlurmTestCluster.run(
                Self.srun(tracked, locks: scratch + "/locks"), scratch: scratch)
            #expect(run.status == 0, "\(run.output)")
        }
        let list = try LogParser.jobs(logDir: logs)
        #expect(list.jobs.count == 2)
        #expect(Set(list.jobs.map(\.total.jobID)).count == 2)
        for job in list.jobs {
            #expect(job.runs.count == 4)
            Self.checkJob(job)
        }
        let aggregate = try LogParser.aggregateConsumption(logDir: logs)
        #expect(aggregate.runsCounted == 2)
        let parsed = try CLIEndToEndTests.run(["--parse", logs])
        #expect(parsed.standardOutput.split(separator: "\n").count == 3)
        #expect(parsed.standardOutput.hasPrefix("Job "))
    }

    @Test func theLibraryInEveryRankCountsEachDeviceOnce() throws {
        let training = try #require(
            SlurmTestCluster.trainingBinary, "build the DistributedTraining example first")
        let scratch = try ParserTestSupport.scratchDirectory()
        defer { ParserTestSupport.cleanUp(scratch) }
        let logs = scratch + "/logs"
        let command = [
            training, "--log-dir", logs, "--epochs", "3", "--epoch-seconds", "1", "--sim-cpu-tdp", "100",
            "--sim-gpu-watts", "300",
        ]
        let run = try SlurmTestCluster.run(Self.srun(command, locks: scratch + "/locks"), scratch: scratch)
        #expect(run.status == 0, "\(run.output)")
        #expect(run.output.contains("rank 0 of 4 (local rank 0 of 2) on node node1"))
        let job = try #require(try LogParser.jobs(logDir: logs).jobs.first)
        #expect(job.runs.allSatisfy { $0.standardLog.epochs.count == 3 })
        Self.checkJob(job)
    }

    @Test func killingOneRankMidRunStillCountsEachDeviceOnce() throws {
        let cli = try #require(CLIEndToEndTests.binary)
        let scratch = try ParserTestSupport.scratchDirectory()
        defer { ParserTestSupport.cleanUp(scratch) }
        let logs = scratch + "/logs"
        let pids = scratch + "/pids"
        try FileManager.default.createDirectory(atPath: pids, withIntermediateDirectories: true)
        // Each task's command records its tracker's pid (its parent) and then sleeps.
        let tracked =
            [cli, "--log_dir", logs] + Self.simulated
            + ["--", "sh", "-c", "echo $PPID > \(pids)/$SLURM_PROCID; exec sleep 6"]
        let srun = try SlurmTestCluster.Command(
            Self.srun(tracked, locks: scratch + "/locks"), scratch: scratch)
        let started = ContinuousClock.now
        let ready = CoreTest.eventually(within: 60) {
            let names = (try? FileManager.default.contentsOfDirectory(atPath: pids)) ?? []
            let logNames = (try? FileManager.default.contentsOfDirectory(atPath: logs)) ?? []
            return names.count == 4 && logNames.filter { $0.hasSuffix("Z_carbontracker.log") }.count == 4
        }
        #expect(ready, "the four tasks started")
        // Rank 0 is node1's local rank 0: the process measuring node1's CPU.
        let victim = try #require(
            Int32(try ParserTestSupport.read(pids + "/0").trimmingCharacters(in: .whitespacesAndNewlines)))
        Thread.sleep(forTimeInterval: 1.5)
        let killedAfter = (ContinuousClock.now - started) / .seconds(1)
        #expect(kill(victim, SIGKILL) == 0)
        let result = srun.wait()
        #expect(result.status != 0, "srun reports the killed task")

        let job = try #require(try LogParser.jobs(logDir: logs).jobs.first)
        #expect(job.runs.count == 4 && job.total.nodes == ["node1", "node2"])
        let killed = try #require(job.runs.first { $0.standardLog.distributed?.processID == victim })
        #expect(killed.actual == nil && killed.standardLog.distributed?.rank == 0)
        // Every device was measured from the start by exactly one process.
        let measuredIDs = job.runs.flatMap { $0.standardLog.distributed?.measured.map(\.id) ?? [] }
        #expect(measuredIDs.count == 6 && Set(measuredIDs).count == 6)
        // A take-over is of the node's CPU by the other rank on that node: node1's after the kill, and
        // possibly node2's when its measuring rank finished a moment before the other. Each node's CPU
        // is taken over at most once, so it is never measured by two processes at a time.
        var takenOver: [String] = []
        for run in job.runs {
            let node = run.standardLog.distributed?.nodeName ?? "?"
            for device in run.standardLog.distributed?.takenOver ?? [] {
                #expect(device.id == "\(node)/cpu/Sim CPU", "\(device.id) taken over on \(node)")
                takenOver.append(device.id)
            }
        }
        #expect(Set(takenOver).count == takenOver.count)

        // The survivors' devices are counted in full; the killed rank's at most up to its death.
        let survivors = job.runs.filter { $0.standardFile != killed.standardFile }
        let survivorsTruth = survivors.reduce(0) { $0 + Self.truthJoules($1) }
        let node1Rank1Seconds =
            survivors.first { $0.standardLog.distributed?.nodeName == "node1" }?.standardLog.epochs
            .compactMap(\.durationSeconds).reduce(0, +) ?? 0
        let upper = survivorsTruth + 50 * node1Rank1Seconds + 200 * killedAfter
        let measured = job.total.components.reduce(0) { $0 + $1.energyJoules }
        #expect(
            measured >= survivorsTruth * 0.98, "measured \(measured) J, survivors' truth \(survivorsTruth) J")
        #expect(measured <= upper * 1.02, "measured \(measured) J, at most \(upper) J")
        // The core's progress file holds the killed rank's energy up to its last checkpoint: its GPU and
        // node1's CPU until then, each once.
        if let checkpoint = LogParser.progress(ofStandardLog: killed.standardFile),
            killed.standardLog.epochs.isEmpty
        {
            let expected = survivorsTruth + 200 * checkpoint.elapsedSeconds
            #expect(abs(measured / expected - 1) < 0.02, "measured \(measured) J, expected \(expected) J")
        }
        print(
            "Slurm kill test: rank 0 killed after \(String(format: "%.1f", killedAfter)) s; job counts "
                + "\(String(format: "%.1f", measured)) J (survivors' truth \(String(format: "%.1f", survivorsTruth)) J, "
                + "bound \(String(format: "%.1f", upper)) J); \(job.total.warnings.joined(separator: " "))")
    }
}
