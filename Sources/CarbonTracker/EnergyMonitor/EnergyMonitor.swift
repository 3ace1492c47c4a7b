import Foundation

/// Measures the energy and carbon footprint of any code region: a training step, an evaluation
/// pass, an inference request.
///
/// ```swift
/// let monitor = try EnergyMonitor(logDir: "logs")
/// try monitor.beginWindow("eval")
/// evaluate(model)
/// let eval = try monitor.endWindow("eval")
/// print(eval.energyKilowattHours, eval.co2eqGrams)
///
/// let (loss, step) = try monitor.measure("step") { try trainStep() }
/// try monitor.stop()
/// ```
///
/// Windows of different names may nest and overlap freely, from any thread; each gets the whole
/// energy of the measured devices over its own interval (overlapping windows are not apportioned).
/// A background thread reads the power sources every `updateInterval` seconds while a window is open
/// and sleeps otherwise. ``beginWindow(_:)`` costs what `epochStart` costs: it stamps the monotonic
/// clock and queues the boundary. ``endWindow(_:)`` reads every source once on the calling thread and
/// returns the measurement of that instant (a few microseconds with simulated sources; a driver call
/// per source with real ones). A ``CarbonTracker``'s epochs are windows of its ``CarbonTracker/monitor``.
public final class EnergyMonitor: Sendable {
    private let core: MonitorCore
    /// The logs, console and exporters the monitor reports to.
    let recorder: RunRecorder
    /// Whether this object stops the monitor when released (not the tracker's own monitor, which
    /// its tracker stops).
    private let ownsCore: Bool

    /// Creates a monitor and starts its sampling thread, idle until a window opens.
    ///
    /// - Parameters:
    ///   - components: `"all"`, `"cpu"`, `"gpu"` or `"gpu,cpu"`.
    ///   - devicesByPID: Measure only devices running this process or its children.
    ///   - updateInterval: Seconds between power samples while a window is open (positive).
    ///   - logDir: Directory for the log files (created if missing); `nil` for none.
    ///   - logFilePrefix: Prefix of the log file names.
    ///   - verbose: 0 prints nothing; 1 or more prints warnings.
    ///   - apiKeys: Carbon-intensity provider keys, e.g. `["electricitymaps": "KEY"]`.
    ///   - simCPU: Name of a simulated CPU (needs `simCPUTDP`).
    ///   - simCPUTDP: The simulated CPU's TDP in watts.
    ///   - simCPUUtil: The simulated CPU's utilisation in `0...1` (default 0.5).
    ///   - simGPU: Name of a simulated GPU (needs `simGPUWatts`).
    ///   - simGPUWatts: The simulated GPU's power in watts.
    ///   - simGPUUtil: The simulated GPU's utilisation in `0...1` (default 0.5).
    ///   - options: Swift-only settings (custom sources, console, `synchronize`, PUE, ...).
    /// - Throws: ``CarbonTrackerError`` with code `.invalidConfiguration` for bad arguments,
    ///   `.logWriteFailed` when `logDir` cannot be written, `.componentUnavailable` when a requested
    ///   component has no power source.
    public init(
        components: String = "all", devicesByPID: Bool = false, updateInterval: Double = 0.1,
        logDir: String? = nil, logFilePrefix: String = "", verbose: Int = 1,
        apiKeys: [String: String]? = nil,
        simCPU: String? = nil, simCPUTDP: Double? = nil, simCPUUtil: Double? = nil,
        simGPU: String? = nil, simGPUWatts: Double? = nil, simGPUUtil: Double? = nil,
        options: TrackerOptions = TrackerOptions()
    ) throws {
        let configuration = try MonitorConfiguration(
            updateInterval: updateInterval, components: components, devicesByPID: devicesByPID,
            logDir: logDir,
            logFilePrefix: logFilePrefix, verbose: verbose, apiKeys: apiKeys, simCPU: simCPU,
            simCPUTDP: simCPUTDP, simCPUUtil: simCPUUtil, simGPU: simGPU, simGPUWatts: simGPUWatts,
            simGPUUtil: simGPUUtil)
        (core, recorder) = try MonitorLaunch.start(configuration, options: options, reporter: nil)
        ownsCore = true
    }

    /// A tracker's monitor: its epochs are windows of this monitor, and the tracker stops it.
    init(trackerOf launched: (core: MonitorCore, recorder: RunRecorder)) {
        (core, recorder) = launched
        ownsCore = false
    }

    deinit {
        if ownsCore {
            try? core.stopAndWait()
            core.awaitSinkFinish()
        }
    }

    /// Opens a window named `name`. Costs microseconds: it never waits for a reading, a file or the network.
    /// - Parameter name: Any name not already open.
    /// - Throws: ``CarbonTrackerError`` with code `.invalidState` when a window of that name is open or
    ///   the monitor has stopped, or a monitoring failure that happened since the last call.
    public func beginWindow(_ name: String) throws {
        try core.begin(name)
    }

    /// Closes the window named `name` and returns what it used, read at this instant.
    /// - Parameter name: An open window's name.
    /// - Returns: The window's duration, per-device energy, CO2eq.
    /// - Throws: ``CarbonTrackerError`` with code `.invalidState` when no window of that name is open,
    ///   or a monitoring failure (`.measurementFailed`, `.componentUnavailable`).
    public func endWindow(_ name: String) throws -> WindowMeasurement {
        try core.endNow(name)
    }

    /// Closes the window named `name` without a measurement.
    /// - Parameter name: An open window's name.
    /// - Throws: ``CarbonTrackerError`` with code `.invalidState` when no window of that name is open.
    public func cancelWindow(_ name: String) throws {
        try core.cancel(name)
    }

    /// Runs `body` inside a window named `name` and returns its result with the window's measurement.
    ///
    /// When `body` throws, the window is cancelled and the body's error is rethrown.
    /// - Parameters:
    ///   - name: A name not already open.
    ///   - body: The code to measure.
    /// - Returns: `body`'s result and the measurement.
    /// - Throws: `body`'s error, or a window error as ``beginWindow(_:)`` and ``endWindow(_:)``.
    public func measure<Result>(_ name: String, _ body: () throws -> Result) throws -> (
        Result, WindowMeasurement
    ) {
        try beginWindow(name)
        let result: Result
        do {
            result = try body()
        } catch {
            try? cancelWindow(name)
            throw error
        }
        return (result, try endWindow(name))
    }

    /// Runs the asynchronous `body` inside a window named `name`, across its suspension points.
    ///
    /// When `body` throws, the window is cancelled and the body's error is rethrown.
    /// - Parameters:
    ///   - name: A name not already open.
    ///   - body: The code to measure.
    /// - Returns: `body`'s result and the measurement.
    /// - Throws: `body`'s error, or a window error as ``beginWindow(_:)`` and ``endWindow(_:)``.
    public func measure<Result>(_ name: String, _ body: () async throws -> Result) async throws -> (
        Result, WindowMeasurement
    ) {
        try beginWindow(name)
        let result: Result
        do {
            result = try await body()
        } catch {
            try? cancelWindow(name)
            throw error
        }
        return (result, try endWindow(name))
    }

    /// Stops monitoring: windows still open end without measurements (one warning names them), the
    /// sampling thread finishes its logs. Does nothing once stopped.
    /// - Throws: A monitoring failure not yet reported.
    public func stop() throws {
        try core.stopAndWait(throwing: true)
    }

    /// The power sources in use (empty until the sampling thread has started them).
    public var components: [ComponentInfo] { core.componentInfos.withLock { $0 } }
    /// The log files, or `nil` when `logDir` is `nil`.
    public var logFiles: LogPaths? { recorder.log.paths }
    /// Whether windows are still accepted.
    public var isMonitoring: Bool { core.isMonitoring }
    /// The run's power over time so far, per component kind, with the carbon intensity; `nil` before
    /// the first reading. Bounded in size however long the run (see ``PowerTimeSeries``).
    public var powerSeries: PowerTimeSeries? { core.series.withLock { $0.series(core.accounting) } }
}

// MARK: What the tracker needs of its monitor

extension EnergyMonitor {
    /// Opens the next epoch; returns its number, or `nil` when monitoring has ended.
    func beginEpoch() throws -> Int? { try core.beginEpoch() }

    /// Closes the running epoch; monitoring ends after epoch `lastEpoch`. Returns the epoch's number,
    /// or `nil` when monitoring has ended.
    func endEpoch(lastEpoch: Int) throws -> Int? { try core.endEpoch(lastEpoch: lastEpoch) }

    /// Waits (bounded by the sampling thread's progress) until the prediction has been written.
    func awaitPrediction() { core.awaitPrediction() }

    /// Waits for the final report; see ``MonitorCore/awaitFinish()``.
    func awaitFinish() throws { try core.awaitFinish() }

    /// Throws a monitoring failure not yet delivered.
    func takeFailure() throws { try core.takeFailure() }

    /// Stops monitoring and waits for the final report (bounded), without throwing.
    func stopQuietly() { try? core.stopAndWait() }

    /// Waits (bounded) for the run's final push to a Prometheus Pushgateway; see ``CarbonTracker/awaitFinalPush()``.
    @discardableResult
    func awaitFinalPush() -> Bool { core.awaitSinkFinish() }

    /// The carbon-intensity source in use.
    var intensity: any CarbonIntensitySource { core.intensity }
    /// The PUE factor applied to energy and CO2eq.
    var powerUsageEffectiveness: Double { core.settings.powerUsageEffectiveness }
}
