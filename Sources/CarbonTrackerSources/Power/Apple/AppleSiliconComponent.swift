import Foundation

/// Apple silicon's CPU, or its GPU and Neural Engine, through one streaming `powermetrics` child.
///
/// ```swift
/// let session = PowermetricsSession(launch: PowermetricsLaunch(environment: ProcessInfo.processInfo.environment))
/// let gpu = AppleSiliconComponent(kind: .gpu, session: session)   // devices ["GPU", "ANE"]
/// ```
///
/// powermetrics reports each rail's average power over a sample; the session integrates it over
/// the sample's elapsed time, so the figures are `.sampled`. The CPU and GPU components share
/// one child. It needs root: when not root it runs through `sudo -n`, which never prompts; if sudo
/// refuses, the component is unavailable and the message gives the sudoers line.
/// `CARBONTRACKER_POWERMETRICS` replaces the program (run without sudo, on any OS). A read costs
/// one lock.
public final class AppleSiliconComponent: PowerComponent, ActionableUnavailability {
    /// `.cpu` (device "CPU") or `.gpu` (devices "GPU" and "ANE", as Python carbontracker lists them).
    public let kind: ComponentKind
    /// "powermetrics".
    public let handlerName = "powermetrics"

    package let session: PowermetricsSession
    private let rails: [PowermetricsParser.Rail]
    /// Whether this component holds the session, and whether it has handed out the last figures.
    private let progress = LockedBox((started: false, deliveredFinal: false))

    /// Creates a component with its own powermetrics child, configured from environment variables.
    /// - Parameters:
    ///   - kind: `.cpu`, or `.gpu` for the GPU and Neural Engine.
    ///   - environment: Reads `CARBONTRACKER_POWERMETRICS` and `CARBONTRACKER_POWERMETRICS_INTERVAL_MS`.
    public convenience init(
        kind: ComponentKind, environment: [String: String] = ProcessInfo.processInfo.environment
    ) {
        self.init(
            kind: kind, session: PowermetricsSession(launch: PowermetricsLaunch(environment: environment)))
    }

    /// Sources preferred to powermetrics (IOReport); why they were not used is logged at start.
    private let preferred: [any PowerComponent]

    init(kind: ComponentKind, session: PowermetricsSession, preferred: [any PowerComponent] = []) {
        self.kind = kind
        self.session = session
        self.preferred = preferred
        self.rails = kind == .cpu ? [.cpu] : [.gpu, .ane]
    }

    /// `["CPU"]` or `["GPU", "ANE"]`.
    public func devices() -> [String] { kind == .cpu ? ["CPU"] : ["GPU", "ANE"] }

    /// Whether powermetrics can run: macOS (Apple silicon for the GPU) or an override, and root or
    /// a sudo rule. May run `sudo -n -l` once.
    public func isAvailable() -> Bool { unavailabilityReason() == nil }

    /// Why powermetrics cannot be used, or `nil`.
    public func unavailabilityReason() -> String? {
        #if os(macOS) && !arch(arm64)
            if kind == .gpu && !session.launch.overridden {
                return "powermetrics reports no GPU power on Intel Macs."
            }
        #endif
        return session.unavailabilityReason()
    }

    /// Whether sudo refused, which the user can fix with a sudoers rule.
    package var unavailabilityIsActionable: Bool { session.isRefused }

    /// Always `.sampled`.
    public func measurementMethod() -> MeasurementMethod { .sampled }

    /// Starts (or joins) the powermetrics child and waits for its first sample.
    /// - Parameter diagnostics: Receives warnings about unreadable output.
    /// - Throws: ``CarbonTrackerError`` with code `.componentUnavailable` when powermetrics fails.
    public func start(diagnostics: any DiagnosticsReporter) throws {
        for source in preferred {
            guard let reason = source.unavailabilityReason() else { continue }
            diagnostics.warning("\(source.handlerName) could not be used, so powermetrics is: \(reason)")
        }
        try session.acquire(diagnostics: diagnostics)
        progress.withLock { $0.started = true }
    }

    /// Energy used so far per device, in joules.
    /// - Throws: ``CarbonTrackerError`` with code `.componentUnavailable` once powermetrics has
    ///   stopped and its last figures were handed out.
    public func read() throws -> [DeviceReading] {
        let (joules, ending) = session.read(rails)
        if let ending {
            let first = progress.withLock { progress -> Bool in
                defer { progress.deliveredFinal = true }
                return !progress.deliveredFinal
            }
            if !first { throw CarbonTrackerError(.componentUnavailable, ending) }
        }
        return joules.map { .cumulativeJoules($0) }
    }

    /// Leaves the session; the child stops when both components have left.
    public func shutdown() {
        let started = progress.withLock { progress -> Bool in
            defer { progress.started = false }
            return progress.started
        }
        if started { session.release() }
    }
}
