/// The validated settings of an ``EnergyMonitor``: what to measure and how often.
///
/// Shared by the tracker, whose ``TrackerConfiguration`` adds the epoch settings; messages use
/// Python carbontracker's parameter names so users recognise them from its docs.
struct MonitorConfiguration: Sendable {
    var updateIntervalSeconds: Double
    var componentKinds: [ComponentKind]
    var componentsIsAll: Bool
    var devicesByPID: Bool
    var logDir: String?
    var logFilePrefix: String
    var verbose: Int
    var apiKeys: [String: String]?
    var simulatedCPU: SimulatedComponent?
    var simulatedGPU: SimulatedComponent?
    /// A monitoring failure ends monitoring quietly instead of being thrown (the tracker's
    /// `ignoreErrors`; a standalone monitor throws).
    var ignoreErrors = false

    init(
        updateInterval: Double, components: String, devicesByPID: Bool, logDir: String?,
        logFilePrefix: String, verbose: Int, apiKeys: [String: String]?,
        simCPU: String?, simCPUTDP: Double?, simCPUUtil: Double?,
        simGPU: String?, simGPUWatts: Double?, simGPUUtil: Double?
    ) throws {
        func fail(_ message: String) -> CarbonTrackerError { .invalidConfiguration(message) }
        try Plausible.number(updateInterval, in: Plausible.intervalSeconds, name: "updateInterval", unit: "s")
        if simCPU != nil && simCPUTDP == nil {
            throw fail("When using a simulated CPU (simCPU), you must also give its TDP (simCPUTDP).")
        }
        if simGPU != nil && simGPUWatts == nil {
            throw fail("When using a simulated GPU (simGPU), you must also give its power (simGPUWatts).")
        }
        if simCPU == nil && (simCPUTDP != nil || simCPUUtil != nil) {
            throw fail("simCPUTDP and simCPUUtil need simCPU, the simulated CPU's name.")
        }
        if simGPU == nil && (simGPUWatts != nil || simGPUUtil != nil) {
            throw fail("simGPUWatts and simGPUUtil need simGPU, the simulated GPU's name.")
        }
        (componentKinds, componentsIsAll) = try Self.parseComponents(components)
        updateIntervalSeconds = updateInterval
        self.devicesByPID = devicesByPID
        self.logDir = logDir
        self.logFilePrefix = logFilePrefix
        self.verbose = verbose
        self.apiKeys = apiKeys
        simulatedCPU = try simCPU.map {
            try SimulatedComponent(
                kind: .cpu, deviceName: $0, watts: simCPUTDP!, utilization: simCPUUtil ?? 0.5)
        }
        simulatedGPU = try simGPU.map {
            try SimulatedComponent(
                kind: .gpu, deviceName: $0, watts: simGPUWatts!, utilization: simGPUUtil ?? 0.5)
        }
    }

    /// The settings by Python carbontracker's parameter names, for the event log's `run_started`.
    var pythonSettings: [String: String] {
        var settings = [
            "update_interval": LogNumber.python(updateIntervalSeconds),
            "components": componentsIsAll ? "all" : componentKinds.map(\.rawValue).joined(separator: ","),
            "devices_by_pid": devicesByPID ? "True" : "False", "log_file_prefix": logFilePrefix,
            "verbose": String(verbose), "ignore_errors": ignoreErrors ? "True" : "False",
        ]
        if let logDir { settings["log_dir"] = logDir }
        if let simulatedCPU { settings["sim_cpu"] = simulatedCPU.deviceName }
        if let simulatedGPU { settings["sim_gpu"] = simulatedGPU.deviceName }
        return settings
    }

    /// Parses `"all"`, `"cpu"`, `"gpu"`, `"gpu,cpu"` (any order, case and spacing).
    static func parseComponents(_ text: String) throws -> (kinds: [ComponentKind], isAll: Bool) {
        let cleaned = text.filter { !$0.isWhitespace }.lowercased()
        if cleaned == "all" { return (ComponentKind.allCases, true) }
        var kinds: [ComponentKind] = []
        for name in cleaned.split(separator: ",", omittingEmptySubsequences: false) {
            guard let kind = ComponentKind(rawValue: String(name)) else {
                throw CarbonTrackerError.invalidConfiguration(
                    "Unknown component '\(name)' in components \"\(text)\"; use \"all\", \"cpu\", \"gpu\" or \"gpu,cpu\"."
                )
            }
            if !kinds.contains(kind) { kinds.append(kind) }
        }
        return (kinds.sorted(), false)
    }
}
