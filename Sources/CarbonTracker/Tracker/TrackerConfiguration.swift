/// The validated constructor arguments of a ``CarbonTracker``.
struct TrackerConfiguration: Sendable {
    var epochs: Int
    /// The epoch after which the prediction is printed; `nil` for none.
    var predictionEpoch: Int?
    /// Whether a prediction was asked for at all (`epochsBeforePred != 0`); changes the actual heading.
    var predicts: Bool
    var monitorEpochs: Int
    var interpretable: Bool
    var stopAndConfirm: Bool
    var decimalPrecision: Int
    /// What to measure and how often.
    var monitor: MonitorConfiguration

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
        guard decimalPrecision >= 0, decimalPrecision <= 100 else {
            throw fail("decimalPrecision must be between 0 and 100, got \(decimalPrecision).")
        }
        var monitor = try MonitorConfiguration(
            updateInterval: updateInterval, components: components, devicesByPID: devicesByPID,
            logDir: logDir, logFilePrefix: logFilePrefix, verbose: verbose, apiKeys: apiKeys,
            simCPU: simCPU, simCPUTDP: simCPUTDP, simCPUUtil: simCPUUtil,
            simGPU: simGPU, simGPUWatts: simGPUWatts, simGPUUtil: simGPUUtil)
        monitor.ignoreErrors = ignoreErrors
        self.monitor = monitor

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
        self.interpretable = interpretable
        self.stopAndConfirm = stopAndConfirm
        self.decimalPrecision = decimalPrecision
    }

    var updateIntervalSeconds: Double { monitor.updateIntervalSeconds }
    var ignoreErrors: Bool { monitor.ignoreErrors }
    var componentKinds: [ComponentKind] { monitor.componentKinds }
    var componentsIsAll: Bool { monitor.componentsIsAll }
    var simulatedCPU: SimulatedComponent? { monitor.simulatedCPU }
    var simulatedGPU: SimulatedComponent? { monitor.simulatedGPU }

    /// Parses `"all"`, `"cpu"`, `"gpu"`, `"gpu,cpu"` (any order, case and spacing).
    static func parseComponents(_ text: String) throws -> (kinds: [ComponentKind], isAll: Bool) {
        try MonitorConfiguration.parseComponents(text)
    }
}
