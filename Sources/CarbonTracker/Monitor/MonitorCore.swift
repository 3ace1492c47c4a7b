import Foundation

/// Why monitoring ended.
enum MonitorEndReason: Sendable, Equatable {
    /// The tracker's last monitored epoch finished.
    case completed
    /// `stop()`, process exit or release before the planned end.
    case interrupted
    /// A monitoring failure (already logged).
    case failed
}

/// The layer above the monitor: a tracker, which turns epoch windows into Python-format lines,
/// the prediction and the final report. Called on the sampling thread (or, when that thread is stuck
/// in a power source, on the thread that waits for the final report — never both).
protocol MonitorObserver: AnyObject, Sendable {
    /// Handles finished epochs, in order; returns whether the prediction was made among them.
    func epochsFinished(_ epochs: ArraySlice<FinishedWindow>, core: MonitorCore) -> Bool
    /// Writes the final report for `reason`.
    func finish(_ reason: MonitorEndReason, core: MonitorCore)
}

/// The state an ``EnergyMonitor`` shares between the threads that open and close windows and the
/// sampling thread, and the calls that cross between them.
///
/// Three locks, so that opening a window never waits on a reading:
/// - `queue`: window boundaries stamped by any thread (one lock, one clock read, an append);
/// - `measure`: the energy curves and open windows, held while sources are read;
/// - `activity`: what the sampling thread is doing, so a stuck power source can be named.
final class MonitorCore: Sendable {
    struct Queue {
        var requests: [WindowRequest] = []
        var names: [String: Int32] = [:]
        var open = 0
        var nextID: Int32 = 1
        /// The sampling thread sleeps until woken (no window open); the next boundary must wake it.
        var samplerIdle = false
        /// `nil` while windows are accepted.
        var endReason: MonitorEndReason?
        /// A failure not yet thrown to the caller.
        var undeliveredFailure: CarbonTrackerError?
        var epochCounter = 0
        var inEpoch = false
        /// When the sampling thread last took the queue (and read the sources right after).
        var lastDrain = -Double.infinity
        /// A boundary has already asked the sampling thread for a reading it has not yet taken.
        var boundaryWakePending = false
    }

    struct Activity {
        var progress = 0
        /// The name of the source being read, while a read is in progress.
        var reading: String?
        /// The final report was written by a waiting thread because the sampling thread was stuck.
        var abandoned = false
    }

    /// Boundaries queued before the sampling thread is woken regardless of its schedule, so bursts
    /// of short windows are processed in bounded batches.
    static let batchSize = 4096
    /// A boundary wakes the sampling thread for a reading at that instant, so windows and epochs end
    /// on a real reading rather than an interpolation over a whole update interval; but at most once
    /// per this many seconds, so a burst of short windows is read in batches.
    static let boundaryReadGapSeconds = 0.001
    /// Boundaries queued at most. Only a loop that does nothing but open and close windows (hundreds
    /// of thousands a second) outruns the sampling thread's logging; it then waits for the thread to
    /// take the queue, so memory stays bounded instead of growing with the number of windows.
    static let queueLimit = 4 * batchSize

    let queue = LockedBox(Queue())
    let measure = LockedBox(MeasureState())
    let activity = LockedBox(Activity())
    let componentInfos = LockedBox<[ComponentInfo]>([])
    /// Every source started, for shutdown (also by a thread other than the sampling thread).
    let startedComponents = LockedBox<[any PowerComponent]>([])
    let wake: WakeSignal
    /// Signalled each time the sampling thread takes the queue, for a thread waiting for room in it.
    let drained = WakeSignal()
    let ready = Latch()
    let finished = Latch()
    let predictionReady = Latch()
    let clock = MonotonicTime()
    let log: TrackerLog
    let intensity: any CarbonIntensitySource
    let configuration: MonitorConfiguration
    let accounting: WindowAccounting
    let timeoutSeconds: Double
    let synchronize: (@Sendable () -> Void)?
    let observer: (any MonitorObserver)?
    let exporters: [any RunExporter]
    /// Events for the exporters, gathered during a batch and handed over before its log is flushed.
    let pendingEvents = LockedBox<[RunEvent]>([])
    /// Who this run is, for the exporters' `run_started` event (the tracker adds its settings).
    let description: RunDescription

    init(
        configuration: MonitorConfiguration, log: TrackerLog, wake: WakeSignal,
        intensity: any CarbonIntensitySource, options: TrackerOptions, powerUsageEffectiveness: Double,
        observer: (any MonitorObserver)?, exporters: [any RunExporter] = [], description: RunDescription
    ) {
        self.description = description
        self.configuration = configuration
        self.log = log
        self.wake = wake
        self.intensity = intensity
        self.timeoutSeconds = options.shutdownTimeoutSeconds
        self.synchronize = options.synchronize
        self.observer = observer
        self.exporters = exporters
        self.accounting = WindowAccounting(
            powerUsageEffectiveness: powerUsageEffectiveness,
            updatePeriodSeconds: configuration.updateIntervalSeconds,
            wallOrigin: Date().timeIntervalSince1970, monotonicOrigin: clock.now())
    }

    /// Queues events for the exporters (none are built when there are no exporters).
    func emit(_ events: @autoclosure () -> [RunEvent]) {
        guard !exporters.isEmpty else { return }
        let events = events()
        pendingEvents.withLock { $0.append(contentsOf: events) }
    }

    /// Hands the queued events to every exporter, in order.
    func deliverEvents() {
        guard !exporters.isEmpty else { return }
        var events: [RunEvent] = []
        pendingEvents.withLock { swap(&$0, &events) }
        guard !events.isEmpty else { return }
        for exporter in exporters { exporter.record(events) }
    }

    // MARK: Boundaries from any thread

    /// Opens a named window.
    func begin(_ name: String) throws {
        synchronize?()
        let idle = try queue.withLock { state -> Bool in
            try Self.deliverFailure(&state)
            guard state.endReason == nil else {
                throw CarbonTrackerError.invalidState(
                    "beginWindow(\"\(name)\") was called after the monitor stopped.")
            }
            guard state.names[name] == nil else {
                throw CarbonTrackerError.invalidState("A window named \"\(name)\" is already open.")
            }
            let id = state.nextID
            state.nextID = id == Int32.max ? 1 : id + 1
            state.names[name] = id
            return enqueue(&state, WindowRequest(time: clock.now(), id: id, kind: .begin), opens: 1)
        }
        notify(idle)
    }

    /// Closes a named window now: reads every source on this thread and returns the measurement.
    func endNow(_ name: String) throws -> WindowMeasurement {
        synchronize?()
        let id = try queue.withLock { state -> Int32 in
            try Self.deliverFailure(&state)
            guard let id = state.names.removeValue(forKey: name) else {
                throw CarbonTrackerError.invalidState(
                    state.endReason == nil
                        ? "endWindow(\"\(name)\") was called, but no window of that name is open."
                        : "endWindow(\"\(name)\") was called after the monitor stopped.")
            }
            state.open -= 1
            return id
        }
        try awaitSources()
        let measurement = try measure.withLock { state -> WindowMeasurement? in
            let time = try readNow(&state)
            return state.finish(id, name: name, at: time, configuration: accounting)
        }
        guard let measurement else {
            throw CarbonTrackerError.invalidState("The window \"\(name)\" ended when monitoring stopped.")
        }
        let backlog = measure.withLock { state -> Int in
            state.finished.append(FinishedWindow(measurement: measurement, epoch: nil))
            return state.finished.count
        }
        wakeIfIdle()
        if backlog >= Self.batchSize { awaitLogging() }
        return measurement
    }

    /// Drops a named window without a measurement.
    func cancel(_ name: String) throws {
        let idle = try queue.withLock { state -> Bool in
            try Self.deliverFailure(&state)
            guard let id = state.names.removeValue(forKey: name) else {
                throw CarbonTrackerError.invalidState(
                    "cancelWindow(\"\(name)\") was called, but no window of that name is open.")
            }
            return enqueue(&state, WindowRequest(time: clock.now(), id: id, kind: .cancel), opens: -1)
        }
        notify(idle)
    }

    /// Opens the next epoch window; returns its number, or `nil` when monitoring has ended.
    func beginEpoch() throws -> Int? {
        synchronize?()
        let (epoch, idle) = try queue.withLock { state -> (Int?, Bool) in
            try Self.deliverFailure(&state)
            guard state.endReason == nil else { return (nil, false) }
            if state.inEpoch {
                throw CarbonTrackerError.invalidState(
                    "epochStart() was called twice without epochEnd() in between (epoch \(state.epochCounter))."
                )
            }
            state.epochCounter += 1
            state.inEpoch = true
            let request = WindowRequest(time: clock.now(), id: -Int32(state.epochCounter), kind: .begin)
            return (state.epochCounter, enqueue(&state, request, opens: 1))
        }
        notify(idle)
        return epoch
    }

    /// Closes the running epoch window (its energy is resolved by the sampling thread); when it is
    /// epoch `lastEpoch`, monitoring ends after it. Returns its number, or `nil` when monitoring has ended.
    func endEpoch(lastEpoch: Int) throws -> Int? {
        synchronize?()
        let (epoch, idle) = try queue.withLock { state -> (Int?, Bool) in
            try Self.deliverFailure(&state)
            guard state.endReason == nil else { return (nil, false) }
            guard state.inEpoch else {
                throw CarbonTrackerError.invalidState(
                    "epochEnd() was called without a matching epochStart() (after epoch \(state.epochCounter))."
                )
            }
            state.inEpoch = false
            let epoch = state.epochCounter
            let time = clock.now()
            var idle = enqueue(&state, WindowRequest(time: time, id: -Int32(epoch), kind: .end), opens: -1)
            if epoch == lastEpoch {
                idle = requestStop(&state, .completed, at: time) || idle
            }
            return (epoch, idle)
        }
        notify(idle)
        return epoch
    }

    /// Asks the sampling thread to report and finish; returns whether this call ended monitoring.
    @discardableResult
    func requestStop(_ reason: MonitorEndReason) -> Bool {
        let accepted = queue.withLock { state -> Bool in
            guard state.endReason == nil else { return false }
            _ = requestStop(&state, reason, at: clock.now())
            return true
        }
        if accepted { wake.signal() }
        return accepted
    }

    private func requestStop(_ state: inout Queue, _ reason: MonitorEndReason, at time: Double) -> Bool {
        state.endReason = reason
        state.inEpoch = false
        state.samplerIdle = false
        state.requests.append(WindowRequest(time: time, id: 0, kind: .stop))
        return true
    }

    /// Appends a request; returns whether the sampling thread must be woken for it (it sleeps with no
    /// window open, or a batch is ready, or the queue is full).
    private func enqueue(_ state: inout Queue, _ request: WindowRequest, opens: Int) -> Bool {
        state.requests.append(request)
        state.open += opens
        if state.samplerIdle {
            state.samplerIdle = false
            return true
        }
        if !state.boundaryWakePending && request.time - state.lastDrain >= Self.boundaryReadGapSeconds {
            state.boundaryWakePending = true
            return true
        }
        return state.requests.count % Self.batchSize == 0
    }

    /// Wakes the sampling thread when asked to, and waits while the queue is full.
    private func notify(_ wakeSampler: Bool) {
        guard wakeSampler else { return }
        wake.signal()
        awaitRoom()
    }

    private func wakeIfIdle() {
        let idle = queue.withLock { state -> Bool in
            defer { state.samplerIdle = false }
            return state.samplerIdle
        }
        if idle { wake.signal() }
    }

    private static func deliverFailure(_ state: inout Queue) throws {
        if let failure = state.undeliveredFailure {
            state.undeliveredFailure = nil
            throw failure
        }
    }

    /// Throws a failure not yet delivered (after the monitor ended).
    func takeFailure() throws {
        try queue.withLock { try Self.deliverFailure(&$0) }
    }

    /// Whether windows are still accepted.
    var isMonitoring: Bool { queue.withLock { $0.endReason == nil } }

    // MARK: Reading

    /// Moves the queued requests into `spare` and stamps the time under the queue's lock, so every
    /// request stamped before that time is drained now and every later one has a later stamp.
    func drain(into spare: inout [WindowRequest]) -> Double {
        drain(into: &spare, idleAfter: false).time
    }

    /// ``drain(into:)`` for the sampling thread: also tells whether monitoring failed and, with
    /// `idleAfter`, marks the thread idle when no window is open, so the next boundary wakes it.
    func drain(into spare: inout [WindowRequest], idleAfter: Bool) -> (time: Double, failed: Bool, idle: Bool)
    {
        let (time, wasFull, failed, idle) = queue.withLock { state in
            defer { swap(&state.requests, &spare) }
            let idle = idleAfter && state.open == 0 && state.endReason == nil
            if idle { state.samplerIdle = true }
            let time = clock.now()
            state.lastDrain = time
            state.boundaryWakePending = false
            return (time, state.requests.count >= Self.queueLimit, state.endReason == .failed, idle)
        }
        if wasFull { drained.signal() }
        return (time, failed, idle)
    }

    /// Waits while measured windows wait to be logged in a full batch: a loop doing nothing but
    /// windows outruns the logging, and memory must not grow with the number of windows.
    private func awaitLogging() {
        while measure.withLock({ $0.finished.count >= Self.batchSize }) && isMonitoring {
            wake.signal()
            drained.wait(seconds: 0.01)
        }
    }

    /// Waits while the queue is full (see ``queueLimit``).
    private func awaitRoom() {
        while queue.withLock({ $0.requests.count >= Self.queueLimit && $0.endReason == nil }) {
            wake.signal()
            drained.wait(seconds: 0.01)
        }
    }

    /// Drains the queue, reads every source and applies the drained requests; returns the reading's time.
    /// - Throws: The monitoring failure, when a source failed (already logged and recorded).
    func readNow(_ state: inout MeasureState) throws -> Double {
        if queue.withLock({ $0.endReason == .failed }) {
            try takeFailure()
            throw CarbonTrackerError(
                .componentUnavailable, "No power source is being measured; monitoring has ended.")
        }
        var drained = state.spare
        let time = drain(into: &drained)
        state.gramsPerKilowattHour = intensity.currentGramsPerKilowattHour()
        if let failure = readSources(&state, at: time) {
            throw failure
        }
        state.apply(drained, configuration: accounting)
        state.account(upTo: time)
        drained.removeAll(keepingCapacity: true)
        state.spare = drained
        return time
    }

    /// Reads every live source once at `time`; drops sources that lost permission. Returns the
    /// monitoring failure when a read failed otherwise or no source is left.
    func readSources(_ state: inout MeasureState, at time: Double) -> CarbonTrackerError? {
        var index = 0
        defer {
            activity.withLock { activity in
                activity.reading = nil
                activity.progress &+= 1
            }
        }
        while index < state.sources.count {
            index += 1
            // Fields are read in place rather than copying the source (its arrays and strings): this
            // runs just after the thread wakes with cold caches, where every retain is a cache miss.
            guard state.sources[index - 1].isLive else { continue }
            let component = state.sources[index - 1].component
            let firstSlot = state.sources[index - 1].firstSlot
            let deviceCount = state.sources[index - 1].devices.count
            // One lock per source: it marks this read and the progress of the one before.
            activity.withLock { activity in
                activity.reading = state.sources[index - 1].name
                activity.progress &+= 1
            }
            do {
                try component.read(into: &state.readings)
                guard state.readings.count == deviceCount else {
                    throw CarbonTrackerError.measurementFailed(
                        "\(component.handlerName) returned \(state.readings.count) readings for \(deviceCount) devices."
                    )
                }
                for offset in 0..<deviceCount {
                    state.curves[firstSlot + offset].add(state.readings[offset], at: time)
                }
            } catch let error as CarbonTrackerError
                where error.code == .permissionDenied || error.code == .componentUnavailable
            {
                log.critical(error.message)
                log.critical("Continuing without \(component.kind.rawValue.uppercased()) measurements.")
                component.shutdown()
                state.sources[index - 1].isLive = false
                publishComponents(state)
                if !state.sources.contains(where: \.isLive) {
                    return fail(
                        CarbonTrackerError(.componentUnavailable, "No component can be measured any longer."))
                }
            } catch {
                return fail(
                    CarbonTrackerError.measurementFailed(
                        "\(component.handlerName) failed to read \(component.kind.rawValue): \(Self.describe(error))"
                    ))
            }
        }
        state.lastReadingTime = time
        return nil
    }

    /// Publishes the live sources for ``EnergyMonitor/components``.
    func publishComponents(_ state: MeasureState) {
        let infos = state.sources.filter(\.isLive).map {
            ComponentInfo(
                kind: $0.component.kind, handlerName: $0.component.handlerName, devices: $0.devices,
                method: $0.component.measurementMethod())
        }
        componentInfos.withLock { $0 = infos }
    }

    /// Ends monitoring with `error`: logged once, thrown from the next call unless errors are ignored.
    @discardableResult
    func fail(_ error: CarbonTrackerError) -> CarbonTrackerError {
        let first = queue.withLock { state -> Bool in
            guard state.endReason != .failed else { return false }
            state.endReason = .failed
            state.inEpoch = false
            state.samplerIdle = false
            if !configuration.ignoreErrors { state.undeliveredFailure = error }
            return true
        }
        guard first else { return error }
        if configuration.ignoreErrors {
            log.critical("Ignored error: \(error.message) Continued training without monitoring...")
            log.output("Ignored error: \(error.message) Continued training without monitoring...")
        } else {
            log.critical(error.message)
            log.output(error.message)
        }
        wake.signal()
        return error
    }

    static func describe(_ error: any Error) -> String {
        (error as? CarbonTrackerError)?.message ?? String(describing: error)
    }

    // MARK: Waiting for the sampling thread

    /// What a bounded wait for the sampling thread found.
    enum WaitOutcome: Equatable {
        case done
        /// No progress for the time-out while reading this source.
        case stuckReading(String)
        /// No progress for the time-out, not inside a source.
        case stalled
    }

    /// Waits for `latch` while the sampling thread makes progress; gives up only after it made none
    /// for ``timeoutSeconds`` (so a long backlog is finished, a hung source is not waited for forever).
    func waitForSampler(_ latch: Latch, limitSeconds: Double = .infinity) -> WaitOutcome {
        let started = clock.now()
        var seen = activity.withLock { $0.progress }
        var lastProgress = started
        while !latch.wait(seconds: min(0.05, timeoutSeconds)) {
            let now = clock.now()
            if now - started >= limitSeconds { return .stalled }
            let (progress, reading) = activity.withLock { ($0.progress, $0.reading) }
            if progress != seen {
                seen = progress
                lastProgress = now
                continue
            }
            if now - lastProgress >= timeoutSeconds {
                return reading.map { .stuckReading($0) } ?? .stalled
            }
        }
        return .done
    }

    /// Waits until the sources have started, so a window can be read on the calling thread.
    private func awaitSources() throws {
        switch waitForSampler(ready) {
        case .done: return
        case .stuckReading(let name):
            throw CarbonTrackerError.measurementFailed(
                "The power source \(name) did not start within \(timeoutSeconds) s; no window can be measured."
            )
        case .stalled:
            throw CarbonTrackerError.measurementFailed(
                "The power sources did not start within \(timeoutSeconds) s; no window can be measured.")
        }
    }

    /// Records progress of the sampling thread outside source reads (batches of lines).
    func noteProgress() {
        activity.withLock { $0.progress &+= 1 }
    }
}
