import Foundation

/// The live carbon-intensity services, by the names Python carbontracker uses in `api_keys`.
package enum ProviderID: String, CaseIterable, Sendable {
    /// Electricity Maps (worldwide; needs a key).
    case electricityMaps = "electricitymaps"
    /// Energi Data Service by Energinet (Denmark; no key).
    case energiDataService = "energidataservice"
    /// The Carbon Intensity API by the National Energy System Operator (Great Britain; no key).
    case carbonIntensityGB = "carbonintensityGB"

    /// Looks a name up without regard to case ("carbonintensitygb" is the Python class id).
    init?(name: String) {
        guard let match = Self.allCases.first(where: { $0.rawValue.lowercased() == name.lowercased() }) else {
            return nil
        }
        self = match
    }

    /// The name written in logs.
    package var displayName: String {
        switch self {
        case .electricityMaps: "Electricity Maps API"
        case .energiDataService: "Energi Data Service"
        case .carbonIntensityGB: "Carbon Intensity API"
        }
    }

    /// Whether the service refuses requests without a key.
    var needsKey: Bool { self == .electricityMaps }
}

/// A live carbon-intensity service.
///
/// Calls block the calling thread (the intensity thread, or the sampling thread for a forecast)
/// until an answer or `deadline`; they never run on the training thread.
package protocol IntensityProvider: Sendable {
    /// Which service this is.
    var id: ProviderID { get }
    /// Whether the service has data for `location`.
    func supports(_ location: IntensityLocation) -> Bool
    /// The intensity in force now at `location`, in gCO2eq/kWh.
    /// - Throws: ``IntensityFetchError`` when the service gave no usable value before `deadline`.
    func latest(at location: IntensityLocation, deadline: ContinuousClock.Instant) throws(IntensityFetchError)
        -> Double
    /// The service's forecast covering `[from, from + seconds]` (possibly only partly).
    /// - Throws: ``IntensityFetchError`` when the service gave no usable forecast before `deadline`.
    func forecast(
        at location: IntensityLocation, from: Date, seconds: Double, deadline: ContinuousClock.Instant
    )
        throws(IntensityFetchError) -> [ForecastPoint]
    // Last, so the requirements before it keep their places for code built before it was added.
    /// The intensity in force now with the provider's own estimated flag (default: ``latest(at:deadline:)``,
    /// never estimated).
    /// - Throws: As ``latest(at:deadline:)``.
    func latestReading(at location: IntensityLocation, deadline: ContinuousClock.Instant)
        throws(IntensityFetchError) -> LatestIntensity
}

/// A provider's latest value and whether the provider flags it as its own estimate.
package struct LatestIntensity: Sendable, Equatable {
    /// The intensity in gCO2eq/kWh.
    package var gramsPerKilowattHour: Double
    /// Whether the provider says the value is estimated rather than from grid data (Electricity Maps'
    /// `isEstimated`).
    package var isEstimated: Bool
}

extension IntensityProvider {
    /// ``latest(at:deadline:)`` with the provider's estimated flag; providers without one say `false`.
    /// - Throws: As ``latest(at:deadline:)``.
    package func latestReading(at location: IntensityLocation, deadline: ContinuousClock.Instant)
        throws(IntensityFetchError) -> LatestIntensity
    {
        LatestIntensity(
            gramsPerKilowattHour: try latest(at: location, deadline: deadline), isEstimated: false)
    }

    /// Rejects values no electricity grid produces, so a broken answer cannot skew the totals.
    func plausible(_ value: Double?, from service: String) throws(IntensityFetchError) -> Double {
        guard let value else { throw IntensityFetchError("\(service) returned no carbon intensity value.") }
        guard value.isFinite, (0...3000).contains(value) else {
            throw IntensityFetchError(
                "\(service) returned an implausible carbon intensity of \(value) gCO2eq/kWh.")
        }
        return value
    }
}
