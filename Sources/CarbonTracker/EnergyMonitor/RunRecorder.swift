import Foundation

/// The tracker layer's side of a monitor: turns what the monitor reports into the Python-format logs,
/// the console, the progress file and the exporters' events.
///
/// A tracker adds its epoch reporter (Python's per-epoch lines, the prediction, the final report);
/// a standalone ``EnergyMonitor`` has none. Called as ``MonitorSink`` says: on the sampling thread,
/// or once, for the closing calls, on the thread that finishes a run whose sampling thread is stuck.
final class RunRecorder: MonitorSink {
    let log: TrackerLog
    let intensity: any CarbonIntensitySource
    let powerUsageEffectiveness: Double
    private let exporters: [any RunExporter]
    private let reporter: EpochReporter?
    /// Who this run is, for the exporters' `run_started` event.
    private let description: RunDescription
    /// Events for the exporters, gathered during a batch and handed over before its log is flushed.
    private let pendingEvents = LockedBox<[RunEvent]>([])
    /// The sources measured, for their provenance notes in the final report.
    private let sources = LockedBox<[any PowerComponent]>([])
    private let progressFile: ProgressFile?

    init(
        log: TrackerLog, intensity: any CarbonIntensitySource, powerUsageEffectiveness: Double,
        exporters: [any RunExporter], reporter: EpochReporter?, description: RunDescription
    ) {
        self.log = log
        self.intensity = intensity
        self.powerUsageEffectiveness = powerUsageEffectiveness
        self.exporters = exporters
        self.reporter = reporter
        self.description = description
        self.progressFile = log.paths.map { ProgressFile(path: $0.progress) }
    }

    /// The sources measured so far (those taken over included).
    var measuredSources: [any PowerComponent] { sources.withLock { $0 } }

    /// Queues events for the exporters (none are built when there are no exporters).
    func emit(_ events: @autoclosure () -> [RunEvent]) {
        guard !exporters.isEmpty else { return }
        var events = events()
        // Moved in rather than copied when nothing is pending (a batch of epochs between two deliveries),
        // so its events are not retained once more and released with the temporary array.
        pendingEvents.withLock { pending in
            if pending.isEmpty { swap(&pending, &events) } else { pending.append(contentsOf: events) }
        }
    }

    /// Hands the queued events to every exporter, in order.
    private func deliverEvents() {
        guard !exporters.isEmpty else { return }
        var events: [RunEvent] = []
        pendingEvents.withLock { swap(&$0, &events) }
        guard !events.isEmpty else { return }
        for exporter in exporters { exporter.record(events) }
    }

    // MARK: MonitorSink

    var diagnostics: any DiagnosticsReporter { log }
    var wantsProgress: Bool { progressFile != nil }
    var wantsIntensityChanges: Bool { !exporters.isEmpty }

    func sourcesStarted(_ started: [any PowerComponent], components: [ComponentInfo]) {
        sources.withLock { $0 = started }
        let found = started.map { component in
            "\(component.kind.rawValue.uppercased()) with device(s) \(component.devices().joined(separator: ", "))."
        }
        let line = (["The following components were found:"] + found).joined(separator: " ")
        log.write { batch in
            batch.standard(line)
            batch.output(line)
            for note in started.compactMap({ $0.provenanceNote() }) {
                batch.standard(note)
                batch.output(note)
            }
            batch.standard("Monitoring thread started.")
        }
        var description = description
        description.components = components
        emit([.runStarted(description)])
        deliverEvents()
        log.flush()
    }

    func sourceTakenOver(_ takeOver: SourceTakeOver) {
        sources.withLock { $0.append(takeOver.component) }
        log.write { batch in
            for line in takeOver.notes { batch.standard(line) }
        }
    }

    func sourceFailedToStart(_ source: any PowerComponent, after takeOver: Bool, error: any Error) {
        let reason = MonitorCore.describe(error)
        log.critical(
            takeOver
                ? "Could not start \(source.handlerName) after taking it over: \(reason)"
                : "Could not start \(source.handlerName) for \(source.kind.rawValue): \(reason)")
    }

    func sourceDropped(_ source: any PowerComponent, error: CarbonTrackerError) {
        log.critical(error.message)
        log.critical("Continuing without \(source.kind.rawValue.uppercased()) measurements.")
    }

    func monitoringFailed(_ error: CarbonTrackerError, ignored: Bool) {
        let message =
            ignored
            ? "Ignored error: \(error.message) Continued training without monitoring..." : error.message
        log.critical(message)
        log.output(message)
    }

    func windowsFinished(_ windows: ArraySlice<FinishedWindow>) {
        log.write { batch in
            for window in windows {
                WindowLine.append(window.measurement, to: &batch)
                RangeLine.appendWindow(window.measurement, to: &batch)
            }
        }
        emit(windows.map { .window($0.measurement) })
    }

    func epochsFinished(_ epochs: ArraySlice<FinishedWindow>) -> Bool {
        reporter?.epochsFinished(epochs, run: self) ?? false
    }

    func intensityChanged(_ estimate: IntensityEstimate) {
        emit([.intensity(estimate, fetchedAt: Date())])
    }

    func powerSeriesEnded(_ series: PowerTimeSeries) {
        emit([.powerSeries(series)])
    }

    func progress(_ snapshot: ProgressSnapshot) {
        progressFile?.write(snapshot.json())
    }

    func batchEnded(recorded: Bool) {
        // Events come only from reports and intensity changes: a plain sample takes no lock for them.
        if recorded { deliverEvents() }
        log.flush()
    }

    func warning(_ message: String) {
        log.warning(message)
        log.flush()
    }

    func runEnding(_ reason: MonitorEndReason, openWindows: [String], stuckSource: String?) {
        if !openWindows.isEmpty {
            log.warning(
                "Monitoring stopped with window(s) still open, not measured: "
                    + openWindows.map { "\"\($0)\"" }.joined(separator: ", ") + ".")
        }
        reporter?.finish(reason, run: self)
        log.info("Monitoring thread ended.")
        log.output("Finished monitoring.")
        log.flush()
        // A failed run keeps its progress file, so the energy of its last epoch can still be counted.
        if reason != .failed || stuckSource != nil { progressFile?.remove() } else { progressFile?.close() }
        emit([.runEnded(Date(), interrupted: reason == .interrupted)])
        deliverEvents()
        for exporter in exporters where !exporter.finishesOverNetwork { exporter.finish() }
    }

    func runEnded() {
        // A final push to a server happens after the waiters were let go, so a slow server never delays
        // training.
        for exporter in exporters where exporter.finishesOverNetwork { exporter.finish() }
        log.close()
    }

    /// The longest the final push of a run may take, in seconds: the largest bound of the exporters
    /// that finish over the network (the Pushgateway's push time-out and one second), else 0.
    var finalWorkBoundSeconds: Double {
        exporters.lazy.filter(\.finishesOverNetwork).map(\.finishBoundSeconds).max() ?? 0
    }

    /// Waits until the exporters that finish over the network have made their final push, or
    /// reported why not, and that report is in the error log.
    func awaitFinalWork(limitSeconds: Double) -> Bool {
        let limit = min(limitSeconds, finalWorkBoundSeconds)
        let clock = MonotonicTime()
        var done = true
        for exporter in exporters where exporter.finishesOverNetwork {
            let left = limit - clock.now()
            if left <= 0 || !exporter.awaitFinish(seconds: left) {
                done = false
                break
            }
        }
        // A failed push's warning was added to the log's buffer; the sampling thread closes the log
        // right after, but the process may end first.
        log.flush()
        return done
    }

    /// Ends a run that never started sampling: the exporters finish, the intensity source stops and
    /// the logs close (or, with `discard`, are deleted).
    func abandon(discardingLogs discard: Bool) {
        for exporter in exporters { exporter.finish() }
        intensity.stop()
        discard ? log.discard() : log.close()
    }
}
