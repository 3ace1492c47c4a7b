import Foundation

/// Apple silicon's CPU and memory, or GPU and Neural Engine, from IOReport's "Energy Model" energy
/// counters: no root, no `sudo`, no child process.
///
/// ```swift
/// let cpu = AppleEnergyComponent(kind: .cpu, environment: ProcessInfo.processInfo.environment)
/// if cpu.isAvailable() { try cpu.start(diagnostics: SilentDiagnostics()); try cpu.read() }
/// ```
///
/// IOReport is the private library powermetrics reads; it is loaded with `dlopen` at run time, so the
/// package builds and runs where it is missing. Each channel (CPU, DRAM, GPU, ANE; one CPU channel per
/// die on Ultra chips) is its own device, its counter converted from its own unit, and energy is the
/// difference of counters (`.counter`). Before the component is used, a self-check takes two samples
/// 0.2 s apart and requires the channels to be present, to advance and to stay plausible; when it fails,
/// the reason is logged and powermetrics, then the TDP estimate, are tried instead.
/// `CARBONTRACKER_IOREPORT_LIBRARY` loads another library that provides the IOReport and CoreFoundation
/// calls (the tests' stand-in, on any system). A read is one IOReport sample (microseconds).
public final class AppleEnergyComponent: PowerComponent, ActionableUnavailability {
    /// `.cpu` (CPU and DRAM channels) or `.gpu` (GPU and ANE channels).
    public let kind: ComponentKind
    /// "IOReport".
    public let handlerName = "IOReport"

    /// The sentence shown in the logs and by `--diagnose` until this path has been seen working on a Mac.
    package static let untestedNote =
        "IOReport energy counters: this path is compiled and unit-tested, but has not yet run on a Mac; "
        + "please report the output of `carbontracker --diagnose` to the CarbonTracker issue tracker."

    private struct State {
        var session: IOReportSession?
        /// Whether the library loaded and subscribed (then a failed self-check deserves a warning).
        var subscribed = false
        var check: Result<AppleEnergyChannels, CarbonTrackerError>?
        var baseline: [IOReportValue] = []
        var counters: AppleEnergyCounters?
        var reportedRestarts = 0
        var diagnostics: any DiagnosticsReporter = SilentDiagnostics()
    }

    private let libraryPath: String?
    private let selfCheckSeconds: Double
    private let state = LockedBox(State())

    /// Creates the component from environment variables, as the tracker does.
    /// - Parameters:
    ///   - kind: `.cpu` or `.gpu`.
    ///   - environment: Reads `CARBONTRACKER_IOREPORT_LIBRARY` (default: the system's libIOReport, macOS only).
    public convenience init(
        kind: ComponentKind, environment: [String: String] = ProcessInfo.processInfo.environment
    ) {
        self.init(
            kind: kind,
            libraryPath: environment["CARBONTRACKER_IOREPORT_LIBRARY"].flatMap { $0.isEmpty ? nil : $0 },
            selfCheckSeconds: 0.2)
    }

    init(kind: ComponentKind, libraryPath: String?, selfCheckSeconds: Double) {
        self.kind = kind
        self.libraryPath = libraryPath
        self.selfCheckSeconds = selfCheckSeconds
    }

    /// One name per channel, e.g. `["CPU", "DRAM"]` or `["GPU", "ANE"]`; empty when unavailable.
    public func devices() -> [String] {
        state.withLock { state in (try? checked(&state).get())?.devices ?? [] }
    }

    /// Whether the counters passed the self-check (run once, about 0.2 s).
    public func isAvailable() -> Bool { unavailabilityReason() == nil }

    /// Why IOReport cannot be used: not loadable, no channel, or a failed self-check; `nil` when it can.
    public func unavailabilityReason() -> String? {
        state.withLock { state in
            guard case .failure(let error) = checked(&state) else { return nil }
            return error.message
        }
    }

    /// Whether IOReport loaded but its counters failed the self-check, which is worth a warning (and a
    /// report of `--diagnose` output); a system without IOReport is expected.
    package var unavailabilityIsActionable: Bool {
        state.withLock { state in
            guard case .failure = checked(&state) else { return false }
            return state.subscribed
        }
    }

    /// Always `.counter`.
    public func measurementMethod() -> MeasurementMethod { .counter }

    /// Starts counting from the self-check's last sample.
    /// - Parameter diagnostics: Receives the channels read and counter restarts.
    /// - Throws: ``CarbonTrackerError`` with code `.componentUnavailable` when the self-check failed.
    public func start(diagnostics: any DiagnosticsReporter) throws {
        let channels = try state.withLock { state -> AppleEnergyChannels in
            let channels = try checked(&state).get()
            state.counters = AppleEnergyCounters(channels: channels, baseline: state.baseline)
            state.diagnostics = diagnostics
            return channels
        }
        diagnostics.info(
            "IOReport Energy Model channels read for the \(kind == .cpu ? "CPU" : "GPU"): "
                + channels.channels.map { "\($0.name) as \($0.device)" }.joined(separator: ", ") + ".")
        diagnostics.info(Self.untestedNote)
    }

    /// Joules per channel since ``start(diagnostics:)``.
    /// - Throws: ``CarbonTrackerError`` with code `.componentUnavailable` when IOReport stops answering.
    public func read() throws -> [DeviceReading] {
        let (readings, restarted, diagnostics) = try state.withLock {
            state -> ([DeviceReading], [String], any DiagnosticsReporter) in
            guard let session = state.session, var counters = state.counters else {
                throw CarbonTrackerError(.componentUnavailable, "IOReport was read before it was started.")
            }
            let readings = counters.add(try session.sample())
            let restarted = Array(counters.restarts.dropFirst(state.reportedRestarts))
            state.reportedRestarts = counters.restarts.count
            state.counters = counters
            return (readings, restarted, state.diagnostics)
        }
        for name in restarted {
            diagnostics.debug(
                "IOReport's \(name) counter went down (restarted); counting from its new value.")
        }
        return readings
    }

    /// Ends the subscription.
    public func shutdown() {
        state.withLock { state in
            state.session = nil
            state.counters = nil
        }
    }

    /// The self-check's result, run on first use.
    private func checked(_ state: inout State) -> Result<AppleEnergyChannels, CarbonTrackerError> {
        if let check = state.check { return check }
        let result = Result { () throws(CarbonTrackerError) -> AppleEnergyChannels in
            do {
                let session = try IOReportSession(libraryPath: libraryPath)
                state.subscribed = true
                let first = try session.sample()
                let channels = try AppleEnergyChannels(kind: kind, sample: first)
                let clock = MonotonicTime()
                if selfCheckSeconds > 0 { usleep(useconds_t(selfCheckSeconds * 1e6)) }
                let second = try session.sample()
                if let problem = channels.selfCheck(
                    first: first, second: second, seconds: clock.now())
                {
                    throw CarbonTrackerError(.componentUnavailable, problem)
                }
                state.session = session
                state.baseline = second
                return channels
            } catch let error as CarbonTrackerError {
                throw error
            } catch {
                throw CarbonTrackerError(.componentUnavailable, "\(error)")
            }
        }
        state.check = result
        return result
    }
}
