import Foundation

/// A component with constant, configured power, for machines without sensors and for tests.
///
/// ```swift
/// let gpu = SimulatedComponent(kind: .gpu, deviceName: "Sim A100", watts: 400, utilization: 0.5)
/// try gpu.read()   // [.watts(200)]
/// ```
///
/// Power is `watts × utilization` (Python's `SimulatedGPUHandler`/`SimulatedCPUHandler`; for a CPU
/// `watts` is its TDP). Reading costs nothing.
public final class SimulatedComponent: PowerComponent {
    /// The component this simulates.
    public let kind: ComponentKind
    /// Always "simulated".
    public let handlerName = "simulated"
    /// The simulated device's name.
    public let deviceName: String
    /// The constant power drawn, in watts (configured watts × utilisation).
    public let watts: Double

    /// Creates a simulated component.
    /// - Parameters:
    ///   - kind: CPU or GPU.
    ///   - deviceName: The device name to log.
    ///   - watts: The TDP (CPU) or power (GPU) in watts, from 0 to 10 kW.
    ///   - utilization: The share of `watts` drawn, in `0...1`.
    /// - Throws: ``CarbonTrackerError`` with code `.invalidConfiguration` for values out of range.
    public init(kind: ComponentKind, deviceName: String, watts: Double, utilization: Double = 0.5) throws {
        let label = kind == .cpu ? "simCPU" : "simGPU"
        guard !deviceName.trimmingCharacters(in: .whitespaces).isEmpty else {
            throw CarbonTrackerError.invalidConfiguration("\(label) must be a non-empty device name.")
        }
        try Plausible.number(
            watts, in: Plausible.deviceWatts, name: kind == .cpu ? "simCPUTDP" : "simGPUWatts", unit: "W")
        try Plausible.number(
            utilization, in: Plausible.utilization, name: kind == .cpu ? "simCPUUtil" : "simGPUUtil")
        self.kind = kind
        self.deviceName = deviceName
        self.watts = watts * utilization
    }

    /// The one simulated device.
    public func devices() -> [String] { [deviceName] }
    /// Always available.
    public func isAvailable() -> Bool { true }
    /// Nothing to prepare.
    public func start(diagnostics: any DiagnosticsReporter) throws {}
    /// Always `.simulated`.
    public func measurementMethod() -> MeasurementMethod { .simulated }
    /// The constant power.
    public func read() throws -> [DeviceReading] { [.watts(watts)] }
    /// The constant power, into a reused buffer.
    /// - Parameter readings: Receives the one value.
    public func read(into readings: inout [DeviceReading]) throws {
        readings.removeAll(keepingCapacity: true)
        readings.append(.watts(watts))
    }
    /// Nothing to release.
    public func shutdown() {}
}
