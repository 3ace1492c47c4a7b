import Foundation
import Testing

@testable import CarbonTrackerMonitor
@testable import CarbonTrackerSources

/// A source of constant power per device whose method can be changed between readings.
private final class SwitchableComponent: PowerComponent {
    let kind: ComponentKind
    let handlerName = "switchable"
    let wattsPerDevice: [Double]
    let method = LockedBox(MeasurementMethod.sampled)

    init(kind: ComponentKind, wattsPerDevice: [Double]) {
        self.kind = kind
        self.wattsPerDevice = wattsPerDevice
    }

    func devices() -> [String] { wattsPerDevice.indices.map { "\(kind.rawValue) \($0)" } }
    func isAvailable() -> Bool { true }
    func start(diagnostics: any DiagnosticsReporter) throws {}
    func measurementMethod() -> MeasurementMethod { method.withLock { $0 } }
    func read() throws -> [DeviceReading] { wattsPerDevice.map { .watts($0) } }
    func shutdown() {}
}

@Suite struct WindowReuseTests {
    private static let accounting = WindowAccounting(
        powerUsageEffectiveness: 1.5, updatePeriodSeconds: 1, wallOrigin: 0, monotonicOrigin: 0)

    /// A state over `components`, read once a second up to `seconds`.
    private static func state(_ components: [SwitchableComponent], readUpTo seconds: Int) throws
        -> MeasureState
    {
        var state = MeasureState()
        for component in components { state.add(component) }
        for second in 0...seconds { try read(&state, at: Double(second)) }
        return state
    }

    private static func read(_ state: inout MeasureState, at time: Double) throws {
        for source in state.sources {
            for (offset, reading) in try source.component.read().enumerated() {
                state.curves[source.firstSlot + offset].add(reading, at: time)
            }
        }
        state.sourceFactsStale = true
    }

    private static func epoch(_ id: Int32, _ kind: WindowRequest.Kind, at time: Double) -> WindowRequest {
        WindowRequest(time: time, id: id, kind: kind, isEpoch: true)
    }

    @Test func epochNamesAreThoseOfInterpolation() {
        for epoch: Int32 in [0, 1, 9, 10, 11, 99, 100, 12_345, 999_999_999, 1_000_000_000, .max, -1, .min] {
            #expect(MeasureState.epochName(epoch) == "epoch \(epoch)")
        }
    }

    @Test func aWindowThatReusesArraysMeasuresAsAFreshOne() throws {
        // As on the sampling thread, requests are applied after the reading that follows them (a curve
        // keeps its last two readings).
        let gpu = SwitchableComponent(kind: .gpu, wattsPerDevice: [300, 250])
        let cpu = SwitchableComponent(kind: .cpu, wattsPerDevice: [100])
        var reused = try Self.state([gpu, cpu], readUpTo: 1)
        // Epoch 1 leaves its arrays and accumulated grams behind; epoch 2 and the nested epoch 3 reuse them.
        reused.apply([Self.epoch(1, .begin, at: 0.25)], configuration: Self.accounting)
        reused.account(upTo: 1)
        try Self.read(&reused, at: 2)
        reused.apply(
            [Self.epoch(1, .end, at: 1.5), Self.epoch(2, .begin, at: 1.5), Self.epoch(3, .begin, at: 2)],
            configuration: Self.accounting)
        reused.account(upTo: 2)
        try Self.read(&reused, at: 3)
        reused.account(upTo: 3)
        try Self.read(&reused, at: 4)
        reused.apply(
            [Self.epoch(3, .end, at: 3), Self.epoch(2, .end, at: 3.5)], configuration: Self.accounting)
        #expect(reused.finished.map(\.epoch) == [1, 3, 2])

        var fresh = try Self.state([gpu, cpu], readUpTo: 2)
        fresh.apply([Self.epoch(2, .begin, at: 1.5)], configuration: Self.accounting)
        fresh.account(upTo: 2)
        try Self.read(&fresh, at: 3)
        fresh.account(upTo: 3)
        try Self.read(&fresh, at: 4)
        fresh.apply([Self.epoch(2, .end, at: 3.5)], configuration: Self.accounting)
        let second = try #require(reused.finished.last?.measurement)
        let alone = try #require(fresh.finished.last?.measurement)
        #expect(second.components == alone.components)
        #expect(second.co2eqGrams == alone.co2eqGrams)
        #expect(second.co2eqGramsRange == alone.co2eqGramsRange)
        #expect(second.energyKilowattHoursRange == alone.energyKilowattHoursRange)
        #expect(second.co2eqGrams > 0)
        // Constant power: each device's joules are its watts times the window's seconds.
        #expect(second.name == "epoch 2")
        #expect(second.components.map(\.joules) == [[600, 500], [200]])
        #expect(second.components.map(\.averageWatts) == [[300, 250], [100]])
        let nested = try #require(reused.finished.first { $0.epoch == 3 }?.measurement)
        #expect(nested.components.map(\.joules) == [[300, 250], [100]])
        let first = try #require(reused.finished.first?.measurement)
        #expect(first.components.map(\.joules) == [[375, 312.5], [125]])
    }

    @Test func aSourcesMethodIsAskedAgainAfterEachReading() throws {
        let cpu = SwitchableComponent(kind: .cpu, wattsPerDevice: [100])
        var state = try Self.state([cpu], readUpTo: 2)
        state.apply(
            [Self.epoch(1, .begin, at: 0.5), Self.epoch(1, .end, at: 1)], configuration: Self.accounting)
        cpu.method.withLock { $0 = .counter }
        try Self.read(&state, at: 3)
        state.apply(
            [Self.epoch(2, .begin, at: 1), Self.epoch(2, .end, at: 2.5)], configuration: Self.accounting)
        #expect(state.finished.map { $0.measurement.components.map(\.method) } == [[.sampled], [.counter]])
    }
}
