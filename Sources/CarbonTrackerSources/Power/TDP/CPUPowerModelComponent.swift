import Foundation

/// The CPU energy of the tracked work estimated without a sensor: an idle part for each CPU its scope
/// holds and a dynamic part for each second of CPU time the scope used.
///
/// ```swift
/// let scope = try WorkScope.resolve(environment: environment)
/// let cpu = CPUPowerModelComponent(scope: scope, cpuinfoPath: "/proc/cpuinfo")
/// try cpu.read()   // [.cumulativeJoules(…)]: 0.74 W × 2 CPUs idle + 2.76 J per busy CPU-second
/// ```
///
/// The per-vCPU figures come from `CPUPowerModel`; the CPU time from the scope's cgroup (`cpu.stat`,
/// `cpuacct.usage`), `/proc/stat` for the whole machine, or the process tree. Twice the work costs twice
/// the dynamic energy; a neighbour outside the scope costs nothing. It is a model, not a measurement:
/// the method is `.estimated` and the provenance note names the model. Python carbontracker's constant
/// (half the TDP) is ``TDPEstimateComponent``, chosen with `CARBONTRACKER_CPU_ESTIMATE=python`.
public final class CPUPowerModelComponent: PowerComponent {
    /// Always `.cpu`.
    public let kind = ComponentKind.cpu
    /// "CPU power model".
    public let handlerName = "CPU power model"
    /// The detected model name (Python's "Unknown CPU" when none could be read).
    public let modelName: String
    /// The scope whose CPUs and CPU time are charged.
    public let scope: WorkScope
    package let model: CPUPowerModel
    private let detected: Bool
    private let cpuTime: ScopeCPUTime
    private let skipped: [any PowerComponent]
    private let clock = MonotonicTime()
    private let state = LockedBox<(startCPUSeconds: Double?, lastBusy: Double, joules: Double)>((nil, 0, 0))

    /// Creates the estimate for `scope`, with the model read from `cpuinfoPath`.
    /// - Parameters:
    ///   - scope: The work whose CPUs and CPU time are charged.
    ///   - cpuinfoPath: The processors' description (`nil` on macOS, where `sysctl` names the CPU).
    public convenience init(scope: WorkScope, cpuinfoPath: String?) {
        self.init(scope: scope, cpuinfoPath: cpuinfoPath, files: .system, fallbackFor: [])
    }

    package init(
        scope: WorkScope, cpuinfoPath: String?, files: ScopeFiles, fallbackFor skipped: [any PowerComponent]
    ) {
        let name = CPUModel.detect(cpuinfoPath: cpuinfoPath)
        detected = name != nil
        modelName = name ?? CPUModel.unknown
        let text = cpuinfoPath.flatMap { ScopeFiles.readFile($0, limit: 1 << 20) }
        model = CPUPowerModel.forCPU(named: modelName, cpuinfo: text)
        self.scope = scope
        cpuTime = ScopeCPUTime(scope: scope, files: files)
        self.skipped = skipped
    }

    /// The model name, as Python carbontracker lists it.
    public func devices() -> [String] { [modelName] }
    /// Always available.
    public func isAvailable() -> Bool { true }
    /// Always `.estimated`.
    public func measurementMethod() -> MeasurementMethod { .estimated }
    /// The per-vCPU model's band (``PowerErrorModel/perCPUModel``).
    /// - Returns: The model.
    public func errorModel() -> PowerErrorModel { .perCPUModel }
    /// Nothing to release.
    public func shutdown() {}

    /// Logs why each better source was not used and which model the estimate rests on.
    /// - Parameter diagnostics: Receives the lines.
    /// - Throws: Never; the signature is the protocol's.
    public func start(diagnostics: any DiagnosticsReporter) throws {
        SkippedCPUSources.report(skipped, to: diagnostics)
        if !detected { diagnostics.warning("Failed to detect CPU. Falling back to generic CPU handler.") }
        let first = cpuTime.cpuSeconds()
        state.withLock { $0 = (first, 0, 0) }
        if first == nil {
            diagnostics.warning(
                "The CPU time of \(scope.label) could not be read, so only the idle part of the CPU model is "
                    + "charged. Set CARBONTRACKER_SCOPE=machine if the cgroup files are not readable here.")
        }
        diagnostics.info(modelDescription)
    }

    /// The energy so far: idle power of the held CPUs × time, plus the dynamic part × CPU time used.
    /// - Throws: Never; the signature is the protocol's.
    public func read() throws -> [DeviceReading] {
        let elapsed = clock.now()
        let now = cpuTime.cpuSeconds()
        let joules = state.withLock { state -> Double in
            if state.startCPUSeconds == nil { state.startCPUSeconds = now }
            if let now, let start = state.startCPUSeconds {
                // CPU time cannot exceed the held CPUs' wall time; counters never go back.
                state.lastBusy = max(state.lastBusy, min(now - start, Double(scope.cpuCount) * elapsed))
            }
            state.joules = max(
                state.joules,
                model.joules(seconds: elapsed, cpus: scope.cpuCount, busySeconds: state.lastBusy))
            return state.joules
        }
        return [.cumulativeJoules(joules)]
    }

    /// The model in one sentence, as logged at start.
    public var modelDescription: String {
        "CPU power is modelled per vCPU: \(LogNumber.python(rounded(model.idleWattsPerCPU))) W idle for each of the "
            + "\(scope.cpuCount) CPUs held by \(scope.label), plus "
            + "\(LogNumber.python(rounded(model.maximumWattsPerCPU - model.idleWattsPerCPU))) W per busy CPU "
            + "(\(LogNumber.python(rounded(model.maximumWattsPerCPU))) W at full load), from \(model.basis)."
    }

    /// Says, for the standard and output logs, that CPU figures are estimated and from which model.
    public func provenanceNote() -> String? {
        "CPU power is estimated, not measured: no CPU energy sensor could be read. " + modelDescription
            + " Python carbontracker's constant (50% of the TDP) is used with CARBONTRACKER_CPU_ESTIMATE=python."
    }

    private func rounded(_ value: Double) -> Double { (value * 1000).rounded() / 1000 }
}
