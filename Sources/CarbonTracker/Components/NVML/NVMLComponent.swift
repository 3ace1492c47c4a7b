import CNVML
import Foundation

/// NVIDIA GPUs through NVML: energy from the driver's counter where the GPU has one, else power samples.
///
/// ```swift
/// let gpus = NVMLComponent(environment: ["CUDA_VISIBLE_DEVICES": "GPU-5e1c0f8a"])
/// if gpus.isAvailable() { try gpus.start(diagnostics: SilentDiagnostics()); try gpus.read() }
/// ```
///
/// Volta and newer GPUs report `nvmlDeviceGetTotalEnergyConsumption` (millijoules since the driver
/// loaded), read as a counter: nothing between two reads is missed. Older GPUs, or a library that
/// lacks the function, fall back to `nvmlDeviceGetPowerUsage` (milliwatts), which the tracker
/// integrates; one line in the standard log says so. The library is loaded at run time
/// (`libnvidia-ml.so.1`, or `CARBONTRACKER_NVML_LIBRARY`), so machines without a driver just
/// report the component unavailable. A read costs one driver call per GPU.
public final class NVMLComponent: PowerComponent {
    /// Always `.gpu`.
    public let kind = ComponentKind.gpu
    /// "NVML".
    public let handlerName = "NVML"

    private enum Mode { case counter, power }

    private struct Device {
        let handle: cnvml_device
        let name: String
        var mode: Mode
    }

    private struct State {
        var library: NVMLLibrary?
        var initialized = false
        var availabilityChecked = false
        var unavailability: CarbonTrackerError?
        var devices: [Device] = []
        var diagnostics: any DiagnosticsReporter = SilentDiagnostics()
    }

    private let libraryPath: String
    private let selection: NVMLDeviceSelection
    private let state = LockedBox(State())

    /// Creates the component from environment variables, as the tracker does.
    /// - Parameters:
    ///   - environment: Reads `CARBONTRACKER_NVML_LIBRARY` (library path) and `CUDA_VISIBLE_DEVICES`.
    ///   - devicesByPID: Measure only GPUs running this process or its descendants.
    public convenience init(
        environment: [String: String] = ProcessInfo.processInfo.environment, devicesByPID: Bool = false
    ) {
        self.init(
            libraryPath: environment["CARBONTRACKER_NVML_LIBRARY"] ?? "libnvidia-ml.so.1",
            visibleDevices: environment["CUDA_VISIBLE_DEVICES"], devicesByPID: devicesByPID,
            processFamily: { ProcessTree.currentFamily() })
    }

    init(
        libraryPath: String, visibleDevices: String?, devicesByPID: Bool,
        processFamily: @escaping @Sendable () -> Set<Int32>
    ) {
        self.libraryPath = libraryPath
        self.selection = NVMLDeviceSelection(
            visibleText: visibleDevices, devicesByPID: devicesByPID, processFamily: processFamily)
    }

    /// The measured GPUs' names as NVML reports them (empty before ``start(diagnostics:)``).
    public func devices() -> [String] { state.withLock { $0.devices.map(\.name) } }

    /// Whether the library loads, initialises and shows at least one GPU to measure.
    ///
    /// Costs a `dlopen`, `nvmlInit` and a few queries the first time; the answer is kept.
    public func isAvailable() -> Bool { availabilityError() == nil }

    /// Why no GPU can be measured, or `nil`.
    public func unavailabilityReason() -> String? { availabilityError()?.message }

    /// `.counter` while every GPU reports its energy counter, else `.sampled`.
    public func measurementMethod() -> MeasurementMethod {
        state.withLock { $0.devices.contains { $0.mode == .power } ? .sampled : .counter }
    }

    /// Initialises NVML, selects the GPUs and checks which query each one answers.
    /// - Parameter diagnostics: Receives the fallback to power samples and MIG notes.
    /// - Throws: ``CarbonTrackerError`` with code `.componentUnavailable` when NVML fails, no GPU is
    ///   selected, or a GPU reports neither energy nor power.
    public func start(diagnostics: any DiagnosticsReporter) throws {
        try state.withLock { state in
            state.diagnostics = diagnostics
            let nvml = try load(&state)
            try nvml.check(nvml.initialize(), "nvmlInit")
            state.initialized = true
            do {
                var notes: [String] = []
                var devices = try selectDevices(nvml, notes: &notes)
                notes.forEach(diagnostics.info)
                if !nvml.missingSymbols.isEmpty {
                    diagnostics.debug("NVML functions missing from \(nvml.path): \(nvml.missingSymbols).")
                }
                try probe(&devices, nvml, diagnostics)
                state.devices = devices
            } catch {
                _ = nvml.shutdown()
                state.initialized = false
                throw error
            }
        }
    }

    /// Reads each GPU's energy counter or power once.
    /// - Throws: ``CarbonTrackerError`` with code `.componentUnavailable` when a GPU is lost or stops
    ///   reporting power.
    public func read() throws -> [DeviceReading] {
        try state.withLock { state in
            guard let nvml = state.library, state.initialized else {
                throw CarbonTrackerError.measurementFailed("NVML was read before it was started.")
            }
            var readings: [DeviceReading] = []
            for index in state.devices.indices {
                readings.append(try read(&state.devices[index], nvml, state.diagnostics))
            }
            return readings
        }
    }

    /// Shuts NVML down.
    public func shutdown() {
        state.withLock { state in
            if state.initialized, let nvml = state.library { _ = nvml.shutdown() }
            state.initialized = false
        }
    }

    // MARK: Reading

    private func read(_ device: inout Device, _ nvml: NVMLLibrary, _ diagnostics: any DiagnosticsReporter)
        throws -> DeviceReading
    {
        if device.mode == .counter {
            let (status, millijoules) = nvml.totalEnergyMillijoules(device.handle)
            switch status {
            case .success: return .cumulativeJoules(Double(millijoules) / 1000)
            case .gpuIsLost: throw lost(device, nvml, status)
            case .notSupported, .functionNotFound:
                device.mode = .power
                diagnostics.info(
                    "NVML: the energy counter of \(device.name) stopped answering (\(nvml.describe(status))); "
                        + "its energy is integrated from nvmlDeviceGetPowerUsage samples from now on.")
            default: return .unavailable
            }
        }
        let (status, milliwatts) = nvml.powerMilliwatts(device.handle)
        switch status {
        case .success: return .watts(Double(milliwatts) / 1000)
        case .gpuIsLost: throw lost(device, nvml, status)
        case .notSupported, .functionNotFound: throw noPower(device, nvml, status)
        default: return .unavailable
        }
    }

    private func lost(_ device: Device, _ nvml: NVMLLibrary, _ status: NVMLStatus) -> CarbonTrackerError {
        CarbonTrackerError(
            .componentUnavailable,
            "\(device.name) can no longer be reached (\(nvml.describe(status))); check `nvidia-smi` and the kernel log."
        )
    }

    private func noPower(_ device: Device, _ nvml: NVMLLibrary, _ status: NVMLStatus) -> CarbonTrackerError {
        CarbonTrackerError(
            .componentUnavailable,
            "GPU model does not support retrieval of power usages in NVML: \(device.name) answers "
                + "nvmlDeviceGetPowerUsage with \(nvml.describe(status)). "
                + "See issue: https://github.com/lfwa/carbontracker/issues/36")
    }

    /// Chooses counter or power per GPU and makes sure the chosen query answers.
    private func probe(_ devices: inout [Device], _ nvml: NVMLLibrary, _ diagnostics: any DiagnosticsReporter)
        throws
    {
        var degraded: [String] = []
        for index in devices.indices {
            let (status, _) = nvml.totalEnergyMillijoules(devices[index].handle)
            if status == .success { continue }
            devices[index].mode = .power
            degraded.append("\(devices[index].name): \(nvml.describe(status))")
            let (powerStatus, _) = nvml.powerMilliwatts(devices[index].handle)
            if powerStatus != .success { throw noPower(devices[index], nvml, powerStatus) }
        }
        if !degraded.isEmpty {
            diagnostics.info(
                "NVML: nvmlDeviceGetTotalEnergyConsumption is unavailable (\(degraded.joined(separator: "; "))); "
                    + "GPU energy is integrated from nvmlDeviceGetPowerUsage samples instead.")
        }
    }

    // MARK: Availability and selection

    private func availabilityError() -> CarbonTrackerError? {
        state.withLock { state -> CarbonTrackerError? in
            if state.availabilityChecked { return state.unavailability }
            var reason: CarbonTrackerError?
            do {
                let nvml = try load(&state)
                try nvml.check(nvml.initialize(), "nvmlInit")
                defer { _ = nvml.shutdown() }
                var notes: [String] = []
                _ = try selectDevices(nvml, notes: &notes)
            } catch let failure as CarbonTrackerError {
                reason = failure
            } catch {
                reason = CarbonTrackerError(.componentUnavailable, String(describing: error))
            }
            state.availabilityChecked = true
            state.unavailability = reason
            return reason
        }
    }

    private func load(_ state: inout State) throws -> NVMLLibrary {
        if let library = state.library { return library }
        let library = try NVMLLibrary(path: libraryPath)
        state.library = library
        return library
    }

    /// The GPUs to measure, in order, each first read as a counter.
    private func selectDevices(_ nvml: NVMLLibrary, notes: inout [String]) throws -> [Device] {
        try selection.select(nvml, notes: &notes).map {
            Device(handle: $0.handle, name: $0.name, mode: .counter)
        }
    }
}
