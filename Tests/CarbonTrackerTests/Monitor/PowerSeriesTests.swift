import Foundation
import Testing

@testable import CarbonTracker
@testable import CarbonTrackerMonitor
@testable import CarbonTrackerSources

/// A run's power over time: bounded however long the run, its energy conserved through merges, read
/// back from the event log.
@Suite struct PowerSeriesTests {
    /// Two simulated sources (GPU, CPU) read directly, so each reading's energy is known exactly.
    private struct Feed {
        var recorder: PowerSeriesRecorder
        var sources: [MeasuredSource] = []
        var curves: [DeviceEnergyCurve] = [DeviceEnergyCurve(), DeviceEnergyCurve()]

        init(capacity: Int, width: Double) throws {
            recorder = PowerSeriesRecorder(capacity: capacity, initialWidthSeconds: width)
            let gpu = try SimulatedComponent(kind: .gpu, deviceName: "G", watts: 200, utilization: 1)
            let cpu = try SimulatedComponent(kind: .cpu, deviceName: "C", watts: 100, utilization: 1)
            sources = [
                MeasuredSource(component: gpu, devices: ["G"], name: "sim", firstSlot: 0, kind: .gpu, deviceCount: 1),
                MeasuredSource(component: cpu, devices: ["C"], name: "sim", firstSlot: 1, kind: .cpu, deviceCount: 1),
            ]
        }

        mutating func read(at time: Double, gpuWatts: Double, cpuWatts: Double, intensity: Double = 100) {
            curves[0].add(.watts(gpuWatts), at: time)
            curves[1].add(.watts(cpuWatts), at: time)
            recorder.record(at: time, gramsPerKilowattHour: intensity, sources: sources, curves: curves)
        }

        func curveJoules(_ slot: Int) -> Double { curves[slot].latest?.joules ?? 0 }
    }

    private static let accounting = WindowAccounting(
        powerUsageEffectiveness: 1, updatePeriodSeconds: 0.1, wallOrigin: 1_790_000_000, monotonicOrigin: 0)

    @Test func energyIsConservedThroughManyMergesAndTheSizeStaysBounded() throws {
        var feed = try Feed(capacity: 64, width: 0.1)
        var time = 5.0
        // 200,000 readings, irregular gaps (an idle sampler leaves long ones), power changing each time.
        var counts: Set<Int> = []
        let first = time + 0.01
        for step in 0..<200_000 {
            time += step % 1000 == 999 ? 37.5 : 0.01 + Double(step % 7) * 0.013
            feed.read(at: time, gpuWatts: 150 + Double(step % 50), cpuWatts: 40 + Double(step % 13))
            if step % 10_000 == 0 { counts.insert(feed.recorder.series(Self.accounting)?.count ?? -1) }
        }
        let series = try #require(feed.recorder.series(Self.accounting))
        #expect(series.count <= 64)
        #expect(counts.allSatisfy { $0 <= 64 }, "never more intervals than the capacity: \(counts)")
        #expect(series.intervalSeconds >= 0.1 * 1024, "merged at least ten times: \(series.intervalSeconds)")
        let gpu = try #require(series.components.first { $0.kind == .gpu })
        let cpu = try #require(series.components.first { $0.kind == .cpu })
        let gpuTotal = gpu.joules.reduce(0, +)
        let cpuTotal = cpu.joules.reduce(0, +)
        #expect(abs(gpuTotal - feed.curveJoules(0)) <= 1e-9 * feed.curveJoules(0))
        #expect(abs(cpuTotal - feed.curveJoules(1)) <= 1e-9 * feed.curveJoules(1))
        #expect(abs(series.coveredSeconds.reduce(0, +) - (time - first)) <= 1e-9 * time)
        #expect(series.gramsPerKilowattHour.dropLast().allSatisfy { abs($0 - 100) < 1e-9 })
        #expect(abs(series.startDate.timeIntervalSince1970 - (1_790_000_000 + first)) < 1e-6)
    }

    @Test func powerAndIntensityFollowTheirChangesInTime() throws {
        var feed = try Feed(capacity: 8, width: 1)
        // 0–4 s at 100 W CPU and 100 g/kWh, then 4–8 s at 300 W and 300 g/kWh; readings every 0.5 s.
        feed.read(at: 0, gpuWatts: 0, cpuWatts: 100)
        for step in 1...16 {
            let time = Double(step) * 0.5
            let high = time > 4
            feed.read(
                at: time, gpuWatts: 0, cpuWatts: high && time > 4.5 ? 300 : (high ? 300 : 100),
                intensity: high ? 300 : 100)
        }
        let series = try #require(feed.recorder.series(Self.accounting))
        #expect(series.count == 8)
        #expect(series.intervalSeconds == 1)
        let cpu = try #require(series.components.first { $0.kind == .cpu })
        let watts = cpu.averageWatts(series)
        // Trapezoids: the interval 4–5 s holds the ramp from 100 W to 300 W over 4–4.5 s.
        #expect(watts[0...3].allSatisfy { abs($0 - 100) < 1e-9 }, "\(watts)")
        #expect(abs(watts[4] - 250) < 1e-9, "\(watts)")
        #expect(watts[5...].allSatisfy { abs($0 - 300) < 1e-9 }, "\(watts)")
        #expect(series.gramsPerKilowattHour[0...3].allSatisfy { $0 == 100 })
        #expect(series.gramsPerKilowattHour[4...].allSatisfy { $0 == 300 })
        // One more reading past the capacity merges pairs: 2 s intervals, the same energy.
        feed.read(at: 8.5, gpuWatts: 0, cpuWatts: 300)
        let merged = try #require(feed.recorder.series(Self.accounting))
        #expect(merged.intervalSeconds == 2)
        #expect(merged.count == 5)
        #expect(abs(merged.totalJoules - feed.curveJoules(1)) < 1e-9)
        #expect(abs((merged.components.last?.averageWatts(merged)[0] ?? 0) - 100) < 1e-9)
    }

    @Test func aMonitorKeepsTheSeriesAndTheEventLogRoundTripsIt() throws {
        let logs = try ParserTestSupport.scratchDirectory()
        defer { ParserTestSupport.cleanUp(logs) }
        let tracker = try CarbonTracker(
            epochs: 2, epochsBeforePred: 0, updateInterval: 0.01, logDir: logs, simCPU: "Sim CPU",
            simCPUTDP: 100, simGPU: "Sim GPU", simGPUWatts: 300, options: CoreTest.options())
        try CoreTest.train(tracker, epochs: 2, seconds: 0.2)
        try tracker.stop()
        let series = try #require(tracker.monitor.powerSeries)
        #expect(series.count >= 20 && series.count <= 2048)
        #expect(series.components.map(\.kind) == [.gpu, .cpu])
        for component in series.components {
            let expected = component.kind == .gpu ? 150.0 : 50.0
            // Every interval fully covered by readings averages the constant simulated power.
            for (watts, covered) in zip(component.averageWatts(series), series.coveredSeconds)
            where covered >= series.intervalSeconds * 0.999 {
                #expect(abs(watts - expected) < expected * 1e-6, "\(component.kind): \(watts) W")
            }
        }
        let epochJoules = tracker.epochMeasurements.reduce(0) { total, epoch in
            total + epoch.components.reduce(0) { $0 + $1.joules.reduce(0, +) }
        }
        // The series covers both epochs and the moment between them; it starts at the first reading,
        // which the first epoch, begun just before the sources started, extrapolates back from.
        #expect(abs(series.totalJoules - epochJoules) <= 0.01 * epochJoules, "\(series.totalJoules) J")

        let entry = try #require(try LogParser.parseAllLogs(logDir: logs).entries.first)
        let parsed = try #require(entry.powerSeries)
        #expect(parsed.count == series.count)
        #expect(parsed.intervalSeconds == series.intervalSeconds)
        #expect(abs(parsed.startDate.timeIntervalSince(series.startDate)) < 0.001)
        #expect(parsed.components.map(\.kind) == series.components.map(\.kind))
        for (read, kept) in zip(parsed.components, series.components) {
            for (a, b) in zip(read.joules, kept.joules) { #expect(abs(a - b) <= 1e-6) }
        }
        for (a, b) in zip(parsed.coveredSeconds, series.coveredSeconds) { #expect(abs(a - b) <= 1e-6) }
        for (a, b) in zip(parsed.gramsPerKilowattHour, series.gramsPerKilowattHour) {
            #expect(abs(a - b) <= 1e-6)
        }
    }
}
