import CarbonTrackerSources
import Foundation

/// What a monitor needs to know beyond its sources: how often to sample, what must be measured,
/// what to do on failure, and the factor its energy is multiplied by.
package struct MonitorSettings: Sendable {
    /// Seconds between samples while a window is open.
    package var updateIntervalSeconds: Double
    /// The kinds to measure.
    package var componentKinds: [ComponentKind]
    /// Whether the kinds are "all" (a missing kind is then expected, not a failure).
    package var componentsIsAll: Bool
    /// A monitoring failure ends monitoring quietly instead of being thrown from the next call.
    package var ignoreErrors: Bool
    /// How long a wait for the sampling thread goes without progress before it gives up, in seconds.
    package var timeoutSeconds: Double
    /// The power-usage-effectiveness factor applied to energy and CO2eq.
    package var powerUsageEffectiveness: Double
    /// Called at both ends of every window (e.g. to synchronise a GPU stream).
    package var synchronize: (@Sendable () -> Void)?

    package init(
        updateIntervalSeconds: Double, componentKinds: [ComponentKind], componentsIsAll: Bool,
        ignoreErrors: Bool, timeoutSeconds: Double, powerUsageEffectiveness: Double,
        synchronize: (@Sendable () -> Void)?
    ) {
        self.updateIntervalSeconds = updateIntervalSeconds
        self.componentKinds = componentKinds
        self.componentsIsAll = componentsIsAll
        self.ignoreErrors = ignoreErrors
        self.timeoutSeconds = timeoutSeconds
        self.powerUsageEffectiveness = powerUsageEffectiveness
        self.synchronize = synchronize
    }
}

/// Where a monitor is in its life. One value, behind the queue lock.
package enum MonitorLifecycle: Sendable, Equatable {
    /// Windows and epochs are accepted.
    case monitoring
    /// No more windows are accepted; the sampling thread is to write the final report.
    case ending(MonitorEndReason)
    /// The final report is being written: by the sampling thread, or by a thread waiting for it when
    /// the sampling thread is stuck inside a power source (it then makes no further sink calls).
    case finishing(MonitorEndReason, byWaitingThread: Bool)
    /// The final report is written and the sources are released.
    case finished(MonitorEndReason)

    /// Why monitoring ended, once it has.
    package var endReason: MonitorEndReason? {
        switch self {
        case .monitoring: nil
        case .ending(let reason), .finishing(let reason, _), .finished(let reason): reason
        }
    }
}

/// The state an energy monitor shares between the threads that open and close windows and the
/// sampling thread, and the calls that cross between them.
///
/// State and its locks, each reached only through `withLock`. When two are held, they are taken in
/// this order and released in reverse (a lock later in the list never waits for an earlier one):
/// 1. `measure`: the energy curves and open windows, held while sources are read, so readings enter
///    the curves in time order whichever thread took them;
/// 2. `activity`: which source the sampling thread is reading, so a stuck source can be named;
/// 3. `queue`: the lifecycle, and window boundaries stamped by any thread (one lock, one clock read,
///    an append, so opening a window never waits on a reading);
/// 4. `componentInfos`, `startedComponents`, `series`: leaves, never held while taking another lock.
///
/// The sampling thread sleeps on `wake`; a thread waiting for room in a full queue sleeps on
/// `drained`. Latches open once: `ready` (the sources started), `predictionReady` (the prediction
/// is written), `finished` (the final report is written).
package final class MonitorCore: Sendable {
    package struct Queue {
        var requests: [WindowRequest] = []
        var names: [String: Int32] = [:]
        var open = 0
        var nextID: Int32 = 1
        var lifecycle = MonitorLifecycle.monitoring
        /// The sampling thread sleeps until woken (no window open); the next boundary must wake it.
        var samplerIdle = false
        /// A failure not yet thrown to the caller.
        var undeliveredFailure: CarbonTrackerError?
        var epochCounter = 0
        var inEpoch = false
        /// When the sampling thread last took the queue (and read the sources right after).
        var lastDrain = -Double.infinity
        /// A boundary has already asked the sampling thread for a reading it has not yet taken.
        var boundaryWakePending = false
    }

    package struct Activity {
        var progress = 0
        /// The name of the source being read, while a read is in progress.
        var reading: String?
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

    package let queue = LockedBox(Queue())
    package let measure = LockedBox(MeasureState())
    package let activity = LockedBox(Activity())
    package let componentInfos = LockedBox<[ComponentInfo]>([])
    /// Every source started, for shutdown (also by a thread other than the sampling thread).
    package let startedComponents = LockedBox<[any PowerComponent]>([])
    /// The run's power over time, added to at every reading (a leaf lock, so the final report can
    /// read it while the sampling thread is stuck in a source holding `measure`).
    package let series: LockedBox<PowerSeriesRecorder>
    package let wake: WakeSignal
    /// Signalled each time the sampling thread takes the queue, for a thread waiting for room in it.
    let drained = WakeSignal()
    package let ready = Latch()
    package let finished = Latch()
    package let predictionReady = Latch()
    package let clock = MonotonicTime()
    package let intensity: any CarbonIntensitySource
    package let settings: MonitorSettings
    package let accounting: WindowAccounting
    package let sink: any MonitorSink
    var timeoutSeconds: Double { settings.timeoutSeconds }

    /// Creates the shared state; nothing starts until ``start(_:deferred:)``.
    /// - Parameters:
    ///   - settings: Sampling, failure and accounting settings.
    ///   - wake: The sampling thread's wake-up signal (shared with the sink, whose writers may wake it).
    ///   - intensity: The carbon-intensity source, already started.
    ///   - sink: Receives everything the monitor reports.
    package init(
        settings: MonitorSettings, wake: WakeSignal, intensity: any CarbonIntensitySource,
        sink: any MonitorSink
    ) {
        self.settings = settings
        self.wake = wake
        self.intensity = intensity
        self.sink = sink
        self.series = LockedBox(PowerSeriesRecorder(initialWidthSeconds: settings.updateIntervalSeconds))
        self.accounting = WindowAccounting(
            powerUsageEffectiveness: settings.powerUsageEffectiveness,
            updatePeriodSeconds: settings.updateIntervalSeconds,
            wallOrigin: Date().timeIntervalSince1970, monotonicOrigin: clock.now())
    }

    /// Starts the sampling thread over `components`, polling `deferred` for take-over.
    package func start(_ components: [any PowerComponent], deferred: [any DeferredPowerSource]) {
        LiveMonitors.add(self)
        BackgroundThread.start(name: "CarbonTrackerThread") {
            var sampler = Sampler(core: self, components: components, deferred: deferred)
            sampler.run()
        }
    }

    /// Ends a monitor that never started its sampling thread (nothing could be measured and errors
    /// are ignored): records `error` and lets every waiter go.
    package func endWithoutSampling(_ error: CarbonTrackerError) {
        fail(error)
        queue.withLock { $0.lifecycle = .finished(.failed) }
        ready.open()
        predictionReady.open()
        finished.open()
    }

    // MARK: Boundaries from any thread

    /// Opens a named window.
    package func begin(_ name: String) throws {
        settings.synchronize?()
        let idle = try queue.withLock { state -> Bool in
            try Self.deliverFailure(&state)
            guard state.lifecycle == .monitoring else {
                throw CarbonTrackerError.invalidState(
                    "beginWindow(\"\(name)\") was called after the monitor stopped.")
            }
            guard state.names[name] == nil else {
                throw CarbonTrackerError.invalidState("A window named \"\(name)\" is already open.")
            }
            let id = state.nextID
            state.nextID = id == Int32.max ? 1 : id + 1
            state.names[name] = id
            return enqueue(
                &state, WindowRequest(time: clock.now(), id: id, kind: .begin, isEpoch: false), opens: 1)
        }
        notify(idle)
    }

    /// Closes a named window now: reads every source on this thread and returns the measurement.
    package func endNow(_ name: String) throws -> WindowMeasurement {
        settings.synchronize?()
        let id = try queue.withLock { state -> Int32 in
            try Self.deliverFailure(&state)
            guard let id = state.names.removeValue(forKey: name) else {
                throw CarbonTrackerError.invalidState(
                    state.lifecycle == .monitoring
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
    package func cancel(_ name: String) throws {
        let idle = try queue.withLock { state -> Bool in
            try Self.deliverFailure(&state)
            guard let id = state.names.removeValue(forKey: name) else {
                throw CarbonTrackerError.invalidState(
                    "cancelWindow(\"\(name)\") was called, but no window of that name is open.")
            }
            return enqueue(
                &state, WindowRequest(time: clock.now(), id: id, kind: .cancel, isEpoch: false), opens: -1)
        }
        notify(idle)
    }

    /// Opens the next epoch window; returns its number, or `nil` when monitoring has ended.
    package func beginEpoch() throws -> Int? {
        settings.synchronize?()
        let (epoch, idle) = try queue.withLock { state -> (Int?, Bool) in
            try Self.deliverFailure(&state)
            guard state.lifecycle == .monitoring else { return (nil, false) }
            if state.inEpoch {
                throw CarbonTrackerError.invalidState(
                    "epochStart() was called twice without epochEnd() in between (epoch \(state.epochCounter))."
                )
            }
            state.epochCounter += 1
            state.inEpoch = true
            let request = WindowRequest(
                time: clock.now(), id: Int32(clamping: state.epochCounter), kind: .begin, isEpoch: true)
            return (state.epochCounter, enqueue(&state, request, opens: 1))
        }
        notify(idle)
        return epoch
    }

    /// Closes the running epoch window (its energy is resolved by the sampling thread); when it is
    /// epoch `lastEpoch`, monitoring ends after it. Returns its number, or `nil` when monitoring has ended.
    package func endEpoch(lastEpoch: Int) throws -> Int? {
        settings.synchronize?()
        let (epoch, idle) = try queue.withLock { state -> (Int?, Bool) in
            try Self.deliverFailure(&state)
            guard state.lifecycle == .monitoring else { return (nil, false) }
            guard state.inEpoch else {
                throw CarbonTrackerError.invalidState(
                    "epochEnd() was called without a matching epochStart() (after epoch \(state.epochCounter))."
                )
            }
            state.inEpoch = false
            let epoch = state.epochCounter
            let time = clock.now()
            let request = WindowRequest(time: time, id: Int32(clamping: epoch), kind: .end, isEpoch: true)
            var idle = enqueue(&state, request, opens: -1)
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
            guard state.lifecycle == .monitoring else { return false }
            _ = requestStop(&state, reason, at: clock.now())
            return true
        }
        if accepted { wake.signal() }
        return accepted
    }

    private func requestStop(_ state: inout Queue, _ reason: MonitorEndReason, at time: Double) -> Bool {
        state.lifecycle = .ending(reason)
        state.inEpoch = false
        state.samplerIdle = false
        state.requests.append(WindowRequest(time: time, id: 0, kind: .stop, isEpoch: false))
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

    /// Claims the writing of the final report for the sampling thread or a waiting thread; returns
    /// why monitoring ended, or `nil` when the other one already claimed it.
    package func claimFinish(byWaitingThread: Bool) -> MonitorEndReason? {
        queue.withLock { state -> MonitorEndReason? in
            switch state.lifecycle {
            case .monitoring:
                state.lifecycle = .finishing(.interrupted, byWaitingThread: byWaitingThread)
                return .interrupted
            case .ending(let reason):
                state.lifecycle = .finishing(reason, byWaitingThread: byWaitingThread)
                return reason
            case .finishing, .finished:
                return nil
            }
        }
    }

    /// Whether a waiting thread took over the final report because the sampling thread was stuck.
    var isAbandoned: Bool {
        queue.withLock { state in
            if case .finishing(_, byWaitingThread: true) = state.lifecycle { return true }
            return false
        }
    }

    /// Throws a failure not yet delivered (after the monitor ended).
    package func takeFailure() throws {
        try queue.withLock { try Self.deliverFailure(&$0) }
    }

    /// Whether windows are still accepted.
    package var isMonitoring: Bool { queue.withLock { $0.lifecycle == .monitoring } }

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
            let idle = idleAfter && state.open == 0 && state.lifecycle == .monitoring
            if idle { state.samplerIdle = true }
            let time = clock.now()
            state.lastDrain = time
            state.boundaryWakePending = false
            return (time, state.requests.count >= Self.queueLimit, state.lifecycle.endReason == .failed, idle)
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
        while queue.withLock({ $0.requests.count >= Self.queueLimit && $0.lifecycle == .monitoring }) {
            wake.signal()
            drained.wait(seconds: 0.01)
        }
    }

    /// Drains the queue, reads every source and applies the drained requests; returns the reading's time.
    /// - Throws: The monitoring failure, when a source failed (already logged and recorded).
    func readNow(_ state: inout MeasureState) throws -> Double {
        if queue.withLock({ $0.lifecycle.endReason == .failed }) {
            try takeFailure()
            throw CarbonTrackerError(
                .componentUnavailable, "No power source is being measured; monitoring has ended.")
        }
        var drained = state.spare
        let time = drain(into: &drained)
        state.setIntensity(intensity.intensityInForce())
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
        state.sourceFactsStale = true
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
                sink.sourceDropped(component, error: error)
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
        series.withLock { series in
            series.record(
                at: time, gramsPerKilowattHour: state.gramsPerKilowattHour, sources: state.sources,
                curves: state.curves)
        }
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
            guard state.lifecycle.endReason != .failed else { return false }
            switch state.lifecycle {
            case .monitoring, .ending: state.lifecycle = .ending(.failed)
            case .finishing(_, let byWaitingThread):
                state.lifecycle = .finishing(.failed, byWaitingThread: byWaitingThread)
            case .finished: state.lifecycle = .finished(.failed)
            }
            state.inEpoch = false
            state.samplerIdle = false
            if !settings.ignoreErrors { state.undeliveredFailure = error }
            return true
        }
        guard first else { return error }
        sink.monitoringFailed(error, ignored: settings.ignoreErrors)
        wake.signal()
        return error
    }

    package static func describe(_ error: any Error) -> String {
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
