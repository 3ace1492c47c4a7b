import Foundation

/// Something that happened in a monitored run, as the exporters (JSONL event log, Prometheus,
/// CodeCarbon CSV) see it. Delivered on the sampling thread, in order, in batches.
enum RunEvent: Sendable {
    /// Monitoring began with these sources.
    case runStarted(RunDescription)
    /// A carbon-intensity value came into force.
    case intensity(IntensityEstimate, fetchedAt: Date)
    /// A tracker epoch finished (1-based number).
    case epoch(number: Int, WindowMeasurement)
    /// A measurement window finished.
    case window(WindowMeasurement)
    /// The prediction was made.
    case prediction(ConsumptionReport)
    /// The actual consumption was reported.
    case actual(ConsumptionReport)
    /// The run's power over time, once, at its end.
    case powerSeries(PowerTimeSeries)
    /// Monitoring ended; `interrupted` when training stopped before all monitored epochs (the standard
    /// log's "Training was interrupted ..." line).
    case runEnded(Date, interrupted: Bool = false)
}

/// Who and what a run is, for the `run_started` event and the exporters' labels.
struct RunDescription: Sendable {
    /// The run id, as in the log file names (`{prefix_}{pid}.{id}_{timestamp}`); generated the same
    /// way when there is no log directory.
    var runID: String
    /// ``CarbonTrackerVersion/string``.
    var version: String
    /// When monitoring began.
    var startDate: Date
    /// The power sources in use.
    var components: [ComponentInfo]
    /// The power-usage-effectiveness factor applied to reported energy.
    var powerUsageEffectiveness: Double
    /// The tracker's settings, by Python's parameter names (`epochs`, `update_interval`, ...).
    var configuration: [String: String]
    /// Host name (or Slurm node name).
    var node: String
    /// Where the machine is, as the logs write it ("Copenhagen, Capital Region, DK"), when known at start.
    var location: String? = nil
    /// Labels added to every exported Prometheus series and to the `run_started` event's `labels`
    /// (the distributed work adds `job_id`, `node`, `rank`). Names must be valid Prometheus label names
    /// other than those the exporters use (``RunLabel/reservedNames``).
    var labels: [RunLabel] = []
}

/// A name and value that identify a run beyond its id, such as a batch job or a rank.
struct RunLabel: Sendable, Equatable {
    /// A Prometheus label name (`[a-zA-Z_][a-zA-Z0-9_]*`, not starting with `__`).
    var name: String
    /// Any text.
    var value: String

    /// Label names the exporters set themselves, or the Pushgateway's grouping key holds.
    static let reservedNames: Set<String> = [
        "component", "device", "method", "provider", "bound", "run", "job", "instance",
    ]
}

/// Receives a run's events; one per output (event log, Prometheus textfile, Pushgateway, CSV).
///
/// Called only from the sampling thread. ``record(_:)`` must not wait on the network: an exporter
/// that talks to a server hands the work to its own thread.
protocol RunExporter: AnyObject, Sendable {
    /// Handles events in the order they happened.
    /// - Parameter events: One or more events.
    func record(_ events: [RunEvent])
    /// Writes what is pending and releases files and threads. Called once, last.
    func finish()
    /// Whether ``finish()`` waits on the network (a final push): such an exporter finishes after
    /// `stop()` has returned, so a slow server never delays training; the exit drain, a released
    /// tracker and the CLI wait for it with ``awaitFinish(seconds:)``.
    var finishesOverNetwork: Bool { get }
    /// The longest ``finish()`` takes, in seconds.
    var finishBoundSeconds: Double { get }
    /// Waits until ``finish()`` has returned, at most `seconds`.
    /// - Parameter seconds: The longest wait.
    /// - Returns: Whether ``finish()`` had returned.
    func awaitFinish(seconds: Double) -> Bool
}

extension RunExporter {
    /// Files finish at once, by default.
    var finishesOverNetwork: Bool { false }
    /// Files finish at once, by default.
    var finishBoundSeconds: Double { 0 }
    /// Files have finished before `stop()` returns, so there is nothing to wait for.
    func awaitFinish(seconds: Double) -> Bool { true }
}
