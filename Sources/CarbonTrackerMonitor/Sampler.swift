import CarbonTrackerSources
import Foundation

/// The sampling thread of a monitor: starts the sources, reads them every update interval while a
/// window is open and whenever boundaries are queued, resolves boundaries into measurements, and
/// logs and reports them.
///
/// Cost is linear in windows and samples: each boundary is applied once, each finished window is
/// formatted once, and every buffer is reused. It sleeps without a deadline while no window is open.
struct Sampler {
    private let core: MonitorCore
    private var pending: [any PowerComponent]
    /// Sources left to another process of a distributed job, polled for take-over.
    private let deferred: [any DeferredPowerSource]
    /// Whether `deferred` has anything (read at every sample, without touching the array).
    private let hasDeferred: Bool
    private let wantsIntensityChanges: Bool
    private var nextTakeOverPoll = 0.0
    private let interval: Double
    private var nextSample = 0.0
    private var nextIntensityRead = 0.0
    private var batch: [FinishedWindow] = []
    private let wantsProgress: Bool
    private var nextProgressWrite = 0.0
    /// The intensity last reported to the exporters.
    private var lastIntensity: IntensityEstimate?

    init(core: MonitorCore, components: [any PowerComponent], deferred: [any DeferredPowerSource] = []) {
        self.core = core
        self.pending = components
        self.deferred = deferred
        self.hasDeferred = !deferred.isEmpty
        let limits = components.compactMap(\.maximumReadInterval)
        self.interval = limits.reduce(core.settings.updateIntervalSeconds) { min($0, $1) }
        self.wantsProgress = core.sink.wantsProgress
        self.wantsIntensityChanges = core.sink.wantsIntensityChanges
    }

    mutating func run() {
        if startSources() {
            core.ready.open()
            var sleep = 0.0
            let wake = core.wake
            while true {
                wake.wait(seconds: sleep)
                guard let next = tick() else { break }
                sleep = next
            }
        } else {
            core.ready.open()
        }
        guard let reason = core.claimFinish(byWaitingThread: false) else { return }
        core.finishRun(reason, skipping: nil)
    }

    // MARK: Start

    private mutating func startSources() -> Bool {
        let sink = core.sink
        var started: [any PowerComponent] = []
        for component in pending {
            do {
                try component.start(diagnostics: sink.diagnostics)
                started.append(component)
            } catch {
                sink.sourceFailedToStart(component, after: false, error: error)
            }
        }
        pending = []
        core.startedComponents.withLock { $0 = started }
        let configuration = core.settings
        // A kind left to another process of the job counts as present: it is measured, just not here.
        let missing = configuration.componentKinds.filter { kind in
            !started.contains { $0.kind == kind } && !deferred.contains { $0.kind == kind }
        }
        if (started.isEmpty && deferred.isEmpty) || (!configuration.componentsIsAll && !missing.isEmpty) {
            core.fail(
                CarbonTrackerError(
                    .componentUnavailable,
                    missing.map(ComponentSelection.unavailableMessage).joined(separator: " ")
                        + " See the error log for why."))
            return false
        }
        let failure = core.measure.withLock { state -> CarbonTrackerError? in
            for component in started { state.add(component) }
            core.publishComponents(state)
            return core.readSources(&state, at: core.clock.now())
        }
        if failure != nil || core.isAbandoned { return false }
        sink.sourcesStarted(started, components: core.componentInfos.withLock { $0 })
        nextSample = core.clock.now() + interval
        return true
    }

    // MARK: Ticks

    /// Reads and resolves what is due, reports what finished; returns how long to sleep (until the next
    /// sample while a window is open, else until woken), or `nil` once monitoring ended.
    private mutating func tick() -> Double? {
        if hasDeferred { pollTakeOver() }
        var intensity: Double?
        var time = 0.0
        var stopped = false
        var failed = false
        var idle = false
        var snapshot: ProgressSnapshot?
        var finished: [FinishedWindow] = []
        let failure = core.measure.withLock { state -> CarbonTrackerError? in
            var drained = state.spare
            (time, failed, idle) = core.drain(into: &drained, idleAfter: true)
            let readDue = time >= nextSample
            defer {
                drained.removeAll(keepingCapacity: true)
                state.spare = drained
            }
            if !drained.isEmpty || (readDue && !state.open.isEmpty) {
                // The intensity changes every few minutes at most: it is looked up at boundaries and about
                // once a second between them, not at every sample (one lock and cache miss fewer per tick).
                if !drained.isEmpty || time >= nextIntensityRead {
                    let value = core.intensity.intensityInForce()
                    state.setIntensity(value)
                    intensity = value.gramsPerKilowattHour
                    nextIntensityRead = time + 1
                }
                if let failure = core.readSources(&state, at: time) { return failure }
                nextSample = time + interval
                state.apply(drained, configuration: core.accounting)
                state.account(upTo: time)
            }
            if !state.finished.isEmpty {
                finished = batch
                swap(&finished, &state.finished)
                if finished.count >= MonitorCore.batchSize { core.drained.signal() }
            }
            stopped = state.stopRequested
            if wantsProgress, time >= nextProgressWrite, let epoch = state.open.first(where: \.isEpoch) {
                snapshot = ProgressSnapshot(state, epoch, at: time)
                nextProgressWrite = time + interval
            }
            return nil
        }
        // The sampling thread stops reporting once a waiting thread took over the final report (it was
        // stuck in a source): no new read can start before this check, so nothing is reported twice.
        if core.isAbandoned { return nil }
        // A new value comes into force: the sink gets the whole estimate (provider, location).
        var emitted = false
        if let intensity, wantsIntensityChanges, intensity != lastIntensity?.gramsPerKilowattHour {
            let estimate = core.intensity.current()
            lastIntensity = estimate
            core.sink.intensityChanged(estimate)
            emitted = true
        }
        var predicted = false
        let reported = !finished.isEmpty
        if reported {
            predicted = report(finished)
            finished.removeAll(keepingCapacity: true)
            batch = finished
        }
        if let snapshot { core.sink.progress(snapshot) }
        core.sink.batchEnded(recorded: reported || emitted)
        if predicted { core.predictionReady.open() }
        if failure != nil || stopped || failed { return nil }
        // Idle: sleep until a boundary wakes us (the hour is only a backstop). After a plain sample the
        // time of the drain is still current (microseconds ago): one clock read fewer per sample.
        let now = reported || snapshot != nil ? core.clock.now() : time
        return idle ? 3600 : max(0, nextSample - now)
    }

    /// About once a second, takes over a source whose measuring process ended (the kernel released its
    /// lock); from then on this process measures it, and windows that open later include it.
    private mutating func pollTakeOver() {
        let now = core.clock.now()
        guard now >= nextTakeOverPoll else { return }
        nextTakeOverPoll = now + 1
        for source in deferred where !source.isTaken {
            guard let takeOver = source.tryTakeOver() else { continue }
            let component = takeOver.component
            do {
                try component.start(diagnostics: core.sink.diagnostics)
            } catch {
                core.sink.sourceFailedToStart(component, after: true, error: error)
                component.shutdown()
                continue
            }
            core.startedComponents.withLock { $0.append(component) }
            _ = core.measure.withLock { state -> CarbonTrackerError? in
                state.add(component)
                core.publishComponents(state)
                return nil
            }
            core.sink.sourceTakenOver(takeOver)
        }
    }

    /// Logs finished windows and hands epochs to the tracker, in order; returns whether the
    /// prediction was made.
    private func report(_ finished: [FinishedWindow]) -> Bool {
        guard !finished.isEmpty else { return false }
        var predicted = false
        var start = finished.startIndex
        while start < finished.endIndex {
            let isEpoch = finished[start].epoch != nil
            var end = start + 1
            while end < finished.endIndex && (finished[end].epoch != nil) == isEpoch && end - start < 1024 {
                end += 1
            }
            if isEpoch {
                if core.sink.epochsFinished(finished[start..<end]) { predicted = true }
            } else {
                core.sink.windowsFinished(finished[start..<end])
            }
            // Progress for a caller waiting on a long backlog (reads count as progress too).
            core.noteProgress()
            start = end
        }
        return predicted
    }
}

extension MonitorCore {
    /// Writes the end of the run: the sink writes the final report, the sources are released, the
    /// waiters let go, and then the sink finishes what may take longer. Runs once (see
    /// ``claimFinish(byWaitingThread:)``), on the sampling thread, or on the thread waiting for the
    /// final report when the sampling thread is stuck in the source named `stuck`.
    func finishRun(_ reason: MonitorEndReason, skipping stuck: String?) {
        let openNames = queue.withLock { state -> [String] in
            defer { state.names.removeAll() }
            return state.names.keys.sorted()
        }
        if let powerSeries = series.withLock({ $0.series(accounting) }) { sink.powerSeriesEnded(powerSeries) }
        sink.runEnding(reason, openWindows: openNames, stuckSource: stuck)
        for component in startedComponents.withLock({ $0 }) where component.handlerName != stuck {
            component.shutdown()
        }
        intensity.stop()
        queue.withLock { $0.lifecycle = .finished(reason) }
        // Everything local is written: the caller of stop() may go on. What the sink finishes after that
        // (a final push to a server) never delays training; the monitor stays registered until it is
        // done, so the exit drain waits for it (``awaitSinkFinish(limitSeconds:)``, bounded), as a
        // released tracker and the CLI do.
        ready.open()
        predictionReady.open()
        finished.open()
        sink.runEnded()
        LiveMonitors.remove(self)
    }
}

/// The running epoch's energy so far, for a progress file that lets a killed run be counted.
package struct ProgressSnapshot {
    /// The running epoch's number.
    package var epoch: Int
    /// Seconds since the epoch began.
    package var elapsedSeconds: Double
    /// Energy so far per component, without PUE.
    package var components:
        [(kind: ComponentKind, devices: [String], joules: [Double], method: MeasurementMethod)]

    init(_ state: MeasureState, _ window: OpenWindow, at time: Double) {
        epoch = Int(window.id)
        elapsedSeconds = max(0, time - window.startTime)
        let now = state.joules(at: time)
        components = state.sources.prefix(window.sourceCount).enumerated().compactMap { index, source in
            guard window.liveAtStart[index] else { return nil }
            return (
                source.component.kind, source.devices,
                source.slots.map { max(0, now[$0] - window.startJoules[$0]) },
                source.isLive ? source.component.measurementMethod() : .incomplete
            )
        }
    }
}
