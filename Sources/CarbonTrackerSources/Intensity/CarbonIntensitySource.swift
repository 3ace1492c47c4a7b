/// A carbon-intensity value and where it came from.
public struct IntensityEstimate: Sendable, Equatable {
    /// Grams of CO2-equivalent emitted per kilowatt-hour of electricity.
    public var gramsPerKilowattHour: Double
    /// The location as logged ("Copenhagen, Capital Region, DK", or "Unknown").
    public var address: String
    /// ISO 3166 alpha-2 country code, or `nil` when unknown.
    public var countryCode: String?
    /// Whether the value was fetched live from a provider (rather than a stored average).
    public var isFetched: Bool
    /// Whether the value is specific to the location (rather than the world average).
    public var isLocalized: Bool
    /// Whether the value is a forecast.
    public var isPrediction: Bool
    /// Where the value came from ("Energi Data Service", "country average (Ember 2023)", ...).
    public var source: String
    /// Whether the provider flags the value as its own estimate rather than grid data (widens its range).
    public var isEstimated = false

    /// Low and high bounds of ``gramsPerKilowattHour``, by where it came from (``IntensityUncertainty``).
    public var gramsPerKilowattHourRange: ClosedRange<Double> { IntensityUncertainty.range(of: self) }

    /// Creates an estimate.
    /// - Parameters:
    ///   - gramsPerKilowattHour: The intensity in gCO2eq/kWh.
    ///   - address: The location as logged.
    ///   - countryCode: ISO alpha-2 country code, if known.
    ///   - isFetched: Fetched live from a provider.
    ///   - isLocalized: Specific to the location.
    ///   - isPrediction: A forecast.
    ///   - source: Where the value came from.
    public init(
        gramsPerKilowattHour: Double, address: String = "Unknown", countryCode: String? = nil,
        isFetched: Bool = false, isLocalized: Bool = false, isPrediction: Bool = false, source: String
    ) {
        self.gramsPerKilowattHour = gramsPerKilowattHour
        self.address = address
        self.countryCode = countryCode
        self.isFetched = isFetched
        self.isLocalized = isLocalized
        self.isPrediction = isPrediction
        self.source = source
    }

    /// The 2024 world average, 445 gCO2eq/kWh (IEA, Electricity 2025), used when nothing better is known.
    public static let worldAverage = IntensityEstimate(
        gramsPerKilowattHour: 445, source: "world average 2024 (IEA)")
    /// The year of ``worldAverage``.
    public static let worldAverageYear = 2024
}

/// The intensity in force now, and whether it only stands in until the source's first answer.
///
/// Energy used while the value is provisional is charged again, at ``CarbonIntensitySource/settledEstimate()``,
/// once the source has one, so that a run that starts before the provider answers is not charged a placeholder.
public struct IntensityInForce: Sendable, Equatable {
    /// The value in force, in gCO2eq/kWh.
    public var gramsPerKilowattHour: Double
    /// Whether the value is a placeholder while the source waits for its first answer (location lookup
    /// or provider request still in flight).
    public var isProvisional: Bool
    /// Low and high bounds of the value, in gCO2eq/kWh.
    public var gramsPerKilowattHourRange: ClosedRange<Double>

    /// Creates a value in force.
    /// - Parameters:
    ///   - gramsPerKilowattHour: The intensity in gCO2eq/kWh.
    ///   - isProvisional: Whether it stands in until the source's first answer.
    ///   - gramsPerKilowattHourRange: Its bounds; the value alone when left out.
    public init(
        gramsPerKilowattHour: Double, isProvisional: Bool,
        gramsPerKilowattHourRange: ClosedRange<Double>? = nil
    ) {
        self.gramsPerKilowattHour = gramsPerKilowattHour
        self.isProvisional = isProvisional
        self.gramsPerKilowattHourRange =
            gramsPerKilowattHourRange ?? gramsPerKilowattHour...gramsPerKilowattHour
    }

    /// The value in force from an estimate, with the estimate's bounds.
    /// - Parameters:
    ///   - estimate: The value and its provenance.
    ///   - isProvisional: Whether it stands in until the source's first answer.
    public init(_ estimate: IntensityEstimate, isProvisional: Bool) {
        self.init(
            gramsPerKilowattHour: estimate.gramsPerKilowattHour, isProvisional: isProvisional,
            gramsPerKilowattHourRange: estimate.gramsPerKilowattHourRange)
    }
}

/// What an intensity source reports at the end of a run, for the Python-format log lines.
public struct IntensitySummary: Sendable, Equatable {
    /// The location as logged.
    public var address: String
    /// Every intensity value in force during the run, in gCO2eq/kWh, oldest first.
    public var intensities: [Double]
    /// Seconds between refreshes.
    public var refreshIntervalSeconds: Double

    /// Creates a summary.
    /// - Parameters:
    ///   - address: The location as logged.
    ///   - intensities: Values in force during the run, in gCO2eq/kWh.
    ///   - refreshIntervalSeconds: Seconds between refreshes.
    public init(address: String, intensities: [Double], refreshIntervalSeconds: Double) {
        self.address = address
        self.intensities = intensities
        self.refreshIntervalSeconds = refreshIntervalSeconds
    }
}

/// Supplies carbon intensity to a tracker without ever blocking the training or the sampling thread.
///
/// The tracker calls ``start(diagnostics:)`` once from its initialiser, ``current()`` from its
/// sampling thread on every tick, ``forecast(durationSeconds:)`` from the sampling thread when it
/// prints a prediction, and ``stop()`` once. None of them may wait on the network or on any slow
/// work: it belongs on the source's own thread, whose results these calls only read (a forecast is
/// fetched ahead, as ``LiveIntensitySource`` does, never when it is asked for).
public protocol CarbonIntensitySource: AnyObject, Sendable {
    /// Begins work (such as fetching in the background) and logs the set-up lines.
    /// - Parameter diagnostics: Where to write log lines.
    func start(diagnostics: any DiagnosticsReporter)
    /// The intensity in force now; never blocks on the network.
    /// - Returns: The latest known value.
    func current() -> IntensityEstimate
    /// The intensity in force now, in gCO2eq/kWh: what the sampling thread reads after every sample, so
    /// a source may answer it without copying the whole estimate.
    /// - Returns: ``current()``'s `gramsPerKilowattHour`.
    func currentGramsPerKilowattHour() -> Double
    /// The intensity in force now and whether it is provisional: what the sampling thread reads, about
    /// once a second and at window boundaries; never blocks.
    /// - Returns: ``currentGramsPerKilowattHour()`` and whether the first answer is still awaited.
    func intensityInForce() -> IntensityInForce
    /// The first value that is not provisional (the provider's first answer, or the fallback once the
    /// source knows no answer will come), at which energy used before it is charged; never blocks.
    /// - Returns: That estimate, or `nil` while the first answer is still awaited.
    func settledEstimate() -> IntensityEstimate?
    /// The expected average intensity over the next `durationSeconds`; never blocks (the forecast
    /// was fetched ahead).
    /// - Parameter durationSeconds: The predicted remaining training time, in seconds.
    /// - Returns: A forecast, or the current value when no forecast is available.
    func forecast(durationSeconds: Double) -> IntensityEstimate
    /// The values in force during the run, for the closing log lines.
    /// - Returns: The summary so far.
    func summary() -> IntensitySummary
    /// Stops background work. Called once; returns promptly.
    func stop()
    /// Replaces the provider keys (``CarbonTracker/setAPIKeys(_:)``); takes effect at the next refresh.
    /// - Parameter apiKeys: Provider name to key.
    /// - Throws: ``CarbonTrackerError`` with code `.invalidConfiguration` for an unknown provider.
    func updateAPIKeys(_ apiKeys: [String: String]) throws
}

extension CarbonIntensitySource {
    /// ``current()``'s value, by default.
    /// - Returns: The intensity in gCO2eq/kWh.
    public func currentGramsPerKilowattHour() -> Double { current().gramsPerKilowattHour }

    /// ``currentGramsPerKilowattHour()``, never provisional, by default.
    /// - Returns: The value in force.
    public func intensityInForce() -> IntensityInForce {
        IntensityInForce(current(), isProvisional: false)
    }

    /// ``current()``, by default: a source that is never provisional is settled from the start.
    /// - Returns: The value in force.
    public func settledEstimate() -> IntensityEstimate? { current() }

    /// Accepts no keys by default.
    /// - Parameter apiKeys: Provider name to key.
    /// - Throws: Never, by default.
    public func updateAPIKeys(_ apiKeys: [String: String]) throws {}
}
