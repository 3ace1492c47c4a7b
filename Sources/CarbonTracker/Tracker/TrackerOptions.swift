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
    /// How long the sampling thread may make no progress (a power source that does not answer)
    /// before a call waiting for it gives up, in seconds. ``CarbonTracker/stop()`` and the last
    /// ``CarbonTracker/epochEnd()`` wait as long as the thread works through what was queued, however
    /// long that takes; if it is stuck in a source for this long, they name the source and write the
    /// final report from what was measured.
    public var shutdownTimeoutSeconds: Double
    /// Where the machine is, for carbon intensity; `nil` reads `CARBONTRACKER_COUNTRY`, else looks the
    /// location up by IP address in the background (never with `CARBONTRACKER_OFFLINE=1`).
    public var location: IntensityLocation?
    /// Called at both ends of every window and epoch, before the boundary is stamped, so work a GPU
    /// framework runs asynchronously (MLX `eval`, a CUDA stream synchronisation) is inside the window.
    public var synchronize: (@Sendable () -> Void)?
    /// The power-usage-effectiveness factor applied to reported energy and CO2eq (at least 1);
    /// `nil` reads `CARBONTRACKER_PUE`, else 1.58 as Python carbontracker.
    public var pue: Double?
    /// A Prometheus textfile (`*.prom`) kept up to date for node_exporter's textfile collector;
    /// `nil` reads `CARBONTRACKER_PROMETHEUS_TEXTFILE`.
    public var prometheusTextfile: String?
    /// A Prometheus Pushgateway's address (`http://host:9091`) to push to; `nil` reads
    /// `CARBONTRACKER_PROMETHEUS_PUSHGATEWAY`. Credentials come from `CARBONTRACKER_PROMETHEUS_AUTH`.
    public var prometheusPushgateway: String?
    /// A CodeCarbon-compatible `emissions.csv` to append one row per run to; `nil` for none.
    public var emissionsCSV: String?
    /// Who this process is in a distributed job (Slurm, torchrun, MPI); `.automatic` reads the
    /// launcher's environment, `.disabled` measures everything as a single process.
    public var distributed: DistributedSettings
    /// Whether a log directory also gets the JSONL event log (`..._carbontracker_events.jsonl`);
    /// `CARBONTRACKER_EVENT_LOG=0` turns it off too. The three Python-format logs are written either way.
    public var eventLog: Bool
    /// The work whose CPU energy is charged: `"auto"` (the process's Slurm job, container or cgroup),
    /// `"machine"`, or a cgroup path; `nil` reads `CARBONTRACKER_SCOPE`, else `auto`.
    public var scope: String? = nil
    /// The CPU estimate used when no sensor can be read: `"model"` (per vCPU, following the scope's CPU
    /// time) or `"python"` (half the TDP, as Python carbontracker); `nil` reads `CARBONTRACKER_CPU_ESTIMATE`.
    public var cpuEstimate: String? = nil

    /// Creates the default options: real hardware, stdout/stderr, stdin, the process environment.
    /// - Parameters:
    ///   - customComponents: Power sources to use instead of detected hardware.
    ///   - intensitySource: A carbon-intensity source to use instead of the default choice.
    ///   - console: Where printed text goes.
    ///   - readLine: Reads the answer to the stop-and-confirm question.
    ///   - environment: Environment variables for overrides.
    ///   - shutdownTimeoutSeconds: Longest wait for the final report.
    ///   - location: Where the machine is, for carbon intensity.
    ///   - synchronize: Drains asynchronous device work at window and epoch boundaries.
    ///   - pue: The power-usage-effectiveness factor; `nil` for `CARBONTRACKER_PUE` or 1.58.
    ///   - prometheusTextfile: A Prometheus textfile to keep up to date.
    ///   - prometheusPushgateway: A Pushgateway address to push to.
    ///   - emissionsCSV: A CodeCarbon-compatible CSV to append to.
    ///   - distributed: Overrides of the job, node and rank read from the launcher's environment.
    ///   - eventLog: Whether a log directory also gets the JSONL event log.
    public init(
        customComponents: [any PowerComponent]? = nil,
        intensitySource: (any CarbonIntensitySource)? = nil,
        console: ConsoleOutput = .process,
        readLine: @escaping @Sendable () -> String? = { Swift.readLine() },
        environment: [String: String] = ProcessInfo.processInfo.environment,
        shutdownTimeoutSeconds: Double = 10,
        location: IntensityLocation? = nil,
        synchronize: (@Sendable () -> Void)? = nil,
        pue: Double? = nil,
        prometheusTextfile: String? = nil,
        prometheusPushgateway: String? = nil,
        emissionsCSV: String? = nil,
        distributed: DistributedSettings = .automatic,
        eventLog: Bool = true
    ) {
        self.customComponents = customComponents
        self.intensitySource = intensitySource
        self.console = console
        self.readLine = readLine
        self.environment = environment
        self.shutdownTimeoutSeconds = shutdownTimeoutSeconds
        self.location = location
        self.synchronize = synchronize
        self.pue = pue
        self.prometheusTextfile = prometheusTextfile
        self.prometheusPushgateway = prometheusPushgateway
        self.emissionsCSV = emissionsCSV
        self.distributed = distributed
        self.eventLog = eventLog
    }

    /// Checks every number and switch of the options and of the `CARBONTRACKER_*` variables.
    /// - Throws: ``CarbonTrackerError`` with code `.invalidConfiguration` naming the first bad one.
    func validate() throws {
        try Plausible.number(
            shutdownTimeoutSeconds, in: Plausible.timeoutSeconds, name: "shutdownTimeoutSeconds", unit: "s")
        try Plausible.checkEnvironment(environment)
        _ = try powerUsageEffectiveness()
    }

    /// The PUE factor in force: ``pue``, else `CARBONTRACKER_PUE`, else 1.58.
    /// - Throws: ``CarbonTrackerError`` with code `.invalidConfiguration` for a value outside 1...10 or not a number.
    func powerUsageEffectiveness() throws -> Double {
        let text = environment["CARBONTRACKER_PUE"]
        guard let value = pue ?? text.map({ Double($0.trimmingCharacters(in: .whitespaces)) ?? .nan }) else {
            return CarbonTracker.defaultPowerUsageEffectiveness
        }
        guard value.isFinite, Plausible.powerUsageEffectiveness.contains(value) else {
            let given = pue.map { "pue \($0)" } ?? "CARBONTRACKER_PUE=\(text ?? "")"
            throw CarbonTrackerError.invalidConfiguration(
                "The PUE must be a number from 1.0 to 10 (1.58 is a typical data centre), got \(given).")
        }
        return value
    }
}
