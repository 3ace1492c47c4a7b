import Foundation

/// The state shared between the training thread and the sampling thread, and the training
/// thread's side of the protocol between them.
///
/// The training thread only appends requests (with a monotonic time stamped under the lock) and
/// signals; the sampling thread does every read, computation and write. So `epochStart` and
/// `epochEnd` cost one lock, one clock read and one condition signal.
final class Monitor: Sendable {
    enum Request: Sendable {
        case epochStart(epoch: Int, time: Double)
        case epochEnd(epoch: Int, time: Double)
        /// `interruptedEpoch`: an epoch was running and is discarded.
        case stop(time: Double, interruptedEpoch: Bool)
    }

    struct Shared: Sendable {
        var requests: [Request] = []
        var epochCounter = 0
        var inEpoch = false
        /// No more requests are accepted (finished, stopped or failed).
        var ended = false
        /// A failure not yet thrown to the caller.
        var undeliveredFailure: CarbonTrackerError?
        var predicted: ConsumptionReport?
        var actual: ConsumptionReport?
        var epochs: [EpochMeasurement] = []
        var components: [ComponentInfo] = []
    }

    let shared = LockedBox(Shared())
    let wake = WakeSignal()
    let finished = Latch()
    let predictionReady = Latch()
    let clock = MonotonicTime()
    let configuration: TrackerConfiguration
    let log: TrackerLog
    let timeoutSeconds: Double

    init(configuration: TrackerConfiguration, log: TrackerLog, timeoutSeconds: Double) {
        self.configuration = configuration
        self.log = log
        self.timeoutSeconds = timeoutSeconds
    }

    /// Starts the sampling thread over `components`.
    func start(components: [any PowerComponent], intensity: any CarbonIntensitySource) {
        log.setWriterWake { [wake] in wake.signal() }
        BackgroundThread.start(name: "CarbonTrackerThread") { [self] in
            var loop = SamplingLoop(monitor: self, components: components, intensity: intensity)
            loop.run()
        }
    }

    /// Ends monitoring before it started (no usable components) with `failure`.
    func failBeforeStart(_ failure: CarbonTrackerError?) {
        shared.withLock {
            $0.ended = true
            $0.undeliveredFailure = failure
        }
        predictionReady.open()
        finished.open()
    }

    // MARK: Training-thread side

    func epochStart() throws {
        try shared.withLock { state in
            if let failure = state.undeliveredFailure {
                state.undeliveredFailure = nil
                throw failure
            }
            if state.ended { return }
            if state.inEpoch {
                throw CarbonTrackerError.invalidState(
                    "epochStart() was called twice without epochEnd() in between (epoch \(state.epochCounter))."
                )
            }
            state.epochCounter += 1
            state.inEpoch = true
            state.requests.append(.epochStart(epoch: state.epochCounter, time: clock.now()))
        }
        wake.signal()
    }

    /// Returns whether the caller should ask "Continue training (y/n)?".
    func epochEnd() throws -> (epoch: Int, isLast: Bool, ask: Bool) {
        let result = try shared.withLock { state -> (Int, Bool, Bool)? in
            if let failure = state.undeliveredFailure {
                state.undeliveredFailure = nil
                throw failure
            }
            if state.ended { return nil }
            guard state.inEpoch else {
                throw CarbonTrackerError.invalidState(
                    "epochEnd() was called without a matching epochStart() (after epoch \(state.epochCounter))."
                )
            }
            state.inEpoch = false
            let epoch = state.epochCounter
            state.requests.append(.epochEnd(epoch: epoch, time: clock.now()))
            let isLast = epoch == configuration.monitorEpochs
            if isLast { state.ended = true }
            let ask = configuration.stopAndConfirm && epoch == configuration.predictionEpoch && !isLast
            return (epoch, isLast, ask)
        }
        guard let (epoch, isLast, ask) = result else { return (0, false, false) }
        wake.signal()
        if isLast { try waitUntilFinished() }
        return (epoch, isLast, ask)
    }

    func stop() throws {
        let accepted = try shared.withLock { state -> Bool in
            if let failure = state.undeliveredFailure {
                state.undeliveredFailure = nil
                throw failure
            }
            return requestStop(&state)
        }
        guard accepted else { return }
        wake.signal()
        try waitUntilFinished()
    }

    /// Asks the sampling thread to report and finish, without waiting: for a tracker released
    /// before it was stopped, so its thread does not outlive it.
    func stopInBackground() {
        if shared.withLock({ requestStop(&$0) }) { wake.signal() }
    }

    private func requestStop(_ state: inout Shared) -> Bool {
        if state.ended { return false }
        state.ended = true
        state.requests.append(.stop(time: clock.now(), interruptedEpoch: state.inEpoch))
        state.inEpoch = false
        return true
    }

    private func waitUntilFinished() throws {
        if !finished.wait(seconds: timeoutSeconds) {
            log.warning(
                "The monitoring thread did not finish within \(timeoutSeconds) s; the final report may be missing. "
                    + "A power source is probably stuck; training continues.")
            log.flush()
            return
        }
        if let failure = shared.withLock({ state -> CarbonTrackerError? in
            defer { state.undeliveredFailure = nil }
            return state.undeliveredFailure
        }) {
            throw failure
        }
    }
}

/// A power source in use by a tracker, as reported by ``CarbonTracker/components``.
public struct ComponentInfo: Sendable, Equatable {
    /// CPU or GPU.
    public var kind: ComponentKind
    /// The source's name ("RAPL", "NVML", "simulated", ...).
    public var handlerName: String
    /// The measured devices.
    public var devices: [String]
    /// How the figures are obtained.
    public var method: MeasurementMethod
}
