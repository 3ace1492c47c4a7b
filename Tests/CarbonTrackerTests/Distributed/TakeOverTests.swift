import Foundation
import Testing

@testable import CarbonTracker
@testable import CarbonTrackerMonitor
@testable import CarbonTrackerSources

/// The core's side of the take-over: a rank that left the node's CPU to local rank 0 starts measuring
/// it once rank 0's tracker has ended, logs it, and never counts the CPU while rank 0 still does.
@Suite struct TakeOverTests {
    private static func environment(rank: Int) -> [String: String] {
        [
            "SLURM_JOB_ID": "909", "SLURM_STEP_ID": "0", "SLURM_PROCID": String(rank),
            "SLURM_LOCALID": String(rank), "SLURM_NODEID": "0", "SLURMD_NODENAME": "node1",
            "SLURM_NTASKS": "2",
            "SLURM_STEP_TASKS_PER_NODE": "2",
        ].merging(CoreTest.offline) { $1 }
    }

    private static func tracker(rank: Int, logDir: String, locks: String) throws -> CarbonTracker {
        try CarbonTracker(
            epochs: 10, epochsBeforePred: 0, updateInterval: 0.05, logDir: logDir, simCPU: "Sim CPU",
            simCPUTDP: 100,
            simGPU: "Sim GPU", simGPUWatts: 300,
            options: TrackerOptions(
                console: .silent, environment: environment(rank: rank),
                distributed: DistributedSettings(lockDirectory: locks)))
    }

    @Test func anotherRankTakesTheNodeCPUOverWhenItsMeasurerEnds() throws {
        let scratch = try JobScratch()
        let rank0 = try Self.tracker(rank: 0, logDir: scratch.logs, locks: scratch.locks)
        let rank1 = try Self.tracker(rank: 1, logDir: scratch.logs, locks: scratch.locks)
        // Both run an epoch; only rank 0 measures the CPU.
        for tracker in [rank0, rank1] { try tracker.epochStart() }
        Thread.sleep(forTimeInterval: 0.3)
        for tracker in [rank0, rank1] { try tracker.epochEnd() }
        try #require(
            CoreTest.eventually { rank0.epochMeasurements.count == 1 && rank1.epochMeasurements.count == 1 })
        #expect(rank0.epochMeasurements[0].components.map(\.kind) == [.gpu, .cpu])
        #expect(rank1.epochMeasurements[0].components.map(\.kind) == [.gpu])

        // Rank 0 ends (its lock is released); rank 1 trains on and takes the CPU over within a poll.
        try rank0.stop()
        var epochs = 1
        while epochs < 9 && !rank1.components.contains(where: { $0.kind == .cpu }) {
            try rank1.epochStart()
            Thread.sleep(forTimeInterval: 0.4)
            try rank1.epochEnd()
            epochs += 1
        }
        #expect(rank1.components.contains { $0.kind == .cpu }, "rank 1 took the CPU over")
        // Epochs that start after the take-over include the CPU, at its simulated power.
        try rank1.epochStart()
        Thread.sleep(forTimeInterval: 0.3)
        try rank1.epochEnd()
        try rank1.stop()
        let last = try #require(rank1.epochMeasurements.last)
        let cpu = try #require(last.components.first { $0.kind == .cpu })
        #expect(abs(cpu.joules[0] - 50 * last.durationSeconds) <= 0.01 * 50 * last.durationSeconds)
        let messages = CoreTest.messages(CoreTest.read(try #require(rank1.logFiles).standard))
        #expect(messages.contains { $0.hasPrefix("Distributed leave: cpu") })
        #expect(
            messages.contains { $0.hasPrefix("Distributed take-over: cpu") && $0.contains("from rank 0") })
    }
}
