import Foundation
import Testing

@testable import CarbonTracker
@testable import CarbonTrackerMonitor
@testable import CarbonTrackerSources

/// Any number of epochs at any rate: nothing is lost, memory per epoch is compact, output comes in
/// call order, and a program that ends without `stop()` still gets complete logs.
@Suite struct TrackerScaleTests {
    @Test func fiftyThousandBackToBackEpochsAreAllLogged() throws {
        let directory = CoreTest.temporaryDirectory()
        let epochs = 50_000
        let tracker = try CarbonTracker(
            epochs: epochs, updateInterval: 1, logDir: directory, verbose: 0, simCPU: "Sim", simCPUTDP: 100,
            simGPU: "Sim GPU", simGPUWatts: 300, options: CoreTest.options())
        for _ in 0..<epochs {
            try tracker.epochStart()
            try tracker.epochEnd()
        }
        let paths = try #require(tracker.logFiles)
        let standard = CoreTest.messages(CoreTest.read(paths.standard))
        let numbers = standard.compactMap { line -> Int? in
            guard line.hasPrefix("Epoch "), line.hasSuffix(":") else { return nil }
            return Int(line.dropFirst(6).dropLast())
        }
        #expect(numbers.count == epochs)
        #expect(numbers == Array(1...epochs), "every epoch once, in order")
        #expect(standard.filter { $0.hasPrefix("Duration: ") }.count == epochs)
        #expect(standard.last == "Monitoring thread ended.")
        let output = CoreTest.read(paths.output)
        #expect(output.contains("Actual consumption for \(epochs) epoch(s):"))
        #expect(tracker.actualConsumption?.epochs == epochs)
        let measurements = tracker.epochMeasurements
        #expect(measurements.count == epochs)
        #expect(measurements.last?.epoch == epochs)
        let total = measurements.reduce(0) { $0 + $1.energyKilowattHours }
        let actual = try #require(tracker.actualConsumption)
        #expect(abs(total - actual.energyKilowattHours) <= 1e-9 * max(total, 1e-12))
    }

    @Test func predictionIsPrintedBeforeItsEpochEndReturns() throws {
        let console = CapturedConsole()
        let tracker = try CarbonTracker(
            epochs: 5, epochsBeforePred: 2, updateInterval: 5, simCPU: "Sim", simCPUTDP: 100,
            options: CoreTest.options(console))
        try CoreTest.train(tracker, epochs: 1, seconds: 0.01)
        #expect(!console.printed.contains("Predicted consumption"))
        try CoreTest.train(tracker, epochs: 1, seconds: 0.01)
        // No polling: the update interval is 5 s, so only the wait inside epochEnd() can explain it.
        #expect(console.printed.contains("Predicted consumption for 5 epoch(s):"))
        try tracker.stop()
        #expect(console.printed.contains("Actual consumption for 2 epoch(s):"))
    }

    @Test func estimateNoteIsPrintedOncePerRunButKeptInEveryReport() throws {
        let directory = CoreTest.temporaryDirectory()
        let console = CapturedConsole()
        let tracker = try CarbonTracker(
            epochs: 3, updateInterval: 0.02, components: "cpu", logDir: directory,
            options: CoreTest.options(console, components: [NotedComponent()]))
        try CoreTest.train(tracker, epochs: 3, seconds: 0.01)
        #expect(console.printed.components(separatedBy: NotedComponent.note).count - 1 == 1)
        let output = CoreTest.read(try #require(tracker.logFiles).output)
        #expect(
            output.components(separatedBy: NotedComponent.note).count - 1 == 3, "start, prediction, actual")
    }

    @Test func stuckSourceStillGetsAFinalReportNamingIt() throws {
        let directory = CoreTest.temporaryDirectory()
        let stuck = ScriptedComponent(kind: .cpu, watts: 10, failAfterReads: 0, readDelaySeconds: 3)
        var options = CoreTest.options(components: [stuck])
        options.shutdownTimeoutSeconds = 0.3
        let tracker = try CarbonTracker(
            epochs: 3, updateInterval: 0.02, components: "cpu", logDir: directory, options: options)
        try tracker.epochStart()
        let clock = ContinuousClock()
        let elapsed = try clock.measure { try tracker.stop() }
        #expect(elapsed < .seconds(2.5), "stop() must not wait for the stuck read to return")
        let paths = try #require(tracker.logFiles)
        #expect(CoreTest.read(paths.error).contains("The power source scripted has not answered for 0.3 s"))
        #expect(CoreTest.read(paths.output).contains("Actual consumption for 0 epoch(s):"))
        #expect(CoreTest.messages(CoreTest.read(paths.standard)).last == "Monitoring thread ended.")
        #expect(tracker.actualConsumption != nil)
    }
}

/// A constant-power source that says its figures are estimated, like the TDP estimate.
final class NotedComponent: PowerComponent {
    static let note = "CPU power is estimated for this test."
    let kind = ComponentKind.cpu
    let handlerName = "noted"
    func devices() -> [String] { ["cpu"] }
    func isAvailable() -> Bool { true }
    func start(diagnostics: any DiagnosticsReporter) throws {}
    func measurementMethod() -> MeasurementMethod { .estimated }
    func read() throws -> [DeviceReading] { [.watts(40)] }
    func shutdown() {}
    func provenanceNote() -> String? { Self.note }
}

/// Programs that end without `stop()`, run as child processes as a user's program would.
@Suite struct TrackerExitTests {
    static var program: String? {
        let candidates = [
            Bundle.module.bundleURL.deletingLastPathComponent(), Bundle.main.bundleURL,
            Bundle.main.bundleURL.deletingLastPathComponent(),
        ].map { $0.appendingPathComponent("CarbonTrackerTestPrograms").path }
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    private func run(_ mode: String) throws -> (directory: String, result: TestProcess.Result) {
        let program = try #require(Self.program, "build the test programs first (swift build --build-tests)")
        let directory = CoreTest.temporaryDirectory()
        return (directory, try TestProcess.run(program, [mode, directory]))
    }

    private func logs(in directory: String) throws -> (standard: String, output: String) {
        let names = try FileManager.default.contentsOfDirectory(atPath: directory)
        let standard = try #require(names.first { $0.hasSuffix("_carbontracker.log") })
        let output = try #require(names.first { $0.hasSuffix("_carbontracker_output.log") })
        #expect(
            !names.contains { $0.hasSuffix("_progress.json") },
            "a run that ended normally keeps no progress file")
        return (CoreTest.read(directory + "/" + standard), CoreTest.read(directory + "/" + output))
    }

    @Test(arguments: ["exit-return", "exit-function", "exit-call"])
    func endingWithoutStopLeavesCompleteLogs(mode: String) throws {
        let (directory, result) = try run(mode)
        #expect(result.status == 0, "\(result.error)")
        let (standard, output) = try logs(in: directory)
        let messages = CoreTest.messages(standard)
        #expect(messages.contains("Epoch 1:"))
        #expect(messages.filter { $0.hasPrefix("Duration: ") }.count == 1)
        #expect(messages.contains("Training was interrupted before all 4 epochs were monitored."))
        #expect(messages.last == "Monitoring thread ended.")
        #expect(output.contains("Predicted consumption for 4 epoch(s):"))
        #expect(output.contains("Actual consumption for 1 epoch(s):"))
        #expect(
            result.output.contains("Actual consumption for 1 epoch(s):"), "the report reaches the console too"
        )
        if let python = ProcessInfo.processInfo.environment["CARBONTRACKER_PYTHON"] {
            let parsed = try TestProcess.run(
                python,
                [
                    "-c",
                    "import json,sys; from carbontracker import parser; "
                        + "l = parser.parse_all_logs(sys.argv[1]); "
                        + "print(json.dumps([len(l), l[0]['early_stop'], l[0]['actual']['epochs'], "
                        + "len(l[0]['components']['gpu']['epoch_durations (s)'])]))",
                    directory,
                ])
            #expect(parsed.status == 0, "\(parsed.error)")
            #expect(parsed.output.trimmingCharacters(in: .whitespacesAndNewlines) == "[1, true, 1, 1]")
        }
    }

    @Test func outputToAFileComesInCallOrder() throws {
        let (_, result) = try run("order")
        #expect(result.status == 0, "\(result.error)")
        let lines = result.output.split(separator: "\n").map(String.init)
        func position(_ prefix: String) -> Int? { lines.firstIndex { $0.hasPrefix(prefix) } }
        let start = try #require(position("program: start"))
        let beforeEnd1 = try #require(position("program: before epochEnd 1"))
        let predicted = try #require(
            lines.firstIndex { $0.contains("Predicted consumption for 2 epoch(s):") })
        let afterEnd1 = try #require(position("program: after epochEnd 1"))
        let beforeEnd2 = try #require(position("program: before epochEnd 2"))
        let actual = try #require(lines.firstIndex { $0.contains("Actual consumption for 2 epoch(s):") })
        let finished = try #require(lines.firstIndex { $0 == "CarbonTracker: Finished monitoring." })
        let afterEnd2 = try #require(position("program: after epochEnd 2"))
        let end = try #require(position("program: end"))
        #expect(start < beforeEnd1)
        #expect(beforeEnd1 < predicted && predicted < afterEnd1)
        #expect(afterEnd1 < beforeEnd2)
        #expect(beforeEnd2 < actual && actual < finished && finished < afterEnd2)
        #expect(afterEnd2 < end)
    }

    @Test func killedMidEpochLeavesItsProgressSoFar() throws {
        let program = try #require(Self.program, "build the test programs first (swift build --build-tests)")
        let directory = CoreTest.temporaryDirectory()
        let process = Process()
        process.executableURL = URL(fileURLWithPath: program)
        process.arguments = ["long-epoch", directory]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        defer { if process.isRunning { kill(process.processIdentifier, SIGKILL) } }
        var progress: [String: Any]?
        let deadline = Date(timeIntervalSinceNow: 30)
        while Date() < deadline {
            let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
            if let name = names.first(where: { $0.hasSuffix("_carbontracker_progress.json") }),
                let object = try? JSONSerialization.jsonObject(
                    with: Data(contentsOf: URL(fileURLWithPath: directory + "/" + name))) as? [String: Any],
                (object["elapsed_seconds"] as? Double ?? 0) >= 0.5
            {
                progress = object
                break
            }
            Thread.sleep(forTimeInterval: 0.05)
        }
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        let last = try #require(progress, "no progress file with half a second of the epoch appeared")
        #expect(last["schema"] as? String == "carbontracker.progress/1")
        #expect(last["epoch"] as? Int == 1)
        let elapsed = try #require(last["elapsed_seconds"] as? Double)
        let components = try #require(last["components"] as? [[String: Any]])
        let gpu = try #require(components.first { $0["component"] as? String == "gpu" })
        let joules = try #require((gpu["energy_joules"] as? [Double])?.first)
        // The simulated GPU draws 150 W (300 W × 50%); the file is at most one interval old.
        #expect(abs(joules - 150 * elapsed) <= 150 * 0.06)
        let names = try FileManager.default.contentsOfDirectory(atPath: directory)
        let file = try #require(names.first { $0.hasSuffix("_progress.json") })
        let final =
            try JSONSerialization.jsonObject(
                with: Data(contentsOf: URL(fileURLWithPath: directory + "/" + file))) as? [String: Any]
        #expect((final?["elapsed_seconds"] as? Double ?? 0) >= elapsed, "still there, at least as recent")
    }
}
