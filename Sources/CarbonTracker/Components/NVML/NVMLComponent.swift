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
    private let visible: VisibleDevices
    private let visibleText: String?
    private let devicesByPID: Bool
    private let processFamily: @Sendable () -> Set<Int32>
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
        self.visibleText = visibleDevices
        self.visible = VisibleDevices.parse(visibleDevices)
        self.devicesByPID = devicesByPID
        self.processFamily = processFamily
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
            "\(device.name) can no longer be reached (\(nvml.describe(status))); check `nvidia-smi` and the kernel log.")
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

    /// The GPUs to measure, in order; throws when there are none.
    private func selectDevices(_ nvml: NVMLLibrary, notes: inout [String]) throws -> [Device] {
        let (status, count) = nvml.deviceCount()
        try nvml.check(status, "nvmlDeviceGetCount")
        var handles: [cnvml_device] = []
        for index in 0..<count {
            let (status, handle) = nvml.device(index: index)
            try nvml.check(status, "nvmlDeviceGetHandleByIndex(\(index))")
            if let handle { handles.append(handle) }
        }
        guard !handles.isEmpty else {
            throw CarbonTrackerError(.componentUnavailable, "NVML loaded but reports no GPU.")
        }
        let chosen = devicesByPID ? try runningOurProcesses(handles, nvml) : visibleIndices(handles, nvml, &notes)
        guard !chosen.isEmpty else { throw noneSelected(count: handles.count) }
        return chosen.map { index in
            let (status, name) = nvml.name(of: handles[index])
            return Device(handle: handles[index], name: status == .success ? name : "GPU \(index)", mode: .counter)
        }
    }

    private func noneSelected(count: Int) -> CarbonTrackerError {
        if devicesByPID {
            return CarbonTrackerError(
                .componentUnavailable,
                "None of the \(count) GPU(s) runs this process or its children yet; with devicesByPID, "
                    + "start GPU work before creating the tracker.")
        }
        if let text = visibleText, text.trimmingCharacters(in: .whitespaces).isEmpty {
            return CarbonTrackerError(
                .componentUnavailable, "CUDA_VISIBLE_DEVICES is empty, so this process can use no GPU.")
        }
        return CarbonTrackerError(
            .componentUnavailable,
            "CUDA_VISIBLE_DEVICES=\"\(visibleText ?? "")\" names none of the \(count) GPU(s) NVML reports.")
    }

    /// Indices of the GPUs `CUDA_VISIBLE_DEVICES` allows, in its order, without repeats.
    private func visibleIndices(_ handles: [cnvml_device], _ nvml: NVMLLibrary, _ notes: inout [String]) -> [Int] {
        guard case .listed(let entries) = visible else { return Array(handles.indices) }
        let uuids = handles.map { nvml.uuid(of: $0).1 }
        var chosen: [Int] = []
        for entry in entries {
            let index: Int?
            switch entry {
            case .index(let value):
                index = value < handles.count ? value : nil
            case .uuid(let prefix):
                let matches = uuids.indices.filter { uuids[$0].hasPrefix(prefix) }
                index = matches.count == 1 ? matches[0] : nil
            case .mig(let name):
                index = migParent(name, nvml, uuids)
                if let index {
                    notes.append(
                        "NVML: MIG instance \(name) is measured as its whole GPU (\(uuids[index])), "
                            + "which it may share with other instances.")
                }
            }
            // CUDA ignores everything after the first entry it cannot use.
            guard let index else { break }
            if !chosen.contains(index) { chosen.append(index) }
        }
        return chosen
    }

    private func migParent(_ name: String, _ nvml: NVMLLibrary, _ uuids: [String]) -> Int? {
        if let parent = VisibleDevices.parentUUID(inLegacyMIGName: name) {
            return uuids.firstIndex(of: parent)
        }
        let (status, mig) = nvml.device(uuid: name)
        guard status == .success, let mig else { return nil }
        let (parentStatus, parent) = nvml.parent(ofMIG: mig)
        guard parentStatus == .success, let parent else { return nil }
        let (uuidStatus, uuid) = nvml.uuid(of: parent)
        return uuidStatus == .success ? uuids.firstIndex(of: uuid) : nil
    }

    private func runningOurProcesses(_ handles: [cnvml_device], _ nvml: NVMLLibrary) throws -> [Int] {
        let family = processFamily()
        var chosen: [Int] = []
        for index in handles.indices {
            let (computeStatus, compute) = nvml.runningPIDs(handles[index], graphics: false)
            let (graphicsStatus, graphics) = nvml.runningPIDs(handles[index], graphics: true)
            if computeStatus != .success && graphicsStatus != .success {
                throw CarbonTrackerError(
                    .componentUnavailable,
                    "devicesByPID needs NVML's running-process queries, which failed: "
                        + "\(nvml.describe(computeStatus)).")
            }
            if !family.isDisjoint(with: compute + graphics) { chosen.append(index) }
        }
        return chosen
    }
}
