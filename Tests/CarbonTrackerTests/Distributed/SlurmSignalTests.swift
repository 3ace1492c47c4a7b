import Foundation
import Testing

@testable import CarbonTracker
@testable import CarbonTrackerMonitor
@testable import CarbonTrackerSources

/// A real batch job warned of its time limit by Slurm (`sbatch --signal=B:USR1@30`): the signal goes
/// to the batch step's `carbontracker`, which forwards it to the training program; the program saves a
/// checkpoint and exits, and the run is logged with its epoch and final report.
///
/// Runs when `CARBONTRACKER_TEST_SLURM=1` (set by `.ci/run` after `scripts/slurm-test-cluster.sh start`).
@Suite(
    .enabled(
        if: SlurmTestCluster.enabled,
        "skipped: no Slurm cluster; run `scripts/slurm-test-cluster.sh start` as root (Debian's slurm-wlm and munge) and set CARBONTRACKER_TEST_SLURM=1"
    ),
    .enabled(if: CLIEndToEndTests.binary != nil, "build the carbontracker product first (swift build)"),
    .enabled(if: CCompiler.isAvailable, "needs a C compiler (cc) for the checkpointing program"))
struct SlurmSignalTests {
    @Test func theTimeLimitWarningReachesTheProgramAndTheRunIsLogged() throws {
        let cli = try #require(CLIEndToEndTests.binary)
        let scratch = try ParserTestSupport.scratchDirectory()
        defer { ParserTestSupport.cleanUp(scratch) }
        let program = scratch + "/checkpoint_on_signal"
        try CCompiler.buildCached("checkpoint_on_signal.c", to: program, shared: false)
        let logs = scratch + "/logs"
        // The batch shell execs carbontracker, so the batch step's signal (B:) reaches it, not a shell.
        let tracked = [
            "exec", "env", "CARBONTRACKER_OFFLINE=1", "CARBONTRACKER_LOCK_DIR=\(scratch)/locks", cli,
            "--log_dir", logs, "--sim-cpu", "SimCPU", "--sim-cpu-tdp", "100", "--", program,
            scratch + "/pid", scratch + "/records", scratch + "/checkpoint",
        ].joined(separator: " ")
        let started = ContinuousClock.now
        let job = try SlurmTestCluster.run(
            [
                "sbatch", "--wait", "--time=1", "--signal=B:USR1@30", "--output=\(scratch)/job.out",
                "--wrap", tracked,
            ], scratch: scratch)
        let seconds = (ContinuousClock.now - started) / .seconds(1)
        let output = (try? ParserTestSupport.read(scratch + "/job.out")) ?? ""
        #expect(job.status == 0, "sbatch: \(job.output) job: \(output)")
        #expect(
            (try? ParserTestSupport.read(scratch + "/checkpoint")) == "checkpoint\n",
            "the program checkpointed on USR1; job output: \(output)")
        // Signalled before the limit, not killed at it: no TERM reached the program.
        #expect(!((try? ParserTestSupport.read(scratch + "/records")) ?? "").contains("\(SIGTERM) "))
        let entry = try #require(try LogParser.parseAllLogs(logDir: logs).entries.first, "\(output)")
        #expect(entry.components.first?.epochDurationsSeconds?.count == 1, "the epoch is logged")
        #expect(entry.actual != nil, "the final report is logged")
        print("Slurm USR1 warning: job ended after \(String(format: "%.1f", seconds)) s with a checkpoint")
    }
}
