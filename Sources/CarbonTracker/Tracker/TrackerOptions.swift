import Foundation

/// Swift-only settings of a ``CarbonTracker``, beyond the parameters Python carbontracker has.
///
/// ```swift
/// var options = TrackerOptions()
/// options.console = .silent
/// let tracker = try CarbonTracker(epochs: 3, simCPU: "Sim", simCPUTDP: 100, options: options)
/// ```
///
/// Every seam the tracker uses to reach the machine is here, so tests and unusual set-ups
/// can point it elsewhere; environment variables are read from ``environment``.
public struct TrackerOptions: Sendable {
    /// Power sources to use instead of detecting hardware (custom meters, tests).
    public var customComponents: [any PowerComponent]?
    /// Where carbon intensity comes from; `nil` picks one from the configuration and location.
    public var intensitySource: (any CarbonIntensitySource)?
    /// Where printed text goes.
    public var console: ConsoleOutput
    /// Reads one line of the answer to "Continue training (y/n)?"; `nil` means end of input.
    public var readLine: @Sendable () -> String?
    /// Environment variables consulted for overrides (`CARBONTRACKER_*`).
    public var environment: [String: String]
    /// How long ``CarbonTracker/stop()`` and the last ``CarbonTracker/epochEnd()`` wait for the
    /// sampling thread to write its final report before giving up, in seconds.
    public var shutdownTimeoutSeconds: Double
    /// Where the machine is, for carbon intensity; `nil` reads `CARBONTRACKER_COUNTRY`, else looks the
    /// location up by IP address in the background (never with `CARBONTRACKER_OFFLINE=1`).
    public var location: IntensityLocation?
    /// Who this process is in a distributed job (Slurm, torchrun, MPI); `.automatic` reads the
    /// launcher's environment, `.disabled` measures everything as a single process.
    public var distributed: DistributedSettings

    /// Creates the default options: real hardware, stdout/stderr, stdin, the process environment.
    /// - Parameters:
    ///   - customComponents: Power sources to use instead of detected hardware.
    ///   - intensitySource: A carbon-intensity source to use instead of the default choice.
    ///   - console: Where printed text goes.
    ///   - readLine: Reads the answer to the stop-and-confirm question.
    ///   - environment: Environment variables for overrides.
    ///   - shutdownTimeoutSeconds: Longest wait for the final report.
    ///   - location: Where the machine is, for carbon intensity.
    ///   - distributed: Overrides of the job, node and rank read from the launcher's environment.
    public init(
        customComponents: [any PowerComponent]? = nil,
        intensitySource: (any CarbonIntensitySource)? = nil,
        console: ConsoleOutput = .process,
        readLine: @escaping @Sendable () -> String? = { Swift.readLine() },
        environment: [String: String] = ProcessInfo.processInfo.environment,
        shutdownTimeoutSeconds: Double = 10,
        location: IntensityLocation? = nil,
        distributed: DistributedSettings = .automatic
    ) {
        self.customComponents = customComponents
        self.intensitySource = intensitySource
        self.console = console
        self.readLine = readLine
        self.environment = environment
        self.shutdownTimeoutSeconds = shutdownTimeoutSeconds
        self.location = location
        self.distributed = distributed
    }
}
