import Foundation
import Testing

@testable import CarbonTracker
@testable import CarbonTrackerMonitor
@testable import CarbonTrackerSources

@Suite struct TrackerFailureTests {
    private static let broken = CarbonTrackerError.measurementFailed("sensor exploded")

    @Test func failureIsThrownFromTheNextCall() throws {
        let component = ScriptedComponent(kind: .cpu, watts: 10, failure: Self.broken, failAfterReads: 2)
        let tracker = try CarbonTracker(
            epochs: 50, updateInterval: 0.01, components: "cpu",
            options: CoreTest.options(components: [component]))
        // The sources are read only while an epoch runs: the failure comes during this one.
        try tracker.epochStart()
        #expect(CoreTest.eventually { !tracker.isMonitoring })
        do {
            try tracker.epochEnd()
            Issue.record("the failure must reach the caller")
        } catch let error as CarbonTrackerError {
            #expect(error.code == .measurementFailed)
            #expect(error.message.contains("sensor exploded"))
        }
        // Delivered once; monitoring has ended, so later calls are no-ops.
        try tracker.epochStart()
        try tracker.epochEnd()
        try tracker.stop()
        #expect(component.shutdowns.withLock { $0 } == 1)
    }

    @Test func ignoredFailureLetsTrainingContinue() throws {
        let directory = CoreTest.temporaryDirectory()
        let console = CapturedConsole()
        let component = ScriptedComponent(kind: .cpu, watts: 10, failure: Self.broken, failAfterReads: 2)
        let tracker = try CarbonTracker(
            epochs: 5, updateInterval: 0.01, ignoreErrors: true, components: "cpu", logDir: directory,
            options: CoreTest.options(console, components: [component]))
        for _ in 0..<5 {
            try tracker.epochStart()
            Thread.sleep(forTimeInterval: 0.02)
            try tracker.epochEnd()
        }
        try tracker.stop()
        let errors = CoreTest.read(try #require(tracker.logFiles).error)
        #expect(errors.contains("CRITICAL - Ignored error: scripted failed to read cpu: sensor exploded"))
        #expect(console.printed.contains("Continued training without monitoring..."))
    }

    @Test func permissionDeniedDropsOnlyThatComponent() throws {
        let directory = CoreTest.temporaryDirectory()
        let denied = ScriptedComponent(
            kind: .cpu, watts: 10,
            failure: CarbonTrackerError(.permissionDenied, "Run `sudo chmod +r /fake/energy_uj`."),
            failAfterReads: 1)
        let gpu = ScriptedComponent(kind: .gpu, watts: 100)
        let tracker = try CarbonTracker(
            epochs: 2, updateInterval: 0.01, logDir: directory,
            options: CoreTest.options(components: [denied, gpu]))
        try CoreTest.train(tracker, epochs: 2, seconds: 0.03)
        let errors = CoreTest.read(try #require(tracker.logFiles).error)
        #expect(errors.contains("Run `sudo chmod +r /fake/energy_uj`."))
        #expect(errors.contains("Continuing without CPU measurements."))
        #expect(tracker.actualConsumption?.components.map(\.kind) == [.gpu])
        #expect(tracker.components.map(\.kind) == [.gpu])
    }

    /// A device that disappears mid-epoch (a GPU off the bus): named once, its energy up to then kept,
    /// and the epoch that was running marked `incomplete` in the log and the report, never a silent zero.
    @Test func aSourceThatDiesMidEpochKeepsItsEnergyAndIsMarkedIncomplete() throws {
        let directory = CoreTest.temporaryDirectory()
        let lost = ScriptedComponent(
            kind: .gpu, watts: 100, failure: CarbonTrackerError(.componentUnavailable, "GPU 0 fell off the bus."),
            failAfterReads: 5)
        let cpu = ScriptedComponent(kind: .cpu, watts: 10)
        let tracker = try CarbonTracker(
            epochs: 2, updateInterval: 0.01, logDir: directory, options: CoreTest.options(components: [lost, cpu]))
        try CoreTest.train(tracker, epochs: 2, seconds: 0.2)
        let files = try #require(tracker.logFiles)
        let errors = CoreTest.read(files.error)
        #expect(errors.components(separatedBy: "GPU 0 fell off the bus.").count - 1 == 1, "named once")
        let first = try #require(tracker.epochMeasurements.first)
        let gpu = try #require(first.components.first { $0.kind == .gpu })
        #expect(gpu.method == .incomplete)
        #expect(gpu.joules.reduce(0, +) > 1, "the energy before the loss is kept: \(gpu.joules)")
        #expect(first.components.first { $0.kind == .cpu }?.method == .sampled)
        let standard = CoreTest.read(files.standard)
        #expect(standard.contains("for gpu: ") && standard.contains("[method: incomplete]"))
        #expect(tracker.actualConsumption?.components.first { $0.kind == .gpu }?.method == .incomplete)
    }

    @Test func requestedComponentWithoutSourceIsAnError() throws {
        let directory = CoreTest.temporaryDirectory()
        do {
            _ = try CarbonTracker(
                epochs: 1, components: "gpu", logDir: directory, options: CoreTest.options(components: []))
            Issue.record("expected componentUnavailable")
        } catch let error as CarbonTrackerError {
            #expect(error.code == .componentUnavailable)
            #expect(error.message.contains("No GPU(s) available."))
        }
        // No half-written run is left for log aggregation to trip over.
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory).isEmpty)
        // With ignoreErrors the tracker is inert instead.
        let inert = try CarbonTracker(
            epochs: 1, ignoreErrors: true, components: "gpu", options: CoreTest.options(components: []))
        try CoreTest.train(inert, epochs: 1, seconds: 0)
        #expect(!inert.isMonitoring)
    }

    @Test func missingGPUUnderAllIsOnlyALogLine() throws {
        let directory = CoreTest.temporaryDirectory()
        let tracker = try CarbonTracker(
            epochs: 1, updateInterval: 0.02, logDir: directory, simCPU: "Sim", simCPUTDP: 20,
            options: CoreTest.options(components: [ScriptedComponent(kind: .cpu, watts: 20)]))
        try CoreTest.train(tracker, epochs: 1, seconds: 0.02)
        let messages = CoreTest.messages(CoreTest.read(try #require(tracker.logFiles).standard))
        #expect(messages.contains("No GPU(s) available."))
        #expect(tracker.actualConsumption?.components.map(\.kind) == [.cpu])
    }

    @Test func unwritableLogDirIsAClearError() throws {
        let file = CoreTest.temporaryDirectory() + "/not-a-directory"
        #expect(FileManager.default.createFile(atPath: file, contents: Data()))
        do {
            _ = try CarbonTracker(
                epochs: 1, logDir: file + "/logs", simCPU: "Sim", simCPUTDP: 1, options: CoreTest.options())
            Issue.record("expected logWriteFailed")
        } catch let error as CarbonTrackerError {
            #expect(error.code == .logWriteFailed)
            #expect(error.message.contains("logDir"))
        }
    }
}

@Suite struct StopAndConfirmTests {
    private func run(answers: [String?]) throws -> (CarbonTracker, CapturedConsole, Error?) {
        let queue = LockedBox(answers)
        let console = CapturedConsole()
        let tracker = try CarbonTracker(
            epochs: 3, updateInterval: 0.02, stopAndConfirm: true, simCPU: "Sim", simCPUTDP: 100,
            options: CoreTest.options(
                console, readLine: { queue.withLock { $0.isEmpty ? nil : $0.removeFirst() } }))
        do {
            try CoreTest.train(tracker, epochs: 3, seconds: 0.02)
            return (tracker, console, nil)
        } catch {
            return (tracker, console, error)
        }
    }

    @Test func answeringNoStopsWithATypedSignal() throws {
        let (tracker, console, error) = try run(answers: ["maybe", "n"])
        #expect((error as? CarbonTrackerError)?.code == .stoppedByUser)
        #expect(console.printed.contains("Continue training (y/n)?"))
        #expect(console.printed.contains("Input not recognized. Try again (y/n):"))
        #expect(console.printed.contains("Quitting..."))
        #expect(tracker.actualConsumption?.epochs == 1)
        #expect(!tracker.isMonitoring)
    }

    @Test func answeringYesContinues() throws {
        let (tracker, console, error) = try run(answers: ["Y"])
        #expect(error == nil)
        #expect(console.printed.contains("Continuing..."))
        #expect(tracker.actualConsumption?.epochs == 3)
    }

    @Test func closedInputStopsInsteadOfHanging() throws {
        let (_, console, error) = try run(answers: [])
        #expect((error as? CarbonTrackerError)?.code == .stoppedByUser)
        #expect(console.printed.contains("standard input is closed"))
    }
}
