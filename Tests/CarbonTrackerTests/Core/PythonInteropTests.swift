import Foundation
import Testing

@testable import CarbonTracker
@testable import CarbonTrackerMonitor
@testable import CarbonTrackerSources

/// Python carbontracker 2.4.7's own parser must read the logs this package writes.
///
/// Runs only when `CARBONTRACKER_PYTHON` names a Python with `carbontracker==2.4.7` installed
/// (`.ci/run` creates one); otherwise it is reported as skipped with that reason.
@Suite(
    .enabled(
        if: ProcessInfo.processInfo.environment["CARBONTRACKER_PYTHON"] != nil,
        "skipped: set CARBONTRACKER_PYTHON to a Python with carbontracker==2.4.7 to run the interoperability test"
    ))
struct PythonInteropTests {
    private static let script = """
        import json, sys
        from carbontracker import parser
        logs = parser.parse_all_logs(sys.argv[1])
        energy, co2eq, equivalents = parser.aggregate_consumption(sys.argv[1])
        def plain(value):
            return value.tolist() if hasattr(value, "tolist") else str(value)
        print(json.dumps({"logs": logs, "aggregate": [energy, co2eq, equivalents]}, default=plain))
        """

    private func runPythonParser(on directory: String) throws -> [String: Any] {
        let python = try #require(ProcessInfo.processInfo.environment["CARBONTRACKER_PYTHON"])
        let scriptPath = directory + "/../parse.py"
        try Self.script.write(toFile: scriptPath, atomically: true, encoding: .utf8)
        let result = try TestProcess.run(python, [scriptPath, directory])
        #expect(result.status == 0, "Python parser failed: \(result.error)")
        let object = try JSONSerialization.jsonObject(with: Data(result.output.utf8))
        return try #require(object as? [String: Any])
    }

    /// - Parameter epochSeconds: Epoch length. Python reads durations at the log's 10 ms resolution, so
    ///   energy rebuilt from them is within 1% only for epochs of a second or so.
    private func trackedRun(epochsBeforePred: Int, epochSeconds: Double = 0.15) throws -> (
        CarbonTracker, String
    ) {
        let root = CoreTest.temporaryDirectory()
        let directory = root + "/logs"
        let tracker = try CarbonTracker(
            epochs: 3, epochsBeforePred: epochsBeforePred, updateInterval: 0.02, logDir: directory,
            simCPU: "Sim Xeon 1", simCPUTDP: 101, simGPU: "Sim A100", simGPUWatts: 496,
            options: CoreTest.options())
        try CoreTest.train(tracker, epochs: 3, seconds: epochSeconds)
        return (tracker, directory)
    }

    @Test func pythonParserReadsSwiftLogs() throws {
        let (tracker, directory) = try trackedRun(epochsBeforePred: 0, epochSeconds: 1)
        let parsed = try runPythonParser(on: directory)
        let logs = try #require(parsed["logs"] as? [[String: Any]])
        #expect(logs.count == 1)
        let entry = try #require(logs.first)
        let components = try #require(entry["components"] as? [String: [String: Any]])
        #expect(Set(components.keys) == ["gpu", "cpu"])
        #expect(components["gpu"]?["devices"] as? [String] == ["Sim A100"])
        #expect(components["cpu"]?["devices"] as? [String] == ["Sim Xeon 1"])
        #expect(components["gpu"]?["avg_power_usages (W)"] as? [[Double]] == [[248.0], [248.0], [248.0]])
        #expect(components["cpu"]?["avg_power_usages (W)"] as? [[Double]] == [[50.5], [50.5], [50.5]])

        let durations = try #require(components["gpu"]?["epoch_durations (s)"] as? [Double])
        let measured = tracker.epochMeasurements.map(\.durationSeconds)
        #expect(durations.count == 3)
        for (parsedSeconds, swiftSeconds) in zip(durations, measured) {
            #expect(abs(parsedSeconds - swiftSeconds) <= 0.005 + 1e-9)
        }

        let actual = try #require(tracker.actualConsumption)
        let pythonActual = try #require(entry["actual"] as? [String: Any])
        let pythonEnergy = try #require(pythonActual["energy (kWh)"] as? Double)
        #expect(abs(pythonEnergy - actual.energyKilowattHours) < 1e-12)
        #expect(abs((pythonActual["co2eq (g)"] as? Double ?? 0) - actual.co2eqGrams) < 1e-12)

        // Energy rebuilt by Python from its own parsed power and durations: watts × seconds × PUE.
        var joules = 0.0
        for component in components.values {
            let energies = try #require(component["avg_energy_usages (J)"] as? [[Double]])
            joules += energies.joined().reduce(0, +)
        }
        let rebuilt = joules * 1.58 / 3_600_000
        #expect(abs(rebuilt / actual.energyKilowattHours - 1) < 0.01)
        let simulatedTruth = (248 + 50.5) * measured.reduce(0, +) * 1.58 / 3_600_000
        #expect(abs(pythonEnergy / simulatedTruth - 1) < 0.01)

        let aggregate = try #require(parsed["aggregate"] as? [Any])
        #expect(abs((aggregate[0] as? Double ?? 0) - actual.energyKilowattHours) < 1e-12)
    }

    @Test func pythonAggregatePicksPredictionAsItsBugDictates() throws {
        // Python reads "Actual consumption for 3 epoch(s)" as 1 epoch, so with a prediction present its
        // aggregate takes the predicted figures. Our parser fixes this; here we only show that Python
        // reads both blocks of our output log.
        let (tracker, directory) = try trackedRun(epochsBeforePred: 1)
        let parsed = try runPythonParser(on: directory)
        let entry = try #require((parsed["logs"] as? [[String: Any]])?.first)
        let predicted = try #require(tracker.predictedConsumption)
        let pythonPredicted = try #require(entry["pred"] as? [String: Any])
        #expect(pythonPredicted["epochs"] as? Int == 3)
        #expect(
            abs((pythonPredicted["energy (kWh)"] as? Double ?? 0) - predicted.energyKilowattHours) < 1e-12)
        #expect((entry["actual"] as? [String: Any])?["epochs"] as? Int == 1)
        let aggregate = try #require(parsed["aggregate"] as? [Any])
        #expect(abs((aggregate[0] as? Double ?? 0) - predicted.energyKilowattHours) < 1e-12)
    }

    @Test func windowLinesChangeNothingPythonReads() throws {
        let root = CoreTest.temporaryDirectory()
        let directory = root + "/logs"
        let tracker = try CarbonTracker(
            epochs: 2, epochsBeforePred: 1, updateInterval: 0.02, logDir: directory, simCPU: "Sim Xeon 1",
            simCPUTDP: 101, simGPU: "Sim A100", simGPUWatts: 496, options: CoreTest.options())
        _ = try tracker.monitor.measure("warm-up: load data, duration 1") {
            Thread.sleep(forTimeInterval: 0.05)
        }
        try tracker.monitor.beginWindow("all epochs")
        for epoch in 1...2 {
            try tracker.epochStart()
            _ = try tracker.monitor.measure("step \(epoch)") { Thread.sleep(forTimeInterval: 0.05) }
            try tracker.epochEnd()
        }
        // The last epoch ended monitoring, and with it this window (named in a warning, not measured).
        #expect(throws: CarbonTrackerError.self) { _ = try tracker.monitor.endWindow("all epochs") }
        let paths = try #require(tracker.logFiles)
        let standard = CoreTest.read(paths.standard)
        #expect(standard.components(separatedBy: " - Window ").count - 1 == 3)

        // The same run without its window lines, in a directory of its own.
        let stripped = root + "/stripped"
        try FileManager.default.createDirectory(atPath: stripped, withIntermediateDirectories: true)
        let name = (paths.standard as NSString).lastPathComponent
        let kept = standard.split(separator: "\n", omittingEmptySubsequences: false).filter {
            !$0.contains(" - Window ")
        }
        try kept.joined(separator: "\n").write(
            toFile: stripped + "/" + name, atomically: true, encoding: .utf8)
        try FileManager.default.copyItem(
            atPath: paths.output, toPath: stripped + "/" + (paths.output as NSString).lastPathComponent)
        // Everything but the directory in the file names must be the same.
        func canonical(_ parsed: [String: Any]) throws -> String {
            var copy = parsed
            copy["logs"] = (parsed["logs"] as? [[String: Any]])?.map { log in
                log.mapValues { value -> Any in
                    guard let path = value as? String, path.hasPrefix("/") else { return value }
                    return (path as NSString).lastPathComponent
                }
            }
            return String(
                decoding: try JSONSerialization.data(withJSONObject: copy, options: [.sortedKeys]),
                as: UTF8.self)
        }
        let withWindows = try runPythonParser(on: directory)
        let without = try runPythonParser(on: stripped)
        #expect(try canonical(withWindows) == canonical(without))
        let logs = try #require(withWindows["logs"] as? [[String: Any]])
        let gpu = try #require((logs.first?["components"] as? [String: [String: Any]])?["gpu"])
        #expect((gpu["epoch_durations (s)"] as? [Double])?.count == 2)

        // Our parser reads the windows back.
        let entry = try #require(try LogParser.parseAllLogs(logDir: directory).entries.first)
        #expect(entry.windows.map(\.name) == ["warm-up: load data, duration 1", "step 1", "step 2"])
        for window in entry.windows {
            #expect(window.components.map(\.name) == ["gpu", "cpu"])
            #expect(window.components.map(\.method) == ["simulated", "simulated"])
            let gpuJoules = try #require(window.components.first?.energyJoules.first)
            #expect(abs(gpuJoules - 248 * window.durationSeconds) <= 248 * 0.006)
            #expect(window.co2eqGrams ?? 0 > 0)
            #expect(window.isApproximate == false)
        }
    }
}

/// Python carbontracker 2.4.7's parser reads the logs of every rank of a distributed job, with the
/// "Distributed ..." lines, and the logs and progress file of a killed rank.
@Suite(
    .enabled(
        if: ProcessInfo.processInfo.environment["CARBONTRACKER_PYTHON"] != nil,
        "skipped: set CARBONTRACKER_PYTHON to a Python with carbontracker==2.4.7 to run the interoperability test"
    ))
struct PythonInteropDistributedTests {
    @Test func pythonParserReadsEveryRanksLogAndAKilledRanksLogs() throws {
        let root = CoreTest.temporaryDirectory()
        let logs = root + "/logs"
        let locks = root + "/locks"
        try FileManager.default.createDirectory(atPath: logs, withIntermediateDirectories: true)
        let trackers = try DistributedJobsParserTests.runJob(
            "4711", epochs: 2, seconds: 0.2, logDir: logs, locks: locks)
        // A rank killed in its second epoch, with the progress file the core leaves.
        try DistributedJobsParserTests.writeKilledRank(
            in: logs, name: "999.1_2026-01-01T100000Z", job: "4711", rank: 4, node: "node3", progressEpoch: 2)

        let python = try #require(ProcessInfo.processInfo.environment["CARBONTRACKER_PYTHON"])
        let script = root + "/parse.py"
        try """
        import json, sys
        from carbontracker import parser
        logs = parser.parse_all_logs(sys.argv[1])
        energy, co2eq, _ = parser.aggregate_consumption(sys.argv[1])
        print(json.dumps({"components": [sorted(log["components"]) for log in logs],
                          "devices": [{k: v["devices"] for k, v in log["components"].items()} for log in logs],
                          "actual": [log["actual"] is not None for log in logs],
                          "energy": energy, "co2eq": co2eq}))
        """.write(toFile: script, atomically: true, encoding: .utf8)
        let result = try TestProcess.run(python, [script, logs])
        #expect(result.status == 0, "Python parser failed: \(result.error)")
        let parsed = try #require(
            try JSONSerialization.jsonObject(with: Data(result.output.utf8)) as? [String: Any])
        let components = try #require(parsed["components"] as? [[String]])
        #expect(components.count == 5)
        // Local ranks 0 (and the killed rank) list the CPU; the others only their GPU.
        #expect(components.filter { $0 == ["cpu", "gpu"] }.count == 3)
        #expect(components.filter { $0 == ["gpu"] }.count == 2)
        #expect((parsed["actual"] as? [Bool])?.filter { $0 }.count == 4)

        // Python adds the four reports; the killed rank has none. Ours counts each job once, killed rank included.
        let reports = trackers.compactMap(\.actualConsumption)
        let pythonEnergy = try #require(parsed["energy"] as? Double)
        #expect(abs(pythonEnergy - reports.reduce(0) { $0 + $1.energyKilowattHours }) < 1e-9)
        let job = try #require(try LogParser.jobs(logDir: logs).jobs.first?.total)
        let killedKilowattHours = 400.0 * 1.58 / 3_600_000 + 300.0 * 1.58 / 3_600_000
        #expect(abs(job.energyKilowattHours - (pythonEnergy + killedKilowattHours)) < 1e-9)
    }
}
