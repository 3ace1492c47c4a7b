import Foundation

/// Tracks and predicts the energy use and carbon footprint of a training loop.
///
/// ```swift
/// let tracker = try CarbonTracker(epochs: maxEpochs)
/// for _ in 0..<maxEpochs {
///     try tracker.epochStart()
///     train()
///     try tracker.epochEnd()
/// }
/// try tracker.stop()   // reports the epochs done if training ended early; harmless otherwise
/// ```
///
/// A background thread samples each power source every `updateInterval` seconds and at every epoch
/// boundary. `epochStart()` and `epochEnd()` cost a few microseconds: they stamp the monotonic clock,
/// queue the boundary and return. The thread writes the log files and prints the reports; the last
/// monitored `epochEnd()` and `stop()` wait (at most ``TrackerOptions/shutdownTimeoutSeconds``) for
/// the final report so it is printed before the program exits.
///
/// Parameters mean what they mean in Python carbontracker 2.4.7; see README for the differences.
public final class CarbonTracker: Sendable {
    private let configuration: TrackerConfiguration
    private let monitor: Monitor
    private let log: TrackerLog
    private let intensity: LockedBox<any CarbonIntensitySource>
    private let options: TrackerOptions

    /// Creates a tracker and starts monitoring in the background.
    ///
    /// - Parameters:
    ///   - epochs: Total epochs of the training loop (at least 1).
    ///   - epochsBeforePred: Epochs to measure before printing the prediction; -1 after all
    ///     monitored epochs, 0 for no prediction.
    ///   - monitorEpochs: Epochs to monitor, after which the actual consumption is printed and
    ///     monitoring ends; -1 for all. Not 0, and not less than `epochsBeforePred`.
    ///   - updateInterval: Seconds between power samples (positive).
    ///   - interpretable: Also express CO2eq as everyday equivalents (km travelled by car).
    ///   - stopAndConfirm: After the prediction, ask "Continue training (y/n)?" on standard input.
    ///   - ignoreErrors: A monitoring failure ends monitoring and training goes on; otherwise the
    ///     failure is thrown from the next tracker call.
    ///   - components: `"all"`, `"cpu"`, `"gpu"` or `"gpu,cpu"`.
    ///   - devicesByPID: Measure only devices running this process or its children.
    ///   - logDir: Directory for the three log files (created if missing); `nil` for none.
    ///   - logFilePrefix: Prefix of the log file names.
    ///   - verbose: 0 prints nothing; 1 or more prints reports and warnings.
    ///   - decimalPrecision: Digits after the decimal point in reports.
    ///   - apiKeys: Carbon-intensity provider keys, e.g. `["electricitymaps": "KEY"]`.
    ///   - simCPU: Name of a simulated CPU (needs `simCPUTDP`).
    ///   - simCPUTDP: The simulated CPU's TDP in watts.
    ///   - simCPUUtil: The simulated CPU's utilisation in `0...1` (default 0.5).
    ///   - simGPU: Name of a simulated GPU (needs `simGPUWatts`).
    ///   - simGPUWatts: The simulated GPU's power in watts.
    ///   - simGPUUtil: The simulated GPU's utilisation in `0...1` (default 0.5).
    ///   - options: Swift-only settings: custom power sources, intensity source, console, environment.
    /// - Throws: ``CarbonTrackerError`` with code `.invalidConfiguration` for bad arguments,
    ///   `.logWriteFailed` when `logDir` cannot be written, and (unless `ignoreErrors`)
    ///   `.componentUnavailable` when a requested component has no power source.
    public init(
        epochs: Int, epochsBeforePred: Int = 1, monitorEpochs: Int = -1, updateInterval: Double = 1,
        interpretable: Bool = true, stopAndConfirm: Bool = false, ignoreErrors: Bool = false,
        components: String = "all", devicesByPID: Bool = false, logDir: String? = nil,
        logFilePrefix: String = "", verbose: Int = 1, decimalPrecision: Int = 12,
        apiKeys: [String: String]? = nil,
        simCPU: String? = nil, simCPUTDP: Double? = nil, simCPUUtil: Double? = nil,
        simGPU: String? = nil, simGPUWatts: Double? = nil, simGPUUtil: Double? = nil,
        options: TrackerOptions = TrackerOptions()
    ) throws {
        let configuration = try TrackerConfiguration(
            epochs: epochs, epochsBeforePred: epochsBeforePred, monitorEpochs: monitorEpochs,
            updateInterval: updateInterval, interpretable: interpretable, stopAndConfirm: stopAndConfirm,
            ignoreErrors: ignoreErrors, components: components, devicesByPID: devicesByPID, logDir: logDir,
            logFilePrefix: logFilePrefix, verbose: verbose, decimalPrecision: decimalPrecision,
            apiKeys: apiKeys, simCPU: simCPU, simCPUTDP: simCPUTDP, simCPUUtil: simCPUUtil, simGPU: simGPU,
            simGPUWatts: simGPUWatts, simGPUUtil: simGPUUtil)
        let source = try IntensitySourceFactory.make(apiKeys: apiKeys, options: options)
        let log = try TrackerLog(
            directory: logDir, prefix: logFilePrefix, verbose: verbose, console: options.console)
        self.configuration = configuration
        self.options = options
        self.log = log
        self.intensity = LockedBox(source)
        self.monitor = Monitor(
            configuration: configuration, log: log, timeoutSeconds: options.shutdownTimeoutSeconds)

        log.info("carbontracker version \(CarbonTrackerVersion.string)")
        log.info(
            "Only predicted and actual consumptions are multiplied by a PUE coefficient of "
                + "\(powerUsageEffectiveness) (Daniel Bizo, 2023, Uptime Institute Global Data Center Survey)."
        )
        source.start(diagnostics: log)

        let (chosen, missing) = Self.chooseComponents(configuration, options: options, log: log)
        if chosen.isEmpty || (!configuration.componentsIsAll && !missing.isEmpty) {
            let message = (missing.isEmpty ? ["No components available."] : missing).joined(separator: " ")
            let error = CarbonTrackerError(.componentUnavailable, message)
            if configuration.ignoreErrors {
                log.critical("Ignored error: \(message) Continued training without monitoring...")
                log.output("Ignored error: \(message) Continued training without monitoring...")
                monitor.failBeforeStart(nil)
            } else {
                log.critical(message)
                log.discard()
                source.stop()
                throw error
            }
            source.stop()
            log.close()
            return
        }
        monitor.start(components: chosen, intensity: source)
    }

    /// Picks one power source per requested kind; returns the messages for kinds without one.
    private static func chooseComponents(
        _ configuration: TrackerConfiguration, options: TrackerOptions, log: TrackerLog
    ) -> (chosen: [any PowerComponent], missing: [String]) {
        let context = HardwareContext(
            environment: options.environment, devicesByPID: configuration.devicesByPID)
        var chosen: [any PowerComponent] = []
        var missing: [String] = []
        for kind in configuration.componentKinds {
            let simulated = kind == .cpu ? configuration.simulatedCPU : configuration.simulatedGPU
            let candidates: [any PowerComponent] =
                options.customComponents.map { custom in custom.filter { $0.kind == kind } }
                ?? simulated.map { [$0] } ?? ComponentSelection.candidates(for: kind, context: context)
            if let first = candidates.first(where: { $0.isAvailable() }) {
                chosen.append(first)
                continue
            }
            let reasons = candidates.compactMap { candidate in
                candidate.unavailabilityReason().map { "\(candidate.handlerName): \($0)" }
            }
            let message = ComponentSelection.unavailableMessage(kind)
            log.info(message)
            // Under "all" a missing component is expected (no GPU here): the reasons go to the error
            // log only. A component asked for by name fails with them in the thrown error instead.
            for reason in reasons {
                configuration.componentsIsAll ? log.debug(reason) : log.errorInfo(reason)
            }
            missing.append(reasons.isEmpty ? message : message + " " + reasons.joined(separator: " "))
        }
        // Issue 11, interim wiring until the new core makes this call: in a distributed job measure only
        // what this process is assigned (each device once per job) and log who measures what. The locks
        // live in the returned components and are released when the sampling thread shuts them down.
        let assignment = DistributedAssignment.make(
            components: chosen, environment: options.environment, settings: options.distributed,
            devicesByPID: configuration.devicesByPID)
        assignment.logLines.forEach(log.info)
        if assignment.measured.isEmpty && !chosen.isEmpty {
            missing.append(
                "Every source this process could measure is measured by another process of its job "
                    + "(see the Distributed lines of the standard log); this tracker has nothing to measure.")
        }
        return (assignment.measured, missing)
    }

    deinit {
        monitor.stopInBackground()
    }

    /// Marks the start of an epoch. Costs microseconds: it never waits for a sample, a file or the network.
    /// - Throws: ``CarbonTrackerError`` with code `.invalidState` when an epoch is already running, or
    ///   a monitoring failure that happened since the last call (unless `ignoreErrors`).
    public func epochStart() throws {
        try monitor.epochStart()
    }

    /// Marks the end of an epoch. Costs microseconds, except after the last monitored epoch, where it
    /// waits for the final report, and with `stopAndConfirm`, where it asks whether to continue.
    /// - Throws: ``CarbonTrackerError`` with code `.invalidState` without a running epoch,
    ///   `.stoppedByUser` when the user answered "n", or a monitoring failure (unless `ignoreErrors`).
    public func epochEnd() throws {
        let (_, _, ask) = try monitor.epochEnd()
        guard ask else { return }
        monitor.predictionReady.wait(seconds: options.shutdownTimeoutSeconds)
        if !askToContinue() {
            log.info("Session ended by user.")
            log.output("Quitting...")
            try monitor.stop()
            throw CarbonTrackerError(
                .stoppedByUser,
                "Training was stopped by the user after the prediction; the epochs done were reported.")
        }
    }

    /// Ends monitoring early and reports the finished epochs; does nothing once monitoring has ended.
    ///
    /// An epoch that was started but not ended is not counted.
    /// - Throws: A monitoring failure not yet reported (unless `ignoreErrors`).
    public func stop() throws {
        try monitor.stop()
    }

    /// Replaces the carbon-intensity provider keys, as Python's `set_api_keys`.
    /// - Parameter apiKeys: Provider name to key, e.g. `["electricitymaps": "KEY"]`.
    /// - Throws: ``CarbonTrackerError`` with code `.invalidConfiguration` for an unknown provider name.
    public func setAPIKeys(_ apiKeys: [String: String]) throws {
        try intensity.withLock { source in try source.updateAPIKeys(apiKeys) }
    }

    private func askToContinue() -> Bool {
        log.output("Continue training (y/n)?")
        log.flush()
        while true {
            guard let line = options.readLine() else {
                log.output("No answer could be read (standard input is closed); stopping as if answered n.")
                log.flush()
                return false
            }
            switch line.trimmingCharacters(in: .whitespaces).lowercased() {
            case "y":
                log.output("Continuing...")
                log.flush()
                return true
            case "n":
                return false
            default:
                log.output("Input not recognized. Try again (y/n):")
                log.flush()
            }
        }
    }

    // MARK: Results

    /// The prediction, once it has been made.
    public var predictedConsumption: ConsumptionReport? { monitor.shared.withLock { $0.predicted } }
    /// The actual consumption, once monitoring has ended.
    public var actualConsumption: ConsumptionReport? { monitor.shared.withLock { $0.actual } }
    /// Every finished epoch's measurement, in order.
    public var epochMeasurements: [EpochMeasurement] { monitor.shared.withLock { $0.epochs } }
    /// The power sources in use (empty until the sampling thread has started them).
    public var components: [ComponentInfo] { monitor.shared.withLock { $0.components } }
    /// The log files, or `nil` when `logDir` is `nil`.
    public var logFiles: LogPaths? { log.paths }
    /// Whether monitoring is still accepting epochs.
    public var isMonitoring: Bool { monitor.shared.withLock { !$0.ended } }
}

/// The version written to the standard log; the Python format is kept so its parser reads it.
public enum CarbonTrackerVersion {
    /// This package's version.
    public static let string = "2.4.7-swift.1"
}
