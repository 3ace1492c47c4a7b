import CarbonTrackerSources
import Foundation

/// Why monitoring ended.
package enum MonitorEndReason: Sendable, Equatable {
    /// The tracker's last monitored epoch finished.
    case completed
    /// `stop()`, process exit or release before the planned end.
    case interrupted
    /// A monitoring failure (already reported to the sink).
    case failed
}

/// A source that another process measures now and that this one may take over when that process
/// ends (a distributed job counts each device once). The monitor polls it about once a second.
package protocol DeferredPowerSource: Sendable {
    /// The component kind the source measures.
    var kind: ComponentKind { get }
    /// Whether this process has taken the source over.
    var isTaken: Bool { get }
    /// Takes the source over if its measuring process has ended; never waits.
    /// - Returns: The source to start measuring now and the lines that record the take-over, or `nil`.
    func tryTakeOver() -> SourceTakeOver?
}

/// A source taken over from another process: start measuring ``component`` now, record ``notes``.
package struct SourceTakeOver: Sendable {
    /// The source to add to the measured ones.
    package var component: any PowerComponent
    /// Lines that record the take-over and its gap, for the sink.
    package var notes: [String]

    package init(component: any PowerComponent, notes: [String]) {
        self.component = component
        self.notes = notes
    }
}

/// Everything the monitor tells the layer above it: the tracker's logs and exporters, or a
/// standalone monitor's. The monitor knows its power sources, a clock, an intensity source and this
/// sink, nothing more.
///
/// Every call comes from the sampling thread, except when that thread is stuck inside a power
/// source: then the thread waiting for the final report makes the closing calls instead (the monitor
/// guarantees the two never run at once). Calls must not wait on the network.
package protocol MonitorSink: AnyObject, Sendable {
    /// Where power sources report while they start and run.
    var diagnostics: any DiagnosticsReporter { get }
    /// Whether the sink wants ``progress(_:)`` snapshots of the running epoch.
    var wantsProgress: Bool { get }
    /// Whether the sink wants ``intensityChanged(_:)`` (looking the estimate up has a cost).
    var wantsIntensityChanges: Bool { get }

    /// The sources started and read once; `components` describes the live ones.
    func sourcesStarted(_ sources: [any PowerComponent], components: [ComponentInfo])
    /// A source was taken over from another process and is measured from now on.
    func sourceTakenOver(_ takeOver: SourceTakeOver)
    /// A source could not start (`error` says why); the others go on.
    func sourceFailedToStart(_ source: any PowerComponent, after takeOver: Bool, error: any Error)
    /// A source was dropped mid-run (its permission was withdrawn or it disappeared); the others go on.
    func sourceDropped(_ source: any PowerComponent, error: CarbonTrackerError)
    /// Monitoring failed; `ignored` when the user asked for training to go on without it.
    func monitoringFailed(_ error: CarbonTrackerError, ignored: Bool)
    /// Named windows that ended, in order (their `epoch` is `nil`).
    func windowsFinished(_ windows: ArraySlice<FinishedWindow>)
    /// Epochs that ended, in order; returns whether the prediction was made among them.
    func epochsFinished(_ epochs: ArraySlice<FinishedWindow>) -> Bool
    /// A new carbon-intensity value came into force.
    func intensityChanged(_ estimate: IntensityEstimate)
    /// The running epoch's energy so far (at most once per update interval).
    func progress(_ snapshot: ProgressSnapshot)
    /// A batch of readings and boundaries is done: write what was recorded.
    func batchEnded(recorded: Bool)
    /// A warning for the user (a stuck source, a stalled thread).
    func warning(_ message: String)
    /// The run's power over time, once, just before ``runEnding(_:openWindows:stuckSource:)``.
    func powerSeriesEnded(_ series: PowerTimeSeries)
    /// The run ends for `reason`: write the final report. `openWindows` were still open;
    /// `stuckSource` names a source that stopped answering, whose final reading is missing.
    func runEnding(_ reason: MonitorEndReason, openWindows: [String], stuckSource: String?)
    /// The sources are released and the callers waiting for the final report have been let go:
    /// start what may take longer (a final push over the network) and close.
    func runEnded()
    /// The longest the work started by ``runEnded()`` may take, in seconds (0 when there is none).
    var finalWorkBoundSeconds: Double { get }
    /// Waits at most `limitSeconds` (and never longer than ``finalWorkBoundSeconds``) until the work
    /// started by ``runEnded()`` is done or its failure is recorded; returns whether it was done in time.
    func awaitFinalWork(limitSeconds: Double) -> Bool
}
