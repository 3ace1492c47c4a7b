import Foundation

/// The CPU's power estimated as half its thermal design power: the fallback when no sensor can be read.
///
/// ```swift
/// let cpu = TDPEstimateComponent(environment: [:])
/// try cpu.read()   // [.watts(60.0)] for a 120 W part
/// ```
///
/// This is Python carbontracker's generic CPU handler: the model is read from `/proc/cpuinfo`
/// (Linux; `CARBONTRACKER_CPUINFO` points elsewhere) or `sysctl machdep.cpu.brand_string` (macOS),
/// its TDP looked up in the embedded table, and 50% utilisation assumed. It is a model, not a
/// measurement: its method is `.estimated`, and the logs and reports say so. Reading costs nothing.
public final class TDPEstimateComponent: PowerComponent {
    /// Always `.cpu`.
    public let kind = ComponentKind.cpu
    /// "TDP estimate".
    public let handlerName = "TDP estimate"

    /// The share of the TDP assumed to be drawn, as Python carbontracker assumes.
    public static let assumedUtilization = 0.5

    /// The detected model name (Python's "Unknown CPU" when none could be read).
    public let modelName: String
    /// The estimated power in watts.
    public let watts: Double
    private let match: CPUModel.Match
    private let detected: Bool
    private let readFailure: BoundedFile.Failure?
    private let skipped: [any PowerComponent]

    /// Creates the estimate from environment variables, as the tracker does.
    /// - Parameter environment: Reads `CARBONTRACKER_CPUINFO` (default `/proc/cpuinfo` on Linux; macOS
    ///   asks `sysctl`).
    public convenience init(environment: [String: String] = ProcessInfo.processInfo.environment) {
        self.init(cpuinfoPath: environment["CARBONTRACKER_CPUINFO"] ?? PlatformPaths.cpuinfo, fallbackFor: [])
    }

    /// - Parameter fallbackFor: Better sources tried first; their reasons are logged at start.
    init(cpuinfoPath: String?, fallbackFor skipped: [any PowerComponent]) {
        let (detectedName, failure) = CPUModel.detectReportingFailure(cpuinfoPath: cpuinfoPath)
        self.readFailure = failure
        self.detected = detectedName != nil
        self.modelName = detectedName ?? CPUModel.unknown
        self.match = CPUModel.thermalDesignPower(for: modelName)
        self.watts = match.watts * Self.assumedUtilization
        self.skipped = skipped
    }

    /// The model name, as Python carbontracker lists it.
    public func devices() -> [String] { [modelName] }
    /// Always available.
    public func isAvailable() -> Bool { true }
    /// Always `.estimated`.
    public func measurementMethod() -> MeasurementMethod { .estimated }
    /// The constant estimate.
    /// - Throws: Never; the signature is the protocol's.
    public func read() throws -> [DeviceReading] { [.watts(watts)] }
    /// Nothing to release.
    public func shutdown() {}

    /// Logs why each better source was not used and which TDP the estimate rests on.
    /// - Parameter diagnostics: Receives the reasons (warnings when the user can fix them).
    /// - Throws: Never; the signature is the protocol's.
    public func start(diagnostics: any DiagnosticsReporter) throws {
        SkippedCPUSources.report(skipped, to: diagnostics)
        if let readFailure, readFailure.code != ENOENT {
            diagnostics.warning(
                "\(readFailure.path) (CARBONTRACKER_CPUINFO) was not read: \(readFailure.reason). Point "
                    + "CARBONTRACKER_CPUINFO at a regular file such as /proc/cpuinfo.")
        }
        if !detected { diagnostics.warning("Failed to detect CPU. Falling back to generic CPU handler.") }
        if case .average(let tdp, _) = match {
            diagnostics.warning(
                "No matching TDP found for CPU: \(modelName). Using average TDP of "
                    + "\(String(format: "%.2f", tdp * Self.assumedUtilization))W at 50% utilization as fallback."
            )
        }
    }

    /// Says, for the standard and output logs, that CPU figures are estimated and from which TDP.
    public func provenanceNote() -> String? {
        let source: String
        switch match {
        case .matched(let name, let tdp):
            source =
                "the \(LogNumber.python(tdp)) W TDP of \(name)"
                + (name == modelName ? "" : " (matched to \(modelName))")
        case .average(let tdp, let models):
            source =
                "the average TDP of \(models) CPU models, \(String(format: "%.2f", tdp)) W, as \(modelName) is not in the table"
        }
        return
            "CPU power is estimated, not measured: no CPU energy sensor could be read, so CPU power is taken "
            + "as \(Int(Self.assumedUtilization * 100))% of \(source), i.e. \(LogNumber.python(watts)) W."
    }
}

/// A source that can tell a fixable refusal (unreadable counters, `sudo` refused) from absent hardware.
protocol ActionableUnavailability {
    /// Whether the user can fix the unavailability, so that it deserves a warning rather than a debug line.
    var unavailabilityIsActionable: Bool { get }
}
