import Foundation

/// The stored fallbacks of a live source and every line it logs, in one place so that Python
/// carbontracker's wordings (which its log parser and users know) are kept together.
package enum IntensityMessages {
    /// Where a line goes: the standard log, or the error log at DEBUG or WARNING.
    package enum Level: Sendable { case info, debug, warning }

    /// The country's average when known (Ember, Our World in Data), else the world average.
    package static func fallback(for location: IntensityLocation?) -> IntensityEstimate {
        let address = location?.displayAddress ?? "Unknown"
        let country = location?.effectiveCountryCode
        if let country, let average = ReferenceData.countryIntensity(alpha2: country) {
            return IntensityEstimate(
                gramsPerKilowattHour: average.gramsPerKilowattHour, address: address, countryCode: country,
                isLocalized: true, source: "country average \(average.year) (Ember, Our World in Data)")
        }
        var world = IntensityEstimate.worldAverage
        world.address = address
        world.countryCode = country
        return world
    }

    /// The lines saying which provider or fallback is used.
    /// - Parameters:
    ///   - provider: The provider the keys or the country ask for.
    ///   - providerSupportsLocation: Whether that provider has data for `location`.
    package static func setUp(
        offline: Bool, provider: ProviderID?, providerSupportsLocation: Bool, location: IntensityLocation?,
        geolocationFailure: IntensityFetchError?
    ) -> [(Level, String)] {
        var lines: [(Level, String)] = []
        if let geolocationFailure {
            lines.append((.debug, "Geolocation fetch failed: \(geolocationFailure.message)"))
        }
        let fallback = fallback(for: location)
        let value = format(fallback.gramsPerKilowattHour)
        let warning: String
        if provider == nil, fallback.isLocalized, let country = fallback.countryCode {
            warning =
                "No carbon intensity provider specified. "
                + "Using average carbon intensity for \(country): \(value) gCO2eq/kWh."
        } else if provider == nil, let country = location?.effectiveCountryCode {
            warning =
                "No carbon intensity provider specified and no average carbon intensity is known for "
                + "\(country). Defaulting to \(world)"
        } else if provider == nil {
            warning =
                "No carbon intensity provider specified and no location detected. Defaulting to \(world)"
        } else if offline {
            warning =
                "Live carbon intensity is not fetched because \(IntensitySettings.Variable.offline)=1 "
                + "forbids network use. \(defaulted(location))"
        } else if let provider, location != nil, providerSupportsLocation {
            return lines + [
                (.info, "Using intensity provider: \(provider.displayName) ('\(provider.rawValue)').")
            ]
        } else if let location {
            warning =
                "Fetcher is unable to retrieve carbon intensity data for your detected location "
                + "\(location.displayAddress). Carbon emissions calculations will fall back to the average "
                + "carbon intensity for \(fallback.countryCode ?? "the world"): \(value) gCO2eq/kWh."
        } else {
            warning = "Location could not be determined. Using \(world)"
        }
        return lines + [(.warning, warning)]
    }

    /// Standard log, after each successful refresh (Python's wording, unit included).
    static func fetched(_ value: Double, address: String) -> String {
        "Carbon intensity fetched: \(format(value)) gCO2/kWh at \(address)"
    }

    /// Error log, when a refresh failed; says which value is used instead.
    static func fetchFailed(
        address: String, provider: ProviderID, reason: IntensityFetchError, keptValue: Double?,
        location: IntensityLocation
    ) -> String {
        let outcome =
            keptValue.map { "Kept the last fetched value of \(format($0)) gCO2eq/kWh." }
            ?? defaulted(location)
        return "Live carbon intensity could not be fetched at detected location: \(address). "
            + "\(provider.displayName): \(reason.message) \(outcome)"
    }

    /// Standard log, when a forecast was used for the prediction.
    static func predicted(horizon: String, value: Double, address: String) -> String {
        "Carbon intensity for the next \(horizon) is predicted to be \(format(value)) gCO2eq/kWh "
            + "at detected location: \(address)."
    }

    /// Error log, when no forecast could be had.
    static func predictionFailed(
        horizon: String, provider: ProviderID, reason: IntensityFetchError, currentValue: Double,
        address: String
    ) -> String {
        "Failed to predict carbon intensity for the next \(horizon): \(provider.displayName): \(reason.message) "
            + "Falling back on the current carbon intensity of \(format(currentValue)) gCO2eq/kWh "
            + "at detected location: \(address)."
    }

    /// Error log, when monitoring ended before the IP lookup did.
    static func lookupUnfinished(server: String) -> String {
        "Location could not be determined before monitoring ended (\(server) had not answered). Used \(world)"
    }

    /// Error log, for an Electricity Maps entry without a key (Python's wording).
    static func emptyKey(_ provider: ProviderID) -> String {
        "Empty API key for '\(provider.rawValue)'. Skipping this provider."
    }

    private static var world: String {
        "global average carbon intensity for \(IntensityEstimate.worldAverageYear): "
            + "\(format(IntensityEstimate.worldAverage.gramsPerKilowattHour)) gCO2eq/kWh."
    }

    /// Old Python carbontracker's sentence for the stored average in use.
    private static func defaulted(_ location: IntensityLocation?) -> String {
        if let country = location?.effectiveCountryCode,
            let average = ReferenceData.countryIntensity(alpha2: country)
        {
            return "Defaulted to average carbon intensity for \(country) in \(average.year) of "
                + "\(format(average.gramsPerKilowattHour)) gCO2eq/kWh."
        }
        return "Defaulted to average carbon intensity for world in \(IntensityEstimate.worldAverageYear) of "
            + "\(format(IntensityEstimate.worldAverage.gramsPerKilowattHour)) gCO2eq/kWh."
    }

    private static func format(_ value: Double) -> String { String(format: "%.2f", value) }
}
