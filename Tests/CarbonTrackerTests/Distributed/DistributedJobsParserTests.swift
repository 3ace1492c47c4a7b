import Foundation
import Testing

@testable import CarbonTracker
@testable import CarbonTrackerMonitor
@testable import CarbonTrackerSources

/// A scratch directory holding `logs` and `locks`, removed when released.
final class JobScratch: Sendable {
    private let directory: TemporaryDirectory
    let logs: String
    let locks: String

    init() throws {
        directory = try TemporaryDirectory()
        logs = directory.file("logs")
        locks = directory.file("locks")
        for path in [logs, locks] {
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        }
    }
}

/// Trackers in every rank of a simulated 2-node job (in this process, with Slurm's variables), and the
/// parser's job totals over their logs.
struct DistributedJobsParserTests {
    /// Runs one tracker per rank of a `nodes` × `ranksPerNode` Slurm job step, epochs in lockstep.
    static func runJob(
        _ job: String, nodes: Int = 2, ranksPerNode: Int = 2, epochs: Int = 2, seconds: Double = 0.25,
        logDir: String, locks: String
    ) throws -> [CarbonTracker] {
        var trackers: [CarbonTracker] = []
        for rank in 0..<(nodes * ranksPerNode) {
            let environment = [
                "SLURM_JOB_ID": job, "SLURM_STEP_ID": "0", "SLURM_PROCID": String(rank),
                "SLURM_LOCALID": String(rank % ranksPerNode), "SLURM_NODEID": String(rank / ranksPerNode),
                "SLURMD_NODENAME": "node\(rank / ranksPerNode + 1)",
                "SLURM_NTASKS": String(nodes * ranksPerNode),
                "SLURM_STEP_TASKS_PER_NODE": "\(ranksPerNode)(x\(nodes))",
            ].merging(CoreTest.offline) { $1 }
            trackers.append(
                try CarbonTracker(
                    epochs: epochs, epochsBeforePred: 0, updateInterval: 0.05, logDir: logDir,
                    simCPU: "Sim CPU", simCPUTDP: 100, simGPU: "Sim GPU", simGPUWatts: 300,
                    options: TrackerOptions(
                        console: .silent, environment: environment,
                        distributed: DistributedSettings(lockDirectory: locks))))
        }
        for _ in 0..<epochs {
            for tracker in trackers { try tracker.epochStart() }
            Thread.sleep(forTimeInterval: seconds)
            for tracker in trackers { try tracker.epochEnd() }
        }
        for tracker in trackers { try tracker.stop() }
        return trackers
    }

    /// 150 W per GPU for each rank's epochs, 50 W per node CPU for its local rank 0's epochs, in joules.
    static func truthJoules(_ trackers: [CarbonTracker], ranksPerNode: Int = 2) -> Double {
        trackers.enumerated().reduce(0) { sum, pair in
            let seconds = pair.element.epochMeasurements.reduce(0) { $0 + $1.durationSeconds }
            return sum + (pair.offset % ranksPerNode == 0 ? 200 : 150) * seconds
        }
    }

    @Test func aJobCountsTwoNodeCPUsAndFourGPUsOnceAndASecondJobIsSeparate() throws {
        let scratch = try JobScratch()
        let (logs, locks) = (scratch.logs, scratch.locks)
        let first = try Self.runJob("101", logDir: logs, locks: locks)
        let second = try Self.runJob("102", nodes: 1, epochs: 1, logDir: logs, locks: locks)
        let list = try LogParser.jobs(logDir: logs)
        #expect(list.jobs.map(\.total.jobID) == ["101", "102"])
        let job = try #require(list.jobs.first?.total)
        #expect(job.nodes == ["node1", "node2"] && job.ranks == [0, 1, 2, 3] && job.processes == 4)
        #expect(job.shape == "2 nodes × 4 ranks")
        let cpu = try #require(job.components.first { $0.name == "cpu" })
        let gpu = try #require(job.components.first { $0.name == "gpu" })
        #expect(cpu.deviceIDs == ["node1/cpu/Sim CPU", "node2/cpu/Sim CPU"])
        #expect(Set(gpu.deviceIDs) == Set((0..<4).map { "node\($0 / 2 + 1)/rank \($0)/gpu/Sim GPU" }))

        let truth = Self.truthJoules(first)
        let measured = cpu.energyJoules + gpu.energyJoules
        #expect(abs(measured / truth - 1) < 0.02, "measured \(measured) J, truth \(truth) J")
        let doubleCounted = truth + 2 * 50 * first[1].epochMeasurements.reduce(0) { $0 + $1.durationSeconds }
        #expect(abs(measured / doubleCounted - 1) > 0.05)
        #expect(abs(job.energyKilowattHours - measured * 1.58 / 3_600_000) < 1e-12)
        // Every rank's own report adds up to the job's total.
        let reports = first.compactMap(\.actualConsumption)
        #expect(reports.count == 4)
        #expect(abs(reports.reduce(0) { $0 + $1.energyKilowattHours } / job.energyKilowattHours - 1) < 1e-6)
        #expect(abs(reports.reduce(0) { $0 + $1.co2eqGrams } / job.co2eqGrams - 1) < 1e-6)
        #expect(job.durationSeconds != nil && job.warnings.isEmpty)
        #expect(list.jobs.first?.runs.count == 4)

        let other = try #require(list.jobs.last?.total)
        #expect(other.nodes == ["node1"] && other.ranks == [0, 1])
        #expect(other.components.first { $0.name == "cpu" }?.deviceIDs == ["node1/cpu/Sim CPU"])
        let otherTruth = Self.truthJoules(second)
        #expect(abs(other.components.reduce(0) { $0 + $1.energyJoules } / otherTruth - 1) < 0.02)

        // The directory's aggregate counts each job once: the sum of the two jobs.
        let aggregate = try LogParser.aggregateConsumption(logDir: logs)
        #expect(aggregate.jobs.count == 2 && aggregate.runsCounted == 2)
        #expect(
            approximatelyEqual(
                aggregate.energyKilowattHours, job.energyKilowattHours + other.energyKilowattHours))
        #expect(approximatelyEqual(aggregate.co2eqGrams, job.co2eqGrams + other.co2eqGrams))
        // The full read gives the same totals as the aggregate-only read.
        #expect(aggregate == LogParser.Aggregate(try LogParser.parseAllLogs(logDir: logs)))
    }

    @Test func singleProcessRunsBesideAJobAreAddedAsBefore() throws {
        let scratch = try JobScratch()
        let (logs, locks) = (scratch.logs, scratch.locks)
        try ParserTestSupport.copyPythonLogs(to: logs)
        let pythonOnly = try LogParser.aggregateConsumption(logDir: ParserTestSupport.pythonLogs)
        _ = try Self.runJob("7", nodes: 1, epochs: 1, logDir: logs, locks: locks)
        let job = try #require(try LogParser.jobs(logDir: logs).jobs.first?.total)
        let aggregate = try LogParser.aggregateConsumption(logDir: logs)
        #expect(aggregate.runsCounted == pythonOnly.runsCounted + 1)
        #expect(
            approximatelyEqual(
                aggregate.energyKilowattHours, pythonOnly.energyKilowattHours + job.energyKilowattHours))
    }

    /// A rank killed in its second epoch: its standard log ends after epoch 1, without a report, and its
    /// progress file (when `progressEpoch` is set) holds the checkpoint of that epoch, as the core writes it.
    static func writeKilledRank(
        in directory: String, name: String, job: String, rank: Int, node: String, progressEpoch: Int?
    ) throws {
        let lines = [
            "carbontracker version 2.4.7-swift.1",
            "Only predicted and actual consumptions are multiplied by a PUE coefficient of 1.58 (Daniel Bizo, 2023, Uptime Institute Global Data Center Survey).",
            "Distributed run: job \(job) (slurm), step 0, node \(node), rank \(rank) of 4, local rank 0 of 2, node rank 0, launcher slurm, pid 999",
            "Distributed measure: gpu \"Sim GPU\" [\(node)/rank \(rank)/gpu/Sim GPU]; rule: a GPU source set up in this process belongs to it",
            "Distributed measure: cpu \"Sim CPU\" [\(node)/cpu/Sim CPU]; rule: local rank 0 measures the node-shared sources",
            "The following components were found: GPU with device(s) Sim GPU. CPU with device(s) Sim CPU.",
            "Monitoring thread started.",
            "Epoch 1:", "Duration: 0:00:02.00", "Average power usage (W) for gpu: 150.0",
            "Average power usage (W) for cpu: 50.0", "Measured energy (J) for gpu: 300.0 [method: simulated]",
            "Measured energy (J) for cpu: 100.0 [method: simulated]",
        ]
        let base = "\(directory)/\(name)_carbontracker"
        try ParserTestSupport.write(
            lines.map { "2026-01-01 10:00:0\(rank) - " + $0 }.joined(separator: "\n") + "\n",
            to: base + ".log")
        try ParserTestSupport.write(
            "2026-01-01 10:00:00 - CarbonTracker: The following components were found: GPU with device(s) Sim GPU.\n",
            to: base + "_output.log")
        if let epoch = progressEpoch {
            try ParserTestSupport.write(
                "{\"schema\":\"carbontracker.progress/1\",\"epoch\":\(epoch),\"elapsed_seconds\":1.5,"
                    + "\"time\":\"2026-01-01T10:00:04Z\",\"components\":["
                    + "{\"component\":\"gpu\",\"devices\":[\"Sim GPU\"],\"energy_joules\":[225.0],\"method\":\"simulated\"},"
                    + "{\"component\":\"cpu\",\"devices\":[\"Sim CPU\"],\"energy_joules\":[75.0],\"method\":\"simulated\"}]}\n        ",
                to: base + "_progress.json")
        }
    }

    @Test func aKilledRankCountsItsFinishedEpochsAndItsLastCheckpointOnce() throws {
        let logs = try ParserTestSupport.scratchDirectory()
        defer { ParserTestSupport.cleanUp(logs) }
        try Self.writeKilledRank(in: logs, name: "a", job: "66", rank: 0, node: "node1", progressEpoch: 2)
        try Self.writeKilledRank(in: logs, name: "b", job: "66", rank: 2, node: "node2", progressEpoch: nil)
        #expect(
            LogParser.progress(ofStandardLog: "\(logs)/a_carbontracker.log")
                == LogParser.EpochProgress(
                    epoch: 2, elapsedSeconds: 1.5, joulesByComponent: ["gpu": [225.0], "cpu": [75.0]]))
        let log = try LogParser.parseStandardLog(file: "\(logs)/a_carbontracker.log")
        #expect(log.distributed?.measured.map(\.id) == ["node1/rank 0/gpu/Sim GPU", "node1/cpu/Sim CPU"])
        let job = try #require(try LogParser.jobs(logDir: logs).jobs.first?.total)
        // a: 400 J finished + 300 J checkpoint; b: 400 J finished, no checkpoint.
        #expect(job.components.map(\.name) == ["gpu", "cpu"])
        let expected: [Double] = [825, 275]
        #expect(job.components.map(\.energyJoules) == expected)
        #expect(job.warnings.count == 3)
        #expect(job.warnings[0].contains("counted up to its last checkpoint, 0:00:01.50 into epoch 2"))
        #expect(job.warnings[1].contains("only its finished epochs are counted"))
        #expect(job.warnings[2] == "No run of this job logged a carbon intensity; its CO2eq is left at 0 g.")
        #expect(job.co2eqGrams == 0)
        let aggregate = try LogParser.aggregateConsumption(logDir: logs)
        #expect(approximatelyEqual(aggregate.energyKilowattHours, 1100 * 1.58 / 3_600_000))
        #expect(aggregate.warnings.contains { $0.file == "job 66" })
    }

    @Test func aCheckpointOfAnEpochThatFinishedIsNotCounted() throws {
        let logs = try ParserTestSupport.scratchDirectory()
        defer { ParserTestSupport.cleanUp(logs) }
        // Killed after epoch 1 ended but before its progress file was rewritten for epoch 2.
        try Self.writeKilledRank(in: logs, name: "a", job: "67", rank: 0, node: "node1", progressEpoch: 1)
        let job = try #require(try LogParser.jobs(logDir: logs).jobs.first?.total)
        #expect(job.components.map(\.energyJoules) == [300, 100])
        #expect(job.warnings.first?.contains("only its finished epochs are counted") == true)
    }

    @Test func theDistributedLinesFollowPythonsOpeningLinesAndARankWithNothingToMeasureSaysWhy() throws {
        let scratch = try JobScratch()
        let (logs, locks) = (scratch.logs, scratch.locks)
        let trackers = try Self.runJob("31", nodes: 1, epochs: 1, seconds: 0.05, logDir: logs, locks: locks)
        let messages = CoreTest.messages(CoreTest.read(try #require(trackers[1].logFiles?.standard)))
        #expect(messages[0].hasPrefix("carbontracker version") && messages[1].hasPrefix("Only predicted"))
        #expect(messages[2].hasPrefix("Distributed run: job 31 (slurm), step 0, node node1, rank 1 of 2"))
        #expect(messages[3].hasPrefix("Distributed measure: gpu"))
        #expect(messages[4].hasPrefix("Distributed leave: cpu"))
        #expect(messages[5] == "The following components were found: GPU with device(s) Sim GPU.")

        let environment = [
            "SLURM_JOB_ID": "32", "SLURM_STEP_ID": "0", "SLURM_PROCID": "1", "SLURM_LOCALID": "1",
            "SLURMD_NODENAME": "node1",
        ].merging(CoreTest.offline) { $1 }
        // A rank whose only source is measured by local rank 0 still runs: it measures nothing (its epochs
        // count 0 J), says so, and stands ready to take the CPU over if rank 0 ends.
        let directory = logs + "/idle-rank"
        let idle = try CarbonTracker(
            epochs: 1, updateInterval: 0.02, logDir: directory, simCPU: "Sim CPU", simCPUTDP: 100,
            options: TrackerOptions(
                console: .silent, environment: environment,
                distributed: DistributedSettings(lockDirectory: locks)))
        try CoreTest.train(idle, epochs: 1, seconds: 0.02)
        let idleMessages = CoreTest.messages(CoreTest.read(try #require(idle.logFiles?.standard)))
        #expect(
            idleMessages.contains { $0.hasPrefix("Distributed leave: cpu") && $0.contains("to local rank 0") }
        )
        #expect(idleMessages.contains("The following components were found:"))
        #expect(idle.epochMeasurements.count == 1)
        #expect(idle.epochMeasurements.first?.components.isEmpty == true)
        #expect(idle.actualConsumption?.energyKilowattHours == 0)
    }
}
