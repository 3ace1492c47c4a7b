import Foundation
import Testing

@testable import CarbonTracker
@testable import CarbonTrackerMonitor
@testable import CarbonTrackerSources

/// Measurement windows: nested, overlapping, concurrent, inside and across epochs, with the energy a
/// constant-power simulated source must give (watts × the window's own duration).
@Suite struct EnergyMonitorTests {
    static let cpuWatts = 50.0  // 100 W TDP × 50%
    static let gpuWatts = 150.0  // 300 W × 50%

    static func monitor(
        _ console: CapturedConsole = CapturedConsole(), logDir: String? = nil, updateInterval: Double = 0.02,
        synchronize: (@Sendable () -> Void)? = nil
    ) throws -> EnergyMonitor {
        var options = CoreTest.options(console)
        options.synchronize = synchronize
        return try EnergyMonitor(
            updateInterval: updateInterval, logDir: logDir, simCPU: "Sim CPU", simCPUTDP: 100,
            simGPU: "Sim GPU",
            simGPUWatts: 300, options: options)
    }

    /// Checks a window's energy against constant power over its own duration, within 1%.
    static func expectConstantPower(_ m: WindowMeasurement, sourceLocation: SourceLocation = #_sourceLocation)
    {
        let gpu = m.components.first { $0.kind == .gpu }?.joules.first ?? -1
        let cpu = m.components.first { $0.kind == .cpu }?.joules.first ?? -1
        #expect(
            abs(gpu - gpuWatts * m.durationSeconds) <= 0.01 * gpuWatts * m.durationSeconds,
            sourceLocation: sourceLocation)
        #expect(
            abs(cpu - cpuWatts * m.durationSeconds) <= 0.01 * cpuWatts * m.durationSeconds,
            sourceLocation: sourceLocation)
        let kilowattHours = (gpuWatts + cpuWatts) * m.durationSeconds * 1.58 / 3_600_000
        #expect(
            abs(m.energyKilowattHours - kilowattHours) <= 0.01 * kilowattHours, sourceLocation: sourceLocation
        )
        #expect(
            abs(m.co2eqGrams - m.energyKilowattHours * 445) <= 1e-9 + 1e-6 * m.co2eqGrams,
            sourceLocation: sourceLocation)
        #expect(abs(m.gramsPerKilowattHour - 445) < 1e-9 * 445, sourceLocation: sourceLocation)
    }

    @Test func nestedAndOverlappingWindowsEachGetTheirWholeInterval() throws {
        let monitor = try Self.monitor()
        try monitor.beginWindow("outer")
        Thread.sleep(forTimeInterval: 0.1)
        try monitor.beginWindow("inner")
        Thread.sleep(forTimeInterval: 0.1)
        try monitor.beginWindow("overlap")
        Thread.sleep(forTimeInterval: 0.1)
        let inner = try monitor.endWindow("inner")
        Thread.sleep(forTimeInterval: 0.1)
        let outer = try monitor.endWindow("outer")
        Thread.sleep(forTimeInterval: 0.1)
        let overlap = try monitor.endWindow("overlap")
        for window in [inner, outer, overlap] { Self.expectConstantPower(window) }
        #expect(outer.durationSeconds > inner.durationSeconds)
        #expect(
            inner.durationSeconds >= 0.2 && outer.durationSeconds >= 0.4 && overlap.durationSeconds >= 0.3)
        #expect(outer.startDate <= inner.startDate && inner.endDate <= outer.endDate)
        #expect(inner.name == "inner" && outer.name == "outer" && overlap.name == "overlap")
        #expect(outer.components.map(\.method) == [.simulated, .simulated])
        #expect(!outer.isApproximate)
        try monitor.stop()
    }

    @Test func aWindowShorterThanTheUpdateIntervalIsInterpolatedAndSaysSo() throws {
        let monitor = try Self.monitor(updateInterval: 0.5)
        try monitor.beginWindow("tiny")
        let tiny = try monitor.endWindow("tiny")
        #expect(tiny.isApproximate)
        Self.expectConstantPower(tiny)
        try monitor.beginWindow("long")
        Thread.sleep(forTimeInterval: 0.6)
        #expect(try monitor.endWindow("long").isApproximate == false)
        try monitor.stop()
    }

    @Test func mistakesAreClearErrorsAndTheMonitorStaysUsable() throws {
        let monitor = try Self.monitor()
        try monitor.beginWindow("a")
        func expectInvalid(_ fragment: String, _ body: () throws -> Void) {
            do {
                try body()
                Issue.record("expected invalidState mentioning \(fragment)")
            } catch let error as CarbonTrackerError {
                #expect(error.code == .invalidState)
                #expect(error.message.contains(fragment), "\(error.message)")
            } catch {
                Issue.record("unexpected \(error)")
            }
        }
        expectInvalid("already open") { try monitor.beginWindow("a") }
        expectInvalid("no window of that name is open") { _ = try monitor.endWindow("b") }
        expectInvalid("no window of that name is open") { try monitor.cancelWindow("b") }
        try monitor.cancelWindow("a")
        expectInvalid("no window of that name is open") { _ = try monitor.endWindow("a") }
        try monitor.beginWindow("a")
        Thread.sleep(forTimeInterval: 0.05)
        Self.expectConstantPower(try monitor.endWindow("a"))
        try monitor.stop()
        try monitor.stop()
        expectInvalid("after the monitor stopped") { try monitor.beginWindow("c") }
        #expect(!monitor.isMonitoring)
    }

    @Test func measureReturnsTheBodysResultAndCancelsOnError() throws {
        let monitor = try Self.monitor()
        let (value, window) = try monitor.measure("step") { () -> Int in
            Thread.sleep(forTimeInterval: 0.05)
            return 42
        }
        #expect(value == 42)
        #expect(window.durationSeconds >= 0.05)
        Self.expectConstantPower(window)
        struct Boom: Error {}
        #expect(throws: Boom.self) { _ = try monitor.measure("step") { () -> Int in throw Boom() } }
        // The failed window was cancelled, so its name is free again.
        _ = try monitor.measure("step") { 1 }
        try monitor.stop()
    }

    @Test func asyncMeasureSpansSuspensionPoints() async throws {
        let monitor = try Self.monitor()
        let (value, window) = try await monitor.measure("infer") { () async throws -> String in
            try await Task.sleep(for: .milliseconds(60))
            await Task.yield()
            try await Task.sleep(for: .milliseconds(60))
            return "done"
        }
        #expect(value == "done")
        #expect(window.durationSeconds >= 0.12)
        Self.expectConstantPower(window)
        try monitor.stop()
    }

    @Test func synchronizeRunsAtBothEndsOfEveryWindowAndEpoch() throws {
        let calls = LockedBox(0)
        let monitor = try Self.monitor(synchronize: { calls.withLock { $0 += 1 } })
        _ = try monitor.measure("one") { 1 }
        try monitor.beginWindow("two")
        _ = try monitor.endWindow("two")
        #expect(calls.withLock { $0 } == 4)
        try monitor.stop()

        var options = CoreTest.options()
        options.synchronize = { calls.withLock { $0 += 1 } }
        let tracker = try CarbonTracker(
            epochs: 2, epochsBeforePred: 0, updateInterval: 0.02, simCPU: "Sim", simCPUTDP: 10,
            options: options)
        try CoreTest.train(tracker, epochs: 2, seconds: 0.01)
        #expect(calls.withLock { $0 } == 8)
    }

    @Test func eightThreadsWithTheirOwnWindows() throws {
        let directory = CoreTest.temporaryDirectory()
        let monitor = try Self.monitor(logDir: directory)
        let results = LockedBox<[WindowMeasurement]>([])
        let failures = LockedBox<[String]>([])
        let done = DispatchGroup()
        for thread in 0..<8 {
            done.enter()
            Thread {
                defer { done.leave() }
                do {
                    for index in 0..<100 {
                        let name = "t\(thread)-\(index)"
                        try monitor.beginWindow(name)
                        if index % 10 == 0 { Thread.sleep(forTimeInterval: 0.002) }
                        let window = try monitor.endWindow(name)
                        results.withLock { $0.append(window) }
                    }
                } catch {
                    failures.withLock { $0.append("\(error)") }
                }
            }.start()
        }
        #expect(done.wait(timeout: .now() + 60) == .success)
        #expect(failures.withLock { $0 }.isEmpty)
        let windows = results.withLock { $0 }
        #expect(windows.count == 800)
        for window in windows where window.durationSeconds >= 0.001 { Self.expectConstantPower(window) }
        try monitor.stop()
        let lines = CoreTest.messages(CoreTest.read(try #require(monitor.logFiles).standard))
        let logged = Set(
            lines.filter { $0.hasPrefix("Window t") }.compactMap { $0.split(separator: ":").first })
        #expect(logged.count == 800, "every window once in the log")
    }

    @Test func stopEndsOpenWindowsWithOneWarningNamingThem() throws {
        let directory = CoreTest.temporaryDirectory()
        let console = CapturedConsole()
        let monitor = try Self.monitor(console, logDir: directory)
        try monitor.beginWindow("left open")
        try monitor.beginWindow("also open")
        _ = try monitor.measure("closed") { Thread.sleep(forTimeInterval: 0.01) }
        try monitor.stop()
        let errors = CoreTest.read(try #require(monitor.logFiles).error)
        let warnings = errors.split(separator: "\n").filter { $0.contains("still open") }
        #expect(warnings.count == 1)
        #expect(warnings.first?.contains("\"also open\", \"left open\"") == true)
        let standard = CoreTest.messages(CoreTest.read(monitor.logFiles!.standard))
        #expect(standard.contains { $0.hasPrefix("Window closed: duration 0:00:00.0") })
        #expect(!standard.contains { $0.hasPrefix("Window left open") })
        #expect(standard.last == "Monitoring thread ended.")
    }

    @Test func trackerWindowsSpanEpochsAndTheGapsBetween() throws {
        let directory = CoreTest.temporaryDirectory()
        let tracker = try CarbonTracker(
            epochs: 2, epochsBeforePred: 0, updateInterval: 0.02, logDir: directory, simCPU: "Sim CPU",
            simCPUTDP: 100, simGPU: "Sim GPU", simGPUWatts: 300, options: CoreTest.options())
        let between = try tracker.monitor.measure("before epochs") { Thread.sleep(forTimeInterval: 0.1) }.1
        try tracker.monitor.beginWindow("span")
        try tracker.epochStart()
        Thread.sleep(forTimeInterval: 0.1)
        try tracker.epochEnd()
        Thread.sleep(forTimeInterval: 0.05)
        try tracker.epochStart()
        Thread.sleep(forTimeInterval: 0.1)
        let span = try tracker.monitor.endWindow("span")
        try tracker.epochEnd()
        Self.expectConstantPower(between)
        Self.expectConstantPower(span)
        #expect(span.durationSeconds >= 0.25)
        let epochs = tracker.epochMeasurements
        #expect(epochs.count == 2)
        #expect(span.durationSeconds > epochs[0].durationSeconds + 0.1)
        let standard = CoreTest.messages(CoreTest.read(try #require(tracker.logFiles).standard))
        #expect(standard.filter { $0.hasPrefix("Window ") }.count == 2)
        #expect(standard.filter { $0.hasPrefix("Epoch ") } == ["Epoch 1:", "Epoch 2:"])
        let line = try #require(standard.first { $0.hasPrefix("Window span:") })
        #expect(line.contains(", energy (J) for gpu: ["))
        #expect(line.contains("] [method: simulated], energy (J) for cpu: ["))
        #expect(line.contains(", CO2eq (g): "))
    }
}
