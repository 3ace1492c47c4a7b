import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// One long-lived `powermetrics` child shared by the Apple CPU and GPU components.
///
/// ```swift
/// let session = PowermetricsSession(launch: PowermetricsLaunch(environment: ProcessInfo.processInfo.environment))
/// try session.acquire(diagnostics: log)       // starts the child, waits for its first sample
/// session.read([.cpu])                       // energy so far
/// session.release()                          // stops the child when the last user leaves
/// ```
///
/// A reader thread parses samples as they stream in and integrates each rail's power over the
/// sample's own elapsed time, so energy is exact per sample. A sample arrives only after its
/// window, so a read between samples extrapolates at the last power (for at most two intervals):
/// exact when the power changes at or after an epoch boundary, the common case. Figures never
/// decrease: a guess that ran ahead of a lower next sample is held until the energy catches up, so
/// the error never exceeds two intervals at the highest power, however long the run. Stopping is
/// bounded: SIGTERM to the child's process group, then SIGKILL, a second each.
package final class PowermetricsSession: Sendable {
    /// A rail's energy: exact up to its latest sample, extrapolated beyond it.
    private struct Rail {
        var joules = 0.0
        var watts: Double?
        var time: Double?
        /// The largest value handed out; later values never go below it.
        var reported = 0.0
    }

    /// One started child and what it has said.
    private final class Run: Sendable {
        let child: ChildProcess
        let firstSample = Latch()
        let exited = Latch()
        init(child: ChildProcess) { self.child = child }
    }

    private struct State {
        var users = 0
        var run: Run?
        var rails = Array(repeating: Rail(), count: PowermetricsParser.Rail.allCases.count)
        var sampleTime: Double?
        var sampleElapsed: Double?
        var railsInSample: Set<Int> = []
        var ending: String?
        var errorTail: [UInt8] = []
        var reportedMalformed = false
        var availabilityChecked = false
        var unavailability: String?
        var refused = false
        var diagnostics: any DiagnosticsReporter = SilentDiagnostics()
    }

    package let launch: PowermetricsLaunch
    /// How many sample lengths a read may extrapolate past the latest sample: enough for a late
    /// sample, little enough that a stalled powermetrics is not guessed at for long.
    static let extrapolationIntervals = 2.0
    private let clock = MonotonicTime()
    private let state = LockedBox(State())

    init(launch: PowermetricsLaunch) { self.launch = launch }

    private var intervalSeconds: Double { Double(launch.intervalMilliseconds) / 1000 }

    // MARK: Availability

    /// Why powermetrics cannot run here, or `nil`; computed once (it may run `sudo -n -l`).
    func unavailabilityReason() -> String? {
        state.withLock { state in
            if !state.availabilityChecked {
                (state.unavailability, state.refused) = launch.availability()
                state.availabilityChecked = true
            }
            return state.unavailability
        }
    }

    /// Whether powermetrics is installed but `sudo -n` may not run it.
    var isRefused: Bool {
        _ = unavailabilityReason()
        return state.withLock { $0.refused }
    }

    // MARK: Lifecycle

    /// Starts the child for the first user and waits for its first sample.
    /// - Throws: ``CarbonTrackerError`` with code `.componentUnavailable` when it cannot be started,
    ///   exits, or prints no sample in time.
    func acquire(diagnostics: any DiagnosticsReporter) throws {
        let run = try state.withLock { state -> Run in
            if let run = state.run {
                state.users += 1
                state.diagnostics = diagnostics
                return run
            }
            // A fresh child starts from zero; only the availability check is worth keeping.
            let run = try startRun()
            state = State(
                users: 1, run: run, availabilityChecked: state.availabilityChecked,
                unavailability: state.unavailability, refused: state.refused, diagnostics: diagnostics)
            return run
        }
        let patience = max(5, 10 * intervalSeconds)
        run.firstSample.wait(seconds: patience)
        let failure = state.withLock { state -> String? in
            if state.rails.contains(where: { $0.time != nil }) { return nil }
            return state.ending.map { describeEnding($0, state) }
                ?? "powermetrics printed no power sample within \(LogNumber.python(patience)) s."
        }
        if let failure {
            release()
            throw CarbonTrackerError(.componentUnavailable, failure)
        }
    }

    /// Stops the child when the last user leaves.
    func release() {
        let run = state.withLock { state -> Run? in
            state.users = max(0, state.users - 1)
            guard state.users == 0, let run = state.run else { return nil }
            state.run = nil
            return run
        }
        guard let run else { return }
        run.child.send(SIGTERM)
        if !run.exited.wait(seconds: 1) {
            run.child.send(SIGKILL)
            run.exited.wait(seconds: 1)
        }
    }

    /// Each rail's energy so far, in joules, and why the stream ended if it did.
    func read(_ rails: [PowermetricsParser.Rail]) -> (joules: [Double], ending: String?) {
        let now = clock.now()
        return state.withLock { state in
            let ended = state.ending != nil
            let joules = rails.map { rail -> Double in
                var value = state.rails[rail.rawValue]
                var estimate = value.joules
                // Once the child has ended no sample is pending, so nothing is extrapolated.
                if !ended, let watts = value.watts, let time = value.time {
                    estimate += watts * min(max(0, now - time), Self.extrapolationIntervals * intervalSeconds)
                }
                value.reported = max(value.reported, estimate)
                state.rails[rail.rawValue] = value
                return value.reported
            }
            return (joules, state.ending.map { describeEnding($0, state) })
        }
    }

    // MARK: The child

    private func startRun() throws -> Run {
        let (executable, arguments) =
            launch.viaSudo
            ? (launch.sudo, ["-n", launch.executable] + launch.arguments)
            : (launch.executable, launch.arguments)
        let child = try ChildProcess(
            executable: executable, arguments: arguments, environment: launch.environment)
        let run = Run(child: child)
        BackgroundThread.start(name: "PowermetricsReaderThread") { [self] in self.pump(run) }
        return run
    }

    private func pump(_ run: Run) {
        var parser = PowermetricsParser()
        run.child.pump(
            output: { bytes in apply(parser.feed(bytes), run) },
            error: { bytes in
                state.withLock { state in
                    guard state.run === run else { return }
                    state.errorTail.append(contentsOf: bytes)
                    if state.errorTail.count > 2048 {
                        state.errorTail.removeFirst(state.errorTail.count - 2048)
                    }
                }
            })
        let ending = run.child.reap().description
        state.withLock { state in
            if state.run === run { state.ending = ending }
        }
        run.exited.open()
        run.firstSample.open()
    }

    private func apply(_ events: [PowermetricsParser.Event], _ run: Run) {
        guard !events.isEmpty else { return }
        let now = clock.now()
        var sampled = false
        state.withLock { state in
            guard state.run === run else { return }
            for event in events {
                switch event {
                case .sample(let elapsed):
                    state.sampleElapsed = elapsed ?? state.sampleTime.map { now - $0 } ?? intervalSeconds
                    state.sampleTime = now
                    state.railsInSample = []
                case .power(let rail, let watts):
                    // powermetrics repeats GPU Power in its GPU section; a sample counts each rail once.
                    guard let time = state.sampleTime, let elapsed = state.sampleElapsed,
                        state.railsInSample.insert(rail.rawValue).inserted
                    else { continue }
                    state.rails[rail.rawValue].joules += watts * elapsed
                    state.rails[rail.rawValue].watts = watts
                    state.rails[rail.rawValue].time = time
                    sampled = true
                case .malformed(let line):
                    if !state.reportedMalformed {
                        state.reportedMalformed = true
                        state.diagnostics.warning(
                            "powermetrics printed a power line that could not be read and was skipped: \"\(line)\"."
                        )
                    }
                }
            }
        }
        if sampled { run.firstSample.open() }
    }

    private func describeEnding(_ ending: String, _ state: State) -> String {
        let said = String(decoding: state.errorTail, as: UTF8.self).trimmingCharacters(
            in: .whitespacesAndNewlines)
        var message = "powermetrics stopped (\(ending))" + (said.isEmpty ? "." : ": \(said)")
        if launch.viaSudo && (said.contains("password") || said.hasPrefix("sudo:")) {
            message += " " + launch.sudoersMessage("")
        }
        return message
    }
}
