import CNVML
import Foundation

/// NVIDIA GPUs through NVML: energy from the driver's counter where the GPU has one, else power samples.
///
/// ```swift
/// let gpus = NVMLComponent(environment: ["CUDA_VISIBLE_DEVICES": "GPU-5e1c0f8a"])
/// if gpus.isAvailable() { try gpus.start(diagnostics: SilentDiagnostics()); try gpus.read() }
/// ```
///
/// Each GPU is read with the best source it answers (`NVMLPowerSource`): the energy counter
/// `nvmlDeviceGetTotalEnergyConsumption` (millijoules since the driver loaded, Volta and newer), read
/// as a counter so nothing between two reads is missed; else instantaneous power
/// (`nvmlDeviceGetFieldValues` with `NVML_FI_DEV_POWER_INSTANT`), which the tracker integrates; and
/// only as a last resort `nvmlDeviceGetPowerUsage`, which Ampere (except GA100) and newer GPUs average
/// over one second. The standard log says which, and at which scope (``NVMLPowerScope``): on Grace
/// Hopper and Grace Blackwell the figures may cover the whole module, Grace CPU included, and the CPU
/// is then not counted again (``ModuleCoveredCPUComponent``). `CARBONTRACKER_NVML_METHOD` (`instant`,
/// `average`) forces a sampled source for validation runs. The library is loaded at run time
/// (`libnvidia-ml.so.1`, or `CARBONTRACKER_NVML_LIBRARY`), so machines without a driver just report
/// the component unavailable. A read costs one driver call per GPU.
///
/// On a GPU that other work shares (NVML lists processes outside the tracked scope on it), the scope
/// is charged its share by the per-process SM utilisation NVML reports, queried at most every 5 seconds
/// on the sampling thread; the log says so once per GPU.
public final class NVMLComponent: PowerComponent {
    /// Always `.gpu`.
    public let kind = ComponentKind.gpu
    /// "NVML".
    public let handlerName = "NVML"

    private struct Device {
        let handle: cnvml_device
        let name: String
        let scope: NVMLPowerScope
        let c2c: Bool
        /// The sources this GPU may use, best first; `current` indexes the one in use.
        let sources: [NVMLPowerSource]
        var current: Int

        var source: NVMLPowerSource { sources[current] }
    }

    private struct State {
        var library: NVMLLibrary?
        var initialized = false
        var availabilityChecked = false
        var unavailability: CarbonTrackerError?
        /// Names of the selected GPUs measured at module scope, found by the availability check.
        var moduleScopeNames: [String] = []
        var devices: [Device] = []
        var started = false
        var diagnostics: any DiagnosticsReporter = SilentDiagnostics()
        var shares: GPUShareLedger?
    }

    private let libraryPath: String
    private let methodText: String?
    private let selection: NVMLDeviceSelection
    private let scope: WorkScope?
    private let shareRefreshSeconds: Double
    private let clock = MonotonicTime()
    private let state = LockedBox(State())

    /// Creates the component from environment variables, as the tracker does.
    /// - Parameters:
    ///   - environment: Reads `CARBONTRACKER_NVML_LIBRARY` (library path), `CUDA_VISIBLE_DEVICES` and
    ///     `CARBONTRACKER_NVML_METHOD` (`counter`, the default, uses the best source; `instant` skips the
    ///     energy counter; `average` uses averaged power only).
    ///   - devicesByPID: Measure only GPUs running this process or its descendants.
    ///   - scope: The tracked work, charged its share of GPUs that other processes use too; `nil` resolves
    ///     it from `CARBONTRACKER_SCOPE` as the CPU sources do.
    public convenience init(
        environment: [String: String] = ProcessInfo.processInfo.environment, devicesByPID: Bool = false,
        scope: WorkScope? = nil
    ) {
        let resolver = ScopeResolver(files: .system, environment: environment)
        self.init(
            libraryPath: environment["CARBONTRACKER_NVML_LIBRARY"] ?? "libnvidia-ml.so.1",
            visibleDevices: environment["CUDA_VISIBLE_DEVICES"], devicesByPID: devicesByPID,
            processFamily: { ProcessTree.currentFamily() },
            method: environment[NVMLMethodPreference.variable],
            scope: scope ?? (try? resolver.resolve()) ?? resolver.machine())
    }

    init(
        libraryPath: String, visibleDevices: String?, devicesByPID: Bool,
        processFamily: @escaping @Sendable () -> Set<Int32>, method: String? = nil, scope: WorkScope? = nil,
        shareRefreshSeconds: Double = 5
    ) {
        self.libraryPath = libraryPath
        self.methodText = method
        self.scope = scope
        self.shareRefreshSeconds = shareRefreshSeconds
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

    /// NVML's energy counter (``PowerErrorModel/nvmlCounter``) while every GPU is read from it, else power
    /// samples (``PowerErrorModel/sampled``).
    /// - Returns: The model.
    public func errorModel() -> PowerErrorModel {
        measurementMethod() == .counter ? .nvmlCounter : .sampled
    }

    /// `.counter` while every GPU is read from its energy counter, else `.sampled`.
    public func measurementMethod() -> MeasurementMethod {
        state.withLock { $0.devices.contains { $0.source.method == .sampled } ? .sampled : .counter }
    }

    /// The measured GPUs whose figures cover the whole module, Grace CPU included (empty when none).
    ///
    /// Before ``start(diagnostics:)`` this is what the availability check found (and runs it if needed).
    public func moduleScopeDevices() -> [String] {
        _ = availabilityError()
        return state.withLock { state in
            state.started ? state.devices.filter { $0.scope == .module }.map(\.name) : state.moduleScopeNames
        }
    }

    /// Initialises NVML, selects the GPUs and chooses the best source and the scope of each.
    /// - Parameter diagnostics: Receives the sources and scopes chosen, fallbacks and MIG notes.
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
                let selected = try selection.select(nvml, notes: &notes)
                notes.forEach(diagnostics.info)
                if !nvml.missingSymbols.isEmpty {
                    diagnostics.debug("NVML functions missing from \(nvml.path): \(nvml.missingSymbols).")
                }
                let preference: NVMLMethodPreference
                if let parsed = NVMLMethodPreference.parse(methodText) {
                    preference = parsed
                } else {
                    preference = .auto
                    diagnostics.warning(
                        "\(NVMLMethodPreference.variable)=\(methodText ?? "") is not counter, instant or average; "
                            + "the best source each GPU has is used.")
                }
                state.devices = try probe(selected, nvml, preference, diagnostics)
                state.shares = shareLedger(state.devices.map(\.name), diagnostics)
                state.started = true
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
        var readings: [DeviceReading] = []
        try read(into: &readings)
        return readings
    }

    /// ``read()`` into the sampler's reused buffer: a sample allocates nothing.
    public func read(into readings: inout [DeviceReading]) throws {
        try state.withLock { state in
            guard let nvml = state.library, state.initialized else {
                throw CarbonTrackerError.measurementFailed("NVML was read before it was started.")
            }
            readings.removeAll(keepingCapacity: true)
            for index in state.devices.indices {
                readings.append(try read(&state.devices[index], nvml, state.diagnostics))
            }
            guard state.shares != nil else { return }
            state.shares?.refresh(
                nvml, state.devices.map(\.handle), now: clock.now(), diagnostics: state.diagnostics)
            for index in readings.indices {
                readings[index] = state.shares?.charge(readings[index], device: index) ?? readings[index]
            }
        }
    }

    /// Shuts NVML down.
    public func shutdown() {
        state.withLock { state in
            if state.initialized, let nvml = state.library { _ = nvml.shutdown() }
            state.initialized = false
        }
    }

    /// Says, for the standard and output logs, when GPU figures cover the Grace CPU too or come from
    /// one-second averages; `nil` otherwise.
    public func provenanceNote() -> String? {
        let devices = state.withLock { $0.devices }
        var notes: [String] = []
        let module = devices.filter { $0.scope == .module }.map(\.name)
        if !module.isEmpty {
            notes.append(
                "GPU figures of \(module.joined(separator: ", ")) cover the whole module: GPU, Grace CPU and "
                    + "memory (NVML_POWER_SCOPE_MODULE).")
        }
        let averaged = devices.filter {
            switch $0.source {
            case .powerUsage, .averagePower: true
            default: false
            }
        }.map(\.name)
        if !averaged.isEmpty {
            notes.append(
                "GPU power of \(averaged.joined(separator: ", ")) is sampled from one-second averages, so "
                    + "peaks shorter than a second are smoothed.")
        }
        let shares = state.withLock { $0.shares }
        if let shares, let fraction = shares.chargedFraction {
            notes.append(
                "GPU energy of \(shares.splitDevices.joined(separator: ", ")) is shared with processes outside "
                    + "\(shares.scope.label) and split by NVML's per-process SM utilisation: "
                    + "\(Int((fraction * 100).rounded()))% is charged to it.")
        }
        return notes.isEmpty ? nil : notes.joined(separator: " ")
    }

    /// `scope: job 4242, 62% of GPU utilisation` once a GPU is split with work outside the scope.
    public func attributionNote() -> String? { state.withLock { $0.shares?.attributionNote } }

    /// The ledger that splits shared GPUs, or `nil` when the scope is the whole machine or its PIDs cannot
    /// be matched to NVML's.
    private func shareLedger(_ names: [String], _ diagnostics: any DiagnosticsReporter) -> GPUShareLedger? {
        guard let scope, scope.kind != .machine else { return nil }
        guard WorkScope.sharesHostPIDNamespace() else {
            diagnostics.info(
                "NVML reports host PIDs, which this PID namespace cannot match to \(scope.label): GPUs are "
                    + "counted whole even if other work shares them.")
            return nil
        }
        return GPUShareLedger(scope: scope, deviceNames: names, refreshSeconds: shareRefreshSeconds)
    }

    // MARK: Reading

    private func read(_ device: inout Device, _ nvml: NVMLLibrary, _ diagnostics: any DiagnosticsReporter)
        throws -> DeviceReading
    {
        while true {
            let (status, reading) = device.source.read(nvml, device.handle)
            switch status {
            case .success:
                return reading
            case .gpuIsLost:
                throw lost(device, nvml, status)
            case .notSupported, .functionNotFound:
                guard device.current + 1 < device.sources.count else {
                    throw noPower(device.name, nvml, status)
                }
                let failed = device.source
                device.current += 1
                diagnostics.info(
                    "NVML: \(failed.queryName) of \(device.name) stopped answering (\(nvml.describe(status))); "
                        + "its energy is integrated from \(device.source.samplesPhrase) from now on.")
            default:
                return .unavailable
            }
        }
    }

    private func lost(_ device: Device, _ nvml: NVMLLibrary, _ status: NVMLStatus) -> CarbonTrackerError {
        CarbonTrackerError(
            .componentUnavailable,
            "\(device.name) can no longer be reached (\(nvml.describe(status))); check `nvidia-smi` and the kernel log."
        )
    }

    private func noPower(_ name: String, _ nvml: NVMLLibrary, _ status: NVMLStatus) -> CarbonTrackerError {
        CarbonTrackerError(
            .componentUnavailable,
            "GPU model does not support retrieval of power usages in NVML: \(name) answers "
                + "nvmlDeviceGetPowerUsage with \(nvml.describe(status)). "
                + "See issue: https://github.com/lfwa/carbontracker/issues/36")
    }

    /// Chooses each GPU's scope and the best source it answers, and logs both.
    private func probe(
        _ selected: [(handle: cnvml_device, name: String)], _ nvml: NVMLLibrary,
        _ preference: NVMLMethodPreference, _ diagnostics: any DiagnosticsReporter
    ) throws -> [Device] {
        var devices: [Device] = []
        var counterFailures: [String] = []
        var instantFailures: [String] = []
        for (handle, name) in selected {
            let (scope, c2c) = NVMLPowerScope.detect(nvml, handle)
            let sources = NVMLPowerSource.candidates(scope: scope, preference: preference)
            var chosen: Int?
            var lastStatus = NVMLStatus.notSupported
            for (index, source) in sources.enumerated() {
                let (status, _) = source.read(nvml, handle)
                if status == .success {
                    chosen = index
                    break
                }
                lastStatus = status
                switch source {
                case .energyCounter: counterFailures.append("\(name): \(nvml.describe(status))")
                case .instantPower: instantFailures.append("\(name): \(nvml.describe(status))")
                default: break
                }
            }
            guard let chosen else { throw noPower(name, nvml, lastStatus) }
            devices.append(
                Device(handle: handle, name: name, scope: scope, c2c: c2c, sources: sources, current: chosen))
        }
        if let line = Self.fallbackLine(devices, preference, counterFailures, instantFailures) {
            diagnostics.info(line)
        }
        diagnostics.info(Self.scopeLine(devices))
        return devices
    }

    /// The standard-log line that says why GPU energy is not read from the counter, and from what instead.
    private static func fallbackLine(
        _ devices: [Device], _ preference: NVMLMethodPreference, _ counterFailures: [String],
        _ instantFailures: [String]
    ) -> String? {
        let sampled = devices.filter { $0.source != .energyCounter }
        guard let first = sampled.first else { return nil }
        let why =
            preference == .auto
            ? "nvmlDeviceGetTotalEnergyConsumption is unavailable (\(counterFailures.joined(separator: "; ")))"
            : "the energy counter is not used (\(NVMLMethodPreference.variable)=\(preference.rawValue))"
        let from =
            sampled.allSatisfy { $0.source == first.source }
            ? first.source.samplesPhrase
            : sampled.map { "\($0.source.samplesPhrase) for \($0.name)" }.joined(separator: ", ")
        var line = "NVML: \(why); GPU energy is integrated from \(from) instead"
        if sampled.contains(where: { $0.source == .powerUsage }) {
            if !instantFailures.isEmpty {
                line +=
                    " (NVML_FI_DEV_POWER_INSTANT is unavailable: \(instantFailures.joined(separator: "; ")))"
            }
            line += "; Ampere (except GA100) and newer GPUs report that power as a one-second average"
        }
        return line + "."
    }

    /// The standard-log line that says how and at which scope each GPU is measured.
    private static func scopeLine(_ devices: [Device]) -> String {
        let parts = devices.map { device -> String in
            let how: String
            switch device.source {
            case .energyCounter: how = "its energy counter"
            case .instantPower: how = "instantaneous power"
            case .averagePower, .powerUsage: how = "averaged power"
            }
            var text = "\(device.name) by \(how) at \(device.scope.phrase)"
            if device.c2c && device.scope == .gpu {
                text += " (a C2C superchip without module-scope power: its Grace CPU is not in this figure)"
            }
            return text
        }
        return "NVML measures " + parts.joined(separator: "; ") + "."
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
                let selected = try selection.select(nvml, notes: &notes)
                state.moduleScopeNames = selected.filter {
                    NVMLPowerScope.detect(nvml, $0.handle).scope == .module
                }
                .map(\.name)
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
}
