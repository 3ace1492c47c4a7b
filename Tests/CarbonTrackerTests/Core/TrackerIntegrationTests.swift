import Foundation
import Testing

@testable import CarbonTracker
@testable import CarbonTrackerMonitor
@testable import CarbonTrackerSources

@Suite struct TrackerIntegrationTests {
    @Test func simulatedRunWritesPythonFormatLogsAndNumbers() throws {
        let directory = CoreTest.temporaryDirectory()
        let console = CapturedConsole()
        let tracker = try CarbonTracker(
            epochs: 3, updateInterval: 0.02, logDir: directory + "/nested", logFilePrefix: "run",
            simCPU: "Sim Xeon 1", simCPUTDP: 101, simGPU: "Sim A100", simGPUWatts: 496,
            options: CoreTest.options(console))
        try CoreTest.train(tracker, epochs: 3)
        try tracker.stop()  // harmless after the last epoch

        let paths = try #require(tracker.logFiles)
        let name = (paths.standard as NSString).lastPathComponent
        #expect(
            name.range(
                of: #"^run_\d+\.\d+_\d{4}-\d{2}-\d{2}T\d{6}Z_carbontracker\.log$"#,
                options: .regularExpression) != nil)
        #expect(paths.output == paths.standard.replacingOccurrences(of: ".log", with: "_output.log"))

        let standard = CoreTest.read(paths.standard)
        for line in standard.split(separator: "\n") {
            #expect(
                line.range(of: #"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} - "#, options: .regularExpression)
                    != nil)
        }
        let messages = CoreTest.messages(standard)
        #expect(messages.first == "carbontracker version \(CarbonTrackerVersion.string)")
        #expect(
            messages[1].hasPrefix(
                "Only predicted and actual consumptions are multiplied by a PUE coefficient of 1.58"))
        #expect(
            messages[2]
                == "The following components were found: GPU with device(s) Sim A100. CPU with device(s) Sim Xeon 1."
        )
        #expect(messages[3] == "Monitoring thread started.")
        #expect(messages.filter { $0.hasPrefix("Epoch ") } == ["Epoch 1:", "Epoch 2:", "Epoch 3:"])
        #expect(messages.filter { $0 == "Average power usage (W) for gpu: 248.0" }.count == 3)
        #expect(messages.filter { $0 == "Average power usage (W) for cpu: 50.5" }.count == 3)
        #expect(messages.filter { $0.hasPrefix("Duration: 0:00:00.") }.count == 3)
        #expect(
            messages.contains(
                "Carbon intensities (gCO2eq/kWh) fetched every 900 s at detected location: Unknown: [445.0]"))
        #expect(messages.contains("Average carbon intensity during training was 445.00 gCO2eq/kWh. "))
        #expect(messages.last == "Monitoring thread ended.")
        #expect(messages.filter { $0.hasSuffix("[method: simulated]") }.count == 6)

        let output = CoreTest.read(paths.output)
        #expect(output.contains("CarbonTracker: \nPredicted consumption for 3 epoch(s):\n\tTime:\t0:00:0"))
        #expect(output.contains("CarbonTracker: \nActual consumption for 3 epoch(s):\n\tTime:\t0:00:0"))
        #expect(output.contains("\tThis is equivalent to:\n\t"))
        #expect(output.hasSuffix(" - CarbonTracker: Finished monitoring.\n"))
        #expect(console.printed.contains("Predicted consumption for 3 epoch(s):"))
        #expect(console.printed.hasSuffix("CarbonTracker: Finished monitoring.\n"))
        let errorLine = try #require(CoreTest.read(paths.error).split(separator: "\n").first)
        #expect(
            errorLine.range(
                of:
                    #"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2},\d{3} - \S+ - WARNING - No carbon intensity provider specified"#,
                options: .regularExpression) != nil)

        let actual = try #require(tracker.actualConsumption)
        let measuredSeconds = tracker.epochMeasurements.reduce(0) { $0 + $1.durationSeconds }
        #expect(actual.epochs == 3)
        #expect(abs(actual.durationSeconds - measuredSeconds) < 1e-9)
        let expectedKilowattHours = (248 + 50.5) * measuredSeconds * 1.58 / 3_600_000
        #expect(abs(actual.energyKilowattHours / expectedKilowattHours - 1) < 1e-6)
        #expect(abs(actual.co2eqGrams - actual.energyKilowattHours * 445) < 1e-12)
        #expect(actual.equivalents.first?.unit == "km travelled by car")
        #expect(actual.components.map(\.kind) == [.gpu, .cpu])
        #expect(actual.components.map(\.method) == [.simulated, .simulated])
        #expect(abs(actual.components[0].averageWatts[0] - 248) < 1e-6)
        let predicted = try #require(tracker.predictedConsumption)
        #expect(predicted.epochs == 3)
        #expect(abs(predicted.durationSeconds - 3 * tracker.epochMeasurements[0].durationSeconds) < 1e-9)
        #expect(tracker.epochMeasurements.allSatisfy { $0.durationSeconds >= 0.08 && $0.durationSeconds < 1 })
        #expect(!tracker.isMonitoring)
    }

    @Test func verboseZeroPrintsNothing() throws {
        let console = CapturedConsole()
        let tracker = try CarbonTracker(
            epochs: 2, updateInterval: 0.02, verbose: 0, simCPU: "Sim", simCPUTDP: 100,
            options: CoreTest.options(console))
        try CoreTest.train(tracker, epochs: 2, seconds: 0.02)
        #expect(console.printed.isEmpty)
        #expect(console.warnings.isEmpty)
        #expect(tracker.actualConsumption != nil)
    }

    @Test func noPredictionGivesPlainActualHeading() throws {
        let console = CapturedConsole()
        let tracker = try CarbonTracker(
            epochs: 2, epochsBeforePred: 0, updateInterval: 0.02, simCPU: "Sim", simCPUTDP: 100,
            options: CoreTest.options(console))
        try CoreTest.train(tracker, epochs: 2, seconds: 0.02)
        #expect(!console.printed.contains("Predicted consumption"))
        #expect(console.printed.contains("CarbonTracker: \nActual consumption:\n\tTime:"))
        #expect(tracker.predictedConsumption == nil)
    }

    @Test func predictionAfterAllEpochsWithMinusOne() throws {
        let console = CapturedConsole()
        let tracker = try CarbonTracker(
            epochs: 2, epochsBeforePred: -1, updateInterval: 0.02, simGPU: "Sim", simGPUWatts: 100,
            options: CoreTest.options(console))
        try CoreTest.train(tracker, epochs: 2, seconds: 0.02)
        let printed = console.printed
        let prediction = try #require(printed.range(of: "Predicted consumption for 2 epoch(s):"))
        let actual = try #require(printed.range(of: "Actual consumption for 2 epoch(s):"))
        #expect(prediction.lowerBound < actual.lowerBound)
    }

    @Test func monitoringEndsAfterMonitorEpochs() throws {
        let tracker = try CarbonTracker(
            epochs: 4, monitorEpochs: 2, updateInterval: 0.02, simCPU: "Sim", simCPUTDP: 100,
            options: CoreTest.options())
        try CoreTest.train(tracker, epochs: 2, seconds: 0.02)
        #expect(tracker.actualConsumption?.epochs == 2)
        #expect(!tracker.isMonitoring)
        // Later calls are no-ops, as in Python.
        try CoreTest.train(tracker, epochs: 2, seconds: 0)
        try tracker.stop()
        #expect(tracker.epochMeasurements.count == 2)
    }

    @Test func stopMidEpochReportsFinishedEpochs() throws {
        let directory = CoreTest.temporaryDirectory()
        let tracker = try CarbonTracker(
            epochs: 5, updateInterval: 0.02, logDir: directory, simCPU: "Sim", simCPUTDP: 100,
            options: CoreTest.options())
        try CoreTest.train(tracker, epochs: 2, seconds: 0.03)
        try tracker.epochStart()
        try tracker.stop()
        let standard = CoreTest.messages(CoreTest.read(try #require(tracker.logFiles).standard))
        #expect(standard.contains("Training was interrupted before all 5 epochs were monitored."))
        // Python reports one epoch fewer than finished here; we count the epochs that finished.
        #expect(CoreTest.read(tracker.logFiles!.output).contains("Actual consumption for 2 epoch(s):"))
        #expect(tracker.actualConsumption?.epochs == 2)
        #expect(standard.filter { $0.hasPrefix("Epoch ") }.count == 2)
    }

    @Test func stopAfterFinishedEpochsCountsThemAll() throws {
        let tracker = try CarbonTracker(
            epochs: 10, updateInterval: 0.02, simCPU: "Sim", simCPUTDP: 100, options: CoreTest.options())
        try CoreTest.train(tracker, epochs: 4, seconds: 0.02)
        try tracker.stop()
        #expect(tracker.actualConsumption?.epochs == 4)
    }

    @Test func callsOutOfOrderAreClearErrors() throws {
        let tracker = try CarbonTracker(
            epochs: 3, updateInterval: 0.02, simCPU: "Sim", simCPUTDP: 100, options: CoreTest.options())
        #expect(throws: CarbonTrackerError.self) { try tracker.epochEnd() }
        try tracker.epochStart()
        do {
            try tracker.epochStart()
            Issue.record("epochStart twice must throw")
        } catch let error as CarbonTrackerError {
            #expect(error.code == .invalidState)
            #expect(error.message.contains("epochStart() was called twice"))
        }
        try tracker.epochEnd()
        try tracker.stop()
        #expect(tracker.actualConsumption?.epochs == 1)
    }

    @Test func twoTrackersNeverShareAFile() throws {
        let directory = CoreTest.temporaryDirectory()
        let first = try CarbonTracker(
            epochs: 1, updateInterval: 0.02, logDir: directory, simCPU: "A", simCPUTDP: 10,
            options: CoreTest.options())
        let second = try CarbonTracker(
            epochs: 1, updateInterval: 0.02, logDir: directory, simCPU: "B", simCPUTDP: 10,
            options: CoreTest.options())
        try CoreTest.train(first, epochs: 1, seconds: 0.01)
        try CoreTest.train(second, epochs: 1, seconds: 0.01)
        #expect(first.logFiles?.standard != second.logFiles?.standard)
        #expect(CoreTest.read(first.logFiles!.standard).contains("CPU with device(s) A."))
        #expect(CoreTest.read(second.logFiles!.standard).contains("CPU with device(s) B."))
    }

    @Test func linesReachTheFileWithinAnInterval() throws {
        let directory = CoreTest.temporaryDirectory()
        let tracker = try CarbonTracker(
            epochs: 3, updateInterval: 0.05, logDir: directory, simCPU: "Sim", simCPUTDP: 100,
            options: CoreTest.options())
        try CoreTest.train(tracker, epochs: 1, seconds: 0.02)
        let path = try #require(tracker.logFiles).standard
        // Nothing was stopped or closed: the background thread must have written the epoch already.
        #expect(CoreTest.eventually { CoreTest.read(path).contains("Average power usage (W) for cpu: 50.0") })
        #expect(
            CoreTest.eventually { CoreTest.read(tracker.logFiles!.output).contains("Predicted consumption") })
        try tracker.stop()
    }

    @Test func releasedTrackerFinishesItsThread() throws {
        let directory = CoreTest.temporaryDirectory()
        var paths: LogPaths?
        do {
            let tracker = try CarbonTracker(
                epochs: 5, updateInterval: 0.02, logDir: directory, simCPU: "Sim", simCPUTDP: 100,
                options: CoreTest.options())
            try CoreTest.train(tracker, epochs: 1, seconds: 0.02)
            paths = tracker.logFiles
        }
        let standard = try #require(paths).standard
        #expect(CoreTest.eventually { CoreTest.read(standard).hasSuffix("Monitoring thread ended.\n") })
        #expect(
            CoreTest.read(standard).contains("Training was interrupted before all 5 epochs were monitored."))
    }

    @Test func epochCallsNeverWaitForASlowSample() throws {
        let slow = ScriptedComponent(kind: .cpu, watts: 10, readDelaySeconds: 0.3)
        // The prediction (after epoch 3) is waited for by design; epochs 1 and 2 are not.
        let tracker = try CarbonTracker(
            epochs: 5, epochsBeforePred: 3, updateInterval: 0.02, components: "cpu",
            options: CoreTest.options(components: [slow]))
        Thread.sleep(forTimeInterval: 0.05)
        let clock = ContinuousClock()
        let elapsed = try clock.measure {
            try tracker.epochStart()
            try tracker.epochEnd()
            try tracker.epochStart()
        }
        // Each read takes 300 ms; the calls must not have waited for one.
        #expect(elapsed < .milliseconds(100))
        try tracker.stop()
    }
}
