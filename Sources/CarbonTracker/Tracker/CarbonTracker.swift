@_exported import CarbonTrackerMonitor
@_exported import CarbonTrackerSources
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
/// Each epoch is a measurement window of the tracker's ``monitor``: a background thread samples each
/// power source every `updateInterval` seconds while an epoch runs. `epochStart()` and `epochEnd()`
/// cost a few microseconds: they stamp the monotonic clock, queue the boundary and return. The thread
/// writes the log files and prints the reports, in time linear in the number of epochs and with
/// memory that stays flat. The `epochEnd()` that completes the prediction epoch waits until the
/// prediction is printed, and the last monitored `epochEnd()` and `stop()` until the final report is
/// (never on the network). A program that exits or releases its tracker without `stop()` gets its
/// logs completed as if `stop()` had been called.
///
/// Parameters mean what they mean in Python carbontracker 2.4.7; see <doc:DifferencesFromPython> for the
/// differences.
public final class CarbonTracker: Sendable {
    /// The PUE factor Python carbontracker 2.4.7 applies (Daniel Bizo, 2023, Uptime Institute Global
    /// Data Center Survey); ``TrackerOptions/pue`` changes it.
    public static let defaultPowerUsageEffectiveness = 1.58

    /// The tracker's own energy monitor: windows opened on it are measured with the same sources
    /// and logged in the tracker's standard log (an epoch is one of its windows).
    public let monitor: EnergyMonitor
    private let configuration: TrackerConfiguration
    private let reporter: EpochReporter
    private let options: TrackerOptions
    private var log: TrackerLog { monitor.recorder.log }

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
        let reporter = EpochReporter(configuration: configuration)
        self.configuration = configuration
        self.reporter = reporter
        self.options = options
        let settings = [
            "epochs": String(epochs), "epochs_before_pred": String(epochsBeforePred),
            "monitor_epochs": String(monitorEpochs), "interpretable": interpretable ? "True" : "False",
            "stop_and_confirm": stopAndConfirm ? "True" : "False",
            "decimal_precision": String(decimalPrecision),
        ]
        self.monitor = EnergyMonitor(
            trackerOf: try MonitorLaunch.start(
                configuration.monitor, options: options, reporter: reporter, settings: settings))
    }

    deinit {
        monitor.stopQuietly()
        monitor.awaitFinalPush()
    }

    /// Marks the start of an epoch. Costs microseconds: it never waits for a sample, a file or the network.
    /// - Throws: ``CarbonTrackerError`` with code `.invalidState` when an epoch is already running, or
    ///   a monitoring failure that happened since the last call (unless `ignoreErrors`).
    public func epochStart() throws {
        _ = try monitor.beginEpoch()
    }

    /// Marks the end of an epoch. Costs microseconds, except after the prediction epoch, where it waits
    /// until the prediction is printed, after the last monitored epoch, where it waits for the final
    /// report, and with `stopAndConfirm`, where it asks whether to continue.
    /// - Throws: ``CarbonTrackerError`` with code `.invalidState` without a running epoch,
    ///   `.stoppedByUser` when the user answered "n", or a monitoring failure (unless `ignoreErrors`).
    public func epochEnd() throws {
        guard let epoch = try monitor.endEpoch(lastEpoch: configuration.monitorEpochs) else { return }
        if epoch == configuration.monitorEpochs {
            try monitor.awaitFinish()
            try monitor.takeFailure()
            return
        }
        guard epoch == configuration.predictionEpoch else { return }
        monitor.awaitPrediction()
        guard configuration.stopAndConfirm, !askToContinue() else { return }
        log.info("Session ended by user.")
        log.output("Quitting...")
        try stop()
        throw CarbonTrackerError(
            .stoppedByUser,
            "Training was stopped by the user after the prediction; the epochs done were reported.")
    }

    /// Ends monitoring early and reports the finished epochs; does nothing once monitoring has ended.
    ///
    /// An epoch that was started but not ended is not counted. Returns once the logs are written, never
    /// waiting on the network: the final push to a Prometheus Pushgateway goes on in the background,
    /// and the process waits for it (at most the push time-out and one second) when it exits or
    /// releases the tracker.
    /// - Throws: A monitoring failure not yet reported (unless `ignoreErrors`).
    public func stop() throws {
        try monitor.stop()
    }

    /// Replaces the carbon-intensity provider keys, as Python's `set_api_keys`.
    /// - Parameter apiKeys: Provider name to key, e.g. `["electricitymaps": "KEY"]`.
    /// - Throws: ``CarbonTrackerError`` with code `.invalidConfiguration` for an unknown provider name.
    public func setAPIKeys(_ apiKeys: [String: String]) throws {
        try monitor.intensity.updateAPIKeys(apiKeys)
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
    public var predictedConsumption: ConsumptionReport? { reporter.results.withLock { $0.predicted } }
    /// The actual consumption, once monitoring has ended.
    public var actualConsumption: ConsumptionReport? { reporter.results.withLock { $0.actual } }
    /// Every finished epoch's measurement, in order (built on demand from a compact store).
    public var epochMeasurements: [EpochMeasurement] {
        reporter.epochMeasurements(powerUsageEffectiveness: monitor.powerUsageEffectiveness)
    }
    /// The power sources in use (empty until the sampling thread has started them).
    public var components: [ComponentInfo] { monitor.components }
    /// The log files, or `nil` when `logDir` is `nil`.
    public var logFiles: LogPaths? { monitor.logFiles }
    /// Whether monitoring is still accepting epochs.
    public var isMonitoring: Bool { monitor.isMonitoring }
}

/// The version written to the standard log; the Python format is kept so its parser reads it.
public enum CarbonTrackerVersion {
    /// This package's version.
    public static let string = "2.4.7-swift.2"
}
