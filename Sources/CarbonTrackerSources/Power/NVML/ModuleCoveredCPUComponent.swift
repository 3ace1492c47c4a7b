/// The CPU of a Grace Hopper or Grace Blackwell superchip whose energy NVML already counts in the GPU
/// module figure: it stands in for RAPL or the TDP estimate so that the Grace CPU is never counted twice.
///
/// ```swift
/// let cpu = ModuleCoveredCPUComponent(gpu: nvml, cpuName: "Neoverse-V2")
/// cpu.isAvailable()   // true when a measured GPU is at module scope
/// try cpu.read()      // [.cumulativeJoules(0)]: its energy is in the GPU's figure
/// ```
///
/// It is chosen for the CPU only when the GPU component from the same `HardwareContext` measures at
/// least one GPU at module scope (``NVMLPowerScope/module``); then the CPU line of every epoch reads
/// 0 J and a note in the standard and output logs says where the CPU's energy went. Reading costs nothing.
public final class ModuleCoveredCPUComponent: PowerComponent {
    /// Always `.cpu`.
    public let kind = ComponentKind.cpu
    /// "NVML module".
    public let handlerName = "NVML module"

    private let gpu: NVMLComponent
    private let cpuName: String

    /// Creates the stand-in.
    /// - Parameters:
    ///   - gpu: The GPU component whose module figures include the CPU.
    ///   - cpuName: The CPU's model name, for the device list.
    public init(gpu: NVMLComponent, cpuName: String) {
        self.gpu = gpu
        self.cpuName = cpuName
    }

    /// The CPU, marked as counted in the GPU module figure.
    public func devices() -> [String] { ["\(cpuName) (in the GPU module figure)"] }

    /// Whether a measured GPU is at module scope (asks the GPU component, which keeps its answer).
    public func isAvailable() -> Bool { gpu.isAvailable() && !gpu.moduleScopeDevices().isEmpty }

    /// Why the CPU is measured on its own after all, or `nil`.
    public func unavailabilityReason() -> String? {
        isAvailable() ? nil : "no measured GPU reports module-scope power, so the CPU is measured on its own."
    }

    /// The GPU component's method: the CPU's energy is measured the way the module's is.
    public func measurementMethod() -> MeasurementMethod { gpu.measurementMethod() }

    /// Nothing to prepare.
    /// - Parameter diagnostics: Unused.
    public func start(diagnostics: any DiagnosticsReporter) throws {}

    /// Zero: the energy is in the GPU module figure.
    /// - Throws: Never; the signature is the protocol's.
    public func read() throws -> [DeviceReading] { [.cumulativeJoules(0)] }

    /// Nothing to release.
    public func shutdown() {}

    /// Says where the CPU's energy is counted.
    public func provenanceNote() -> String? {
        let modules = gpu.moduleScopeDevices()
        return
            "CPU energy is counted in the GPU figures: NVML measures \(modules.joined(separator: ", ")) at "
            + "module scope (NVML_POWER_SCOPE_MODULE), which includes the Grace CPU, so the CPU is not counted "
            + "again by RAPL or a TDP estimate and its own line reads 0."
    }
}
