/// The validated constructor arguments of a ``CarbonTracker``.
struct TrackerConfiguration: Sendable {
    var epochs: Int
    /// The epoch after which the prediction is printed; `nil` for none.
    var predictionEpoch: Int?
    /// Whether a prediction was asked for at all (`epochsBeforePred != 0`); changes the actual heading.
    var predicts: Bool
    var monitorEpochs: Int
    var updateIntervalSeconds: Double
    var interpretable: Bool
    var stopAndConfirm: Bool
    var ignoreErrors: Bool
    var componentKinds: [ComponentKind]
    var componentsIsAll: Bool
    var devicesByPID: Bool
    var logDir: String?
    var logFilePrefix: String
    var verbose: Int
    var decimalPrecision: Int
    var apiKeys: [String: String]?
    var simulatedCPU: SimulatedComponent?
    var simulatedGPU: SimulatedComponent?

    // Python's parameter names in messages, so users recognise them from the docs.
    init(
        epochs: Int, epochsBeforePred: Int, monitorEpochs: Int, updateInterval: Double,
        interpretable: Bool, stopAndConfirm: Bool, ignoreErrors: Bool, components: String,
        devicesByPID: Bool, logDir: String?, logFilePrefix: String, verbose: Int, decimalPrecision: Int,
        apiKeys: [String: String]?, simCPU: String?, simCPUTDP: Double?, simCPUUtil: Double?,
        simGPU: String?, simGPUWatts: Double?, simGPUUtil: Double?
    ) throws {
        func fail(_ message: String) -> CarbonTrackerError { .invalidConfiguration(message) }
        guard epochs >= 1 else { throw fail("epochs must be at least 1, got \(epochs).") }
        guard monitorEpochs != 0 else {
            throw fail("monitorEpochs cannot be 0; use -1 to monitor all epochs.")
        }
        guard monitorEpochs >= -1 else {
            throw fail("monitorEpochs must be -1 (all epochs) or a positive number, got \(monitorEpochs).")
        }
        guard epochsBeforePred >= -1 else {
            throw fail(
                "epochsBeforePred must be -1 (after all epochs), 0 (no prediction) or positive, got \(epochsBeforePred)."
            )
        }
        if monitorEpochs != -1 && monitorEpochs < epochsBeforePred {
            throw fail(
                "monitorEpochs (\(monitorEpochs)) cannot be less than epochsBeforePred (\(epochsBeforePred))."
            )
        }
        guard epochsBeforePred <= epochs else {
            throw fail(
                "epochsBeforePred (\(epochsBeforePred)) cannot exceed epochs (\(epochs)): the prediction would never be made."
            )
        }
        guard updateInterval.isFinite, updateInterval > 0 else {
            throw fail("updateInterval must be a positive number of seconds, got \(updateInterval).")
        }
        guard decimalPrecision >= 0, decimalPrecision <= 100 else {
            throw fail("decimalPrecision must be between 0 and 100, got \(decimalPrecision).")
        }
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
        let (kinds, isAll) = try Self.parseComponents(components)

        self.epochs = epochs
        self.monitorEpochs = monitorEpochs == -1 ? epochs : monitorEpochs
        self.predicts = epochsBeforePred != 0
        switch epochsBeforePred {
        case 0: predictionEpoch = nil
        // Python compares the epoch counter with -1 and so never predicts; we predict after the last
        // monitored epoch, which is what its documentation promises.
        case -1: predictionEpoch = min(epochs, self.monitorEpochs)
        default: predictionEpoch = epochsBeforePred
        }
        self.updateIntervalSeconds = updateInterval
        self.interpretable = interpretable
        self.stopAndConfirm = stopAndConfirm
        self.ignoreErrors = ignoreErrors
        self.componentKinds = kinds
        self.componentsIsAll = isAll
        self.devicesByPID = devicesByPID
        self.logDir = logDir
        self.logFilePrefix = logFilePrefix
        self.verbose = verbose
        self.decimalPrecision = decimalPrecision
        self.apiKeys = apiKeys
        self.simulatedCPU = try simCPU.map {
            try SimulatedComponent(
                kind: .cpu, deviceName: $0, watts: simCPUTDP!, utilization: simCPUUtil ?? 0.5)
        }
        self.simulatedGPU = try simGPU.map {
            try SimulatedComponent(
                kind: .gpu, deviceName: $0, watts: simGPUWatts!, utilization: simGPUUtil ?? 0.5)
        }
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
