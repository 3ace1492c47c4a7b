/// Which part of the machine a power source measures, named as in Python carbontracker.
public enum ComponentKind: String, Sendable, CaseIterable, Comparable {
    /// Graphics processors (NVML, Apple GPU).
    case gpu
    /// Processors and their memory (RAPL, Apple CPU, TDP estimate).
    case cpu

    /// GPU sorts before CPU, the order Python carbontracker logs them in.
    public static func < (lhs: Self, rhs: Self) -> Bool {
        allCases.firstIndex(of: lhs)! < allCases.firstIndex(of: rhs)!
    }
}

/// How a component's energy figures were obtained, from most to least trustworthy.
public enum MeasurementMethod: String, Sendable, Comparable, CaseIterable {
    /// Differences of a hardware energy counter (RAPL `energy_uj`, NVML total energy).
    case counter
    /// The time integral (trapezoid rule) of sampled instantaneous power.
    case sampled
    /// A model of the hardware (TDP × utilisation), not a measurement.
    case estimated
    /// Configured simulated hardware (`simCPU`/`simGPU`).
    case simulated
    /// A source that stopped answering mid-run (a RAPL counter that became unreadable or disappeared):
    /// its energy up to the failure is kept, what came after is missing.
    case incomplete

    public static func < (lhs: Self, rhs: Self) -> Bool {
        allCases.firstIndex(of: lhs)! < allCases.firstIndex(of: rhs)!
    }
}

/// One device's value in a ``PowerComponent/read()``.
public enum DeviceReading: Sendable, Equatable {
    /// Energy used since an arbitrary origin that stays fixed for the component's lifetime,
    /// in joules. Must not decrease: a component that reads a wrapping counter adds the range.
    case cumulativeJoules(Double)
    /// Instantaneous power in watts; the tracker integrates successive values (trapezoid rule).
    case watts(Double)
    /// No value this time (for example a query failed once); the tracker keeps the last rate.
    case unavailable
}

/// A source of power or energy readings for one kind of component (RAPL, NVML, powermetrics, ...).
///
/// ```swift
/// final class MyMeter: PowerComponent {
///     let kind = ComponentKind.cpu
///     let handlerName = "my meter"
///     func devices() -> [String] { ["cpu:0"] }
///     func isAvailable() -> Bool { true }
///     func start(diagnostics: any DiagnosticsReporter) throws {}
///     func measurementMethod() -> MeasurementMethod { .sampled }
///     func read() throws -> [DeviceReading] { [.watts(42)] }
///     func shutdown() {}
/// }
/// ```
///
/// The tracker calls ``read()`` only from its sampling thread, once per update interval and at
/// every epoch boundary, so a read must be cheap (a few small file reads or library calls) and must
/// never sleep. The other methods are called once, from the thread that builds or stops the tracker.
public protocol PowerComponent: AnyObject, Sendable {
    /// The component this source measures.
    var kind: ComponentKind { get }
    /// A short name of the source for logs ("RAPL", "NVML", "powermetrics", "TDP estimate", "simulated").
    var handlerName: String { get }
    /// Names of the measured devices, in the order ``read()`` returns them.
    /// - Returns: One name per device, e.g. `["cpu:0", "dram:0"]` or `["NVIDIA H100 80GB HBM3"]`.
    func devices() -> [String]
    /// Whether the source can measure on this machine (files exist, library loads, ...).
    /// - Returns: `true` when ``start(diagnostics:)`` is expected to succeed.
    func isAvailable() -> Bool
    /// Prepares for reading (opens files, initialises a library, starts a child process).
    /// - Parameter diagnostics: Where to report degradations and failures.
    /// - Throws: ``CarbonTrackerError`` when the source cannot be used after all.
    func start(diagnostics: any DiagnosticsReporter) throws
    /// How the figures are obtained right now (a source may degrade from `.counter` to `.sampled`).
    /// - Returns: The method in force.
    func measurementMethod() -> MeasurementMethod
    /// Reads every device once, without sleeping.
    /// - Returns: One value per device, in ``devices()`` order.
    /// - Throws: ``CarbonTrackerError``; code `.permissionDenied` or `.componentUnavailable` drops
    ///   this component with its message logged, any other code is a monitoring failure.
    func read() throws -> [DeviceReading]
    /// Reads every device once into `readings` (emptied first), which the caller reuses between
    /// samples so a sample allocates nothing. The default calls ``read()``.
    /// - Parameter readings: Receives one value per device, in ``devices()`` order.
    /// - Throws: As ``read()``.
    func read(into readings: inout [DeviceReading]) throws
    /// The longest time between reads that keeps the figures correct (a counter that would wrap twice),
    /// or `nil` when any interval works.
    var maximumReadInterval: Double? { get }
    /// Why ``isAvailable()`` is false, in a sentence that says what to do; `nil` when available.
    /// - Returns: The reason, e.g. "libnvidia-ml.so.1 could not be loaded: ...".
    func unavailabilityReason() -> String?
    /// Releases what ``start(diagnostics:)`` acquired. Called once; must not throw or block for long.
    func shutdown()
    /// A sentence for the standard and output logs when the figures are not measured (a TDP
    /// estimate), saying how they are obtained; `nil` for measuring sources.
    /// - Returns: The sentence, e.g. "CPU power is estimated, not measured: ...".
    func provenanceNote() -> String?
    /// Words appended to the method tag of each epoch's energy line when the figures are a share of a
    /// shared device (`scope: job 4242, 8 of 64 CPUs, 11% of busy CPU time`); `nil` when they are whole.
    /// Read once per finished window, on the sampling thread.
    /// - Returns: The words, or `nil`.
    func attributionNote() -> String?
    /// What is known about the error of the figures (counter step and update period, an estimate's
    /// band, an attribution's spread), for their low and high bounds. Read at each window's ends, on
    /// the sampling thread.
    /// - Returns: The model in force; it follows ``measurementMethod()`` when a source degrades.
    func errorModel() -> PowerErrorModel
}

extension PowerComponent {
    /// Calls ``read()``.
    /// - Parameter readings: Receives one value per device.
    /// - Throws: As ``read()``.
    public func read(into readings: inout [DeviceReading]) throws {
        readings = try read()
    }

    /// No limit by default.
    public var maximumReadInterval: Double? { nil }
    /// No reason given by default.
    public func unavailabilityReason() -> String? { nil }
    /// No note by default.
    public func provenanceNote() -> String? { nil }
    /// Whole devices by default.
    public func attributionNote() -> String? { nil }
    /// The model ``measurementMethod()`` implies (``PowerErrorModel/default(for:)``).
    /// - Returns: The model.
    public func errorModel() -> PowerErrorModel { .default(for: measurementMethod()) }
}
