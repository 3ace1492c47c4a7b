/// What is known about the error of a power source's figures: the terms the monitor turns into the
/// low and high bounds of every energy figure.
///
/// ```swift
/// let rapl = PowerErrorModel.counter(resolutionJoules: 15.3e-6, updatePeriodSeconds: 0.001)
/// let tdp = PowerErrorModel.estimated(relativeError: 0.35, citation: "arXiv 2506.14551")
/// ```
///
/// Power samples (``DeviceReading/watts(_:)``) get a statistical term from their sample-to-sample
/// variation whatever the model says; the model adds what the readings cannot show: a counter's
/// resolution and update period at a window's ends, an estimate's error band, the spread of a shared
/// device's attribution. Reading the model costs nothing: sources return stored values.
public struct PowerErrorModel: Sendable, Equatable {
    /// The smallest step of an energy counter, in joules (0 for power samples and estimates): each end
    /// of a window can be off by one step.
    public var counterResolutionJoules: Double
    /// How often an energy counter is updated by the hardware, in seconds (0 for power samples and
    /// estimates): a read can miss up to this long of energy, at each end of a window.
    public var counterUpdatePeriodSeconds: Double
    /// The relative error band of a modelled (not measured) figure, as a fraction (0.35 for ±35%).
    public var estimateRelativeError: Double
    /// Where ``estimateRelativeError`` comes from, for the documentation and diagnostics.
    public var citation: String?
    /// The attributed energy's bounds as factors of its value, for a share of a shared device: the
    /// lower and higher of the share by CPU time and the share by CPUs held, over the charged share.
    public var attributionFactors: ClosedRange<Double> = 1...1

    /// Creates a model from its terms.
    /// - Parameters:
    ///   - counterResolutionJoules: An energy counter's step in joules.
    ///   - counterUpdatePeriodSeconds: An energy counter's update period in seconds.
    ///   - estimateRelativeError: A model's relative error band, as a fraction.
    ///   - citation: Where the band comes from.
    public init(
        counterResolutionJoules: Double = 0, counterUpdatePeriodSeconds: Double = 0,
        estimateRelativeError: Double = 0, citation: String? = nil
    ) {
        self.counterResolutionJoules = max(0, counterResolutionJoules)
        self.counterUpdatePeriodSeconds = max(0, counterUpdatePeriodSeconds)
        self.estimateRelativeError = min(1, max(0, estimateRelativeError))
        self.citation = citation
    }

    /// A hardware energy counter.
    /// - Parameters:
    ///   - resolutionJoules: The counter's step in joules.
    ///   - updatePeriodSeconds: How often the hardware updates it, in seconds.
    /// - Returns: The model.
    public static func counter(resolutionJoules: Double, updatePeriodSeconds: Double) -> PowerErrorModel {
        PowerErrorModel(
            counterResolutionJoules: resolutionJoules, counterUpdatePeriodSeconds: updatePeriodSeconds)
    }

    /// A model of the hardware with a relative error band.
    /// - Parameters:
    ///   - relativeError: The band as a fraction of the value (0.35 for ±35%).
    ///   - citation: Where the band comes from.
    /// - Returns: The model.
    public static func estimated(relativeError: Double, citation: String) -> PowerErrorModel {
        PowerErrorModel(estimateRelativeError: relativeError, citation: citation)
    }

    /// Power samples: the statistical term from the samples alone.
    public static let sampled = PowerErrorModel()
    /// Figures that are exact by definition (simulated hardware: the configured power is the truth).
    public static let exact = PowerErrorModel()

    /// An energy counter whose step and update period the source does not know: 1 mJ and 100 ms, the
    /// coarsest of the counters this package reads (NVML's total-energy counter).
    public static let unknownCounter = PowerErrorModel.counter(
        resolutionJoules: 0.001, updatePeriodSeconds: 0.1)

    /// RAPL (`energy_uj`): the energy status unit of 2⁻¹⁶ J (15.3 µJ) on Intel and AMD processors, updated
    /// about every millisecond (Intel SDM vol. 3B §15.10; Hähnel et al., "Measuring energy consumption
    /// for short code paths using RAPL", 2012).
    public static let rapl = PowerErrorModel.counter(
        resolutionJoules: 1.0 / 65_536, updatePeriodSeconds: 0.001)

    /// NVML's total-energy counter: millijoules, fed by the driver's power readings that are refreshed
    /// about every 100 ms on A100/H100 (arXiv 2312.02741).
    public static let nvmlCounter = PowerErrorModel.counter(resolutionJoules: 0.001, updatePeriodSeconds: 0.1)

    /// Python carbontracker's TDP estimate (half the TDP): ±35%, the top of the 27–37% error of
    /// TDP-based models against a meter (arXiv 2506.14551).
    public static let thermalDesignPower = PowerErrorModel.estimated(
        relativeError: 0.35, citation: "arXiv 2506.14551 (TDP-based models: 27–37% error)")

    /// The per-vCPU CPU power model: ±40%, how far CodeCarbon-style estimates miss against a wall meter
    /// (arXiv 2509.22092).
    public static let perCPUModel = PowerErrorModel.estimated(
        relativeError: 0.40, citation: "arXiv 2509.22092 (CodeCarbon-style estimates: up to 40% error)")

    /// The model a method implies when a source gives none.
    /// - Parameter method: How the figures are obtained.
    /// - Returns: ``unknownCounter`` for counters (and incomplete counters), ``sampled``, ``thermalDesignPower``
    ///   for estimates, ``exact`` for simulated hardware.
    public static func `default`(for method: MeasurementMethod) -> PowerErrorModel {
        switch method {
        case .counter, .incomplete: unknownCounter
        case .sampled: sampled
        case .estimated: thermalDesignPower
        case .simulated: exact
        }
    }
}
