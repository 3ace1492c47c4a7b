import Foundation

@testable import CarbonTrackerMonitor
@testable import CarbonTrackerSources

/// Hardware with a known truth: power that changes every 10 ms, faster than any sampling, between a busy
/// and a waiting level (dwell times of 50 ms on average) with noise and a slow drift on top.
struct FluctuatingPower {
    static let stepSeconds = 0.01
    private var busy = false
    private var generator: SeededGenerator
    private let drift: (amplitude: Double, period: Double, phase: Double)
    private(set) var step = 0
    /// The power of the current 10 ms step, in watts.
    private(set) var watts = 0.0

    init(seed: UInt64) {
        generator = SeededGenerator(seed: seed)
        drift = (
            Double.random(in: 0...60, using: &generator), Double.random(in: 20...120, using: &generator),
            Double.random(in: 0...(2 * .pi), using: &generator)
        )
        advance()
    }

    /// Moves to the next 10 ms step.
    mutating func advance() {
        // Leaves a level with probability 0.2 per step: dwell times of 50 ms on average.
        if Double.random(in: 0..<1, using: &generator) < 0.2 { busy.toggle() }
        let time = Double(step) * Self.stepSeconds
        let level = busy ? 320.0 : 120.0
        let slow = drift.amplitude * sin(2 * .pi * time / drift.period + drift.phase)
        watts = max(0, level + slow + Double.random(in: -10...10, using: &generator))
        step += 1
    }
}

/// A power source the test sets before each read: the monitor reads it as it reads real hardware.
final class TruthComponent: PowerComponent {
    let kind = ComponentKind.gpu
    let handlerName = "truth"
    private let method: MeasurementMethod
    private let model: PowerErrorModel
    private let next = LockedBox(DeviceReading.unavailable)

    init(method: MeasurementMethod, model: PowerErrorModel) {
        self.method = method
        self.model = model
    }

    func set(_ reading: DeviceReading) { next.withLock { $0 = reading } }
    func devices() -> [String] { ["simulated truth"] }
    func isAvailable() -> Bool { true }
    func start(diagnostics: any DiagnosticsReporter) throws {}
    func measurementMethod() -> MeasurementMethod { method }
    func errorModel() -> PowerErrorModel { model }
    func read() throws -> [DeviceReading] { [next.withLock { $0 }] }
    func shutdown() {}
}

/// Drives the monitor's measurement state on simulated time: readings enter the curves, the intensity is
/// put in force and windows begin and end in the order the sampling thread uses (`MonitorCore.readNow`).
struct SimulatedMonitor {
    var state = MeasureState()
    let component: TruthComponent
    let configuration = WindowAccounting(
        powerUsageEffectiveness: 1, updatePeriodSeconds: 1, wallOrigin: 0, monotonicOrigin: 0)
    var intensity = IntensityInForce(gramsPerKilowattHour: 300, isProvisional: false)

    init(component: TruthComponent) {
        self.component = component
        state.add(component)
    }

    /// One reading at `time` of `reading`, then `requests` at that time.
    mutating func read(_ reading: DeviceReading, at time: Double, requests: [WindowRequest.Kind] = []) {
        state.setIntensity(intensity)
        component.set(reading)
        try! component.read(into: &state.readings)
        state.curves[0].add(state.readings[0], at: time)
        state.apply(
            requests.map { WindowRequest(time: time, id: 1, kind: $0, isEpoch: true) },
            configuration: configuration)
        state.account(upTo: time)
    }

    /// The window that ended last.
    mutating func takeFinished() -> WindowMeasurement? {
        defer { state.finished.removeAll() }
        return state.finished.last?.measurement
    }
}

/// What the runs of one calibration case found.
struct CalibrationResult: CustomStringConvertible {
    var name: String
    var covered = 0
    var runs = 0
    var relativeWidths: [Double] = []

    var coverage: Double { runs > 0 ? Double(covered) / Double(runs) : 0 }
    var medianRelativeWidth: Double {
        let sorted = relativeWidths.sorted()
        guard !sorted.isEmpty else { return .nan }
        return sorted.count % 2 == 1
            ? sorted[sorted.count / 2] : (sorted[sorted.count / 2 - 1] + sorted[sorted.count / 2]) / 2
    }

    mutating func add(truth: Double, range: ClosedRange<Double>, value: Double) {
        runs += 1
        if range.contains(truth) { covered += 1 }
        relativeWidths.append((range.upperBound - range.lowerBound) / value)
    }

    var description: String {
        "\(name): truth inside the range in \(covered) of \(runs) runs; median relative width "
            + "\((medianRelativeWidth * 10_000).rounded() / 100)%"
    }
}
