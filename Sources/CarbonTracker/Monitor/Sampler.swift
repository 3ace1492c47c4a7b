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
    private let deferred: [DeferredSource]
    /// Whether `deferred` has anything (read at every sample, without touching the array).
    private let hasDeferred: Bool
    private var nextTakeOverPoll = 0.0
    private let interval: Double
    private var nextSample = 0.0
    private var nextIntensityRead = 0.0
    private var batch: [FinishedWindow] = []
    private var progress: ProgressFile?
    private var nextProgressWrite = 0.0
    /// The intensity last reported to the exporters.
    private var lastIntensity: IntensityEstimate?

    init(core: MonitorCore, components: [any PowerComponent], deferred: [DeferredSource] = []) {
        self.core = core
        self.pending = components
        self.deferred = deferred
        self.hasDeferred = !deferred.isEmpty
        let limits = components.compactMap(\.maximumReadInterval)
        self.interval = limits.reduce(core.configuration.updateIntervalSeconds) { min($0, $1) }
        self.progress = core.log.paths.map { ProgressFile(path: $0.progress) }
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
        if core.activity.withLock({ $0.abandoned }) { return }
        core.finishRun(skipping: nil, progress: progress)
    }

    // MARK: Start

    private mutating func startSources() -> Bool {
        let log = core.log
        var started: [any PowerComponent] = []
        for component in pending {
            do {
                try component.start(diagnostics: log)
                started.append(component)
            } catch {
                log.critical(
                    "Could not start \(component.handlerName) for \(component.kind.rawValue): \(MonitorCore.describe(error))"
                )
            }
        }
        pending = []
        core.startedComponents.withLock { $0 = started }
        let configuration = core.configuration
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
        if failure != nil { return false }
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
        var description = core.description
        description.components = core.componentInfos.withLock { $0 }
        core.emit([.runStarted(description)])
        core.deliverEvents()
        log.flush()
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
                    let value = core.intensity.currentGramsPerKilowattHour()
                    state.gramsPerKilowattHour = value
                    intensity = value
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
            if progress != nil, time >= nextProgressWrite, let epoch = state.open.first(where: { $0.id < 0 })
            {
                snapshot = ProgressSnapshot(state, epoch, at: time)
                nextProgressWrite = time + interval
            }
            return nil
        }
        // A new value comes into force: the exporters get the whole estimate (provider, location).
        var emitted = false
        if let intensity, !core.exporters.isEmpty, intensity != lastIntensity?.gramsPerKilowattHour {
            let estimate = core.intensity.current()
            lastIntensity = estimate
            core.emit([.intensity(estimate, fetchedAt: Date())])
            emitted = true
        }
        var predicted = false
        let reported = !finished.isEmpty
        if reported {
            predicted = report(finished)
            finished.removeAll(keepingCapacity: true)
            batch = finished
        }
        if let snapshot { progress?.write(snapshot.json()) }
        // On this thread events come only from the report and the intensity above: a plain sample queues
        // none, so it takes no lock for them.
        if reported || emitted { core.deliverEvents() }
        core.log.flush()
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
                try component.start(diagnostics: core.log)
            } catch {
                core.log.critical(
                    "Could not start \(component.handlerName) after taking it over: \(MonitorCore.describe(error))"
                )
                component.shutdown()
                continue
            }
            core.startedComponents.withLock { $0.append(component) }
            _ = core.measure.withLock { state -> CarbonTrackerError? in
                state.add(component)
                core.publishComponents(state)
                return nil
            }
            core.log.write { batch in
                for line in takeOver.logLines { batch.standard(line) }
            }
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
                if core.observer?.epochsFinished(finished[start..<end], core: core) == true {
                    predicted = true
                }
            } else {
                core.log.write { batch in
                    for window in finished[start..<end] { WindowLine.append(window.measurement, to: &batch) }
                }
                core.emit(finished[start..<end].map { .window($0.measurement) })
            }
            // Progress for a caller waiting on a long backlog (reads count as progress too).
            core.noteProgress()
            start = end
        }
        return predicted
    }
}

extension MonitorCore {
    /// Writes the end of the run: warns about windows left open, lets the tracker write its final
    /// report, releases the sources and closes the logs. Runs once, on the sampling thread, or on the
    /// thread waiting for the final report when the sampling thread is stuck in `skipping`.
    func finishRun(skipping stuck: String?, progress: ProgressFile?) {
        let (openNames, reason) = queue.withLock { state -> ([String], MonitorEndReason) in
            defer { state.names.removeAll() }
            return (state.names.keys.sorted(), state.endReason ?? .interrupted)
        }
        if !openNames.isEmpty {
            log.warning(
                "Monitoring stopped with window(s) still open, not measured: "
                    + openNames.map { "\"\($0)\"" }.joined(separator: ", ") + ".")
        }
        observer?.finish(reason, core: self)
        log.info("Monitoring thread ended.")
        log.output("Finished monitoring.")
        log.flush()
        if reason != .failed || stuck != nil { progress?.remove() }
        emit([.runEnded(Date(), interrupted: reason == .interrupted)])
        deliverEvents()
        for exporter in exporters where !exporter.finishesOverNetwork { exporter.finish() }
        for component in startedComponents.withLock({ $0 }) where component.handlerName != stuck {
            component.shutdown()
        }
        intensity.stop()
        // Everything local is written: the caller of stop() may go on. The final push to a server happens
        // after that, so a slow server never delays training; the monitor stays registered until it is
        // made, so the exit drain waits for it (awaitFinalPush, bounded), as a released tracker and the
        // CLI do.
        ready.open()
        predictionReady.open()
        finished.open()
        for exporter in exporters where exporter.finishesOverNetwork { exporter.finish() }
        log.close()
        LiveMonitors.remove(self)
    }
}

/// The running epoch's energy so far, for the progress file.
struct ProgressSnapshot {
    var epoch: Int
    var elapsedSeconds: Double
    var components: [(kind: ComponentKind, devices: [String], joules: [Double], method: MeasurementMethod)]

    init(_ state: MeasureState, _ window: OpenWindow, at time: Double) {
        epoch = Int(-window.id)
        elapsedSeconds = max(0, time - window.startTime)
        let now = state.joules(at: time)
        components = state.sources.prefix(window.sourceCount).enumerated().compactMap { index, source in
            guard window.liveAtStart[index] else { return nil }
            return (
                source.component.kind, source.devices,
                source.slots.map { max(0, now[$0] - window.startJoules[$0]) },
                source.component.measurementMethod()
            )
        }
    }

    func json() -> String {
        var json = JSONWriter()
        json.object { json in
            json.field("schema", "carbontracker.progress/1")
            json.field("epoch", epoch)
            json.field("elapsed_seconds", elapsedSeconds)
            json.field("time", LogTime.rfc3339(Date()))
            json.array("components", components) { json, component in
                json.object { json in
                    json.field("component", component.kind.rawValue)
                    json.field("devices", strings: component.devices)
                    json.field("energy_joules", numbers: component.joules)
                    json.field("method", component.method.rawValue)
                }
            }
        }
        return json.text
    }
}

/// `Window {name}: duration H:MM:SS.hh, energy (J) for gpu: [245.1] [method: counter], ...` — a line
/// Python carbontracker's parser does not match (no `Duration:`, no `Average power usage`).
enum WindowLine {
    static func append(_ window: WindowMeasurement, to batch: inout LogBatch) {
        batch.standard { bytes in
            bytes.append(contentsOf: "Window ".utf8)
            for byte in window.name.utf8 { bytes.append(byte < 0x20 ? UInt8(ascii: " ") : byte) }
            bytes.append(contentsOf: ": duration ".utf8)
            TimeString.append(&bytes, seconds: window.durationSeconds, withHundredths: true)
            for component in window.components {
                bytes.append(contentsOf: ", energy (J) for ".utf8)
                bytes.append(contentsOf: component.kind.rawValue.utf8)
                bytes.append(contentsOf: ": ".utf8)
                LogNumber.appendList(&bytes, component.joules[...], alwaysBrackets: true)
                bytes.append(contentsOf: " [method: ".utf8)
                bytes.append(contentsOf: component.method.rawValue.utf8)
                bytes.append(UInt8(ascii: "]"))
            }
            bytes.append(contentsOf: ", CO2eq (g): ".utf8)
            bytes.append(contentsOf: window.co2eqGrams.description.utf8)
            if window.isApproximate { bytes.append(contentsOf: ", approximate".utf8) }
        }
    }
}
