import Foundation

/// Electricity Maps (`/v3/carbon-intensity/latest` and `/forecast`), authenticated by the
/// `auth-token` header.
///
/// The zone is asked for when configured; otherwise the coordinates, then the country as a zone,
/// as Python carbontracker does. The forecast needs a plan that includes it; without one, the
/// answer is an HTTP error and the tracker falls back to the current value.
package struct ElectricityMapsProvider: IntensityProvider {
    package init(endpoint: ServiceEndpoint, apiKey: String, fetcher: JSONFetcher) {
        self.endpoint = endpoint
        self.apiKey = apiKey
        self.fetcher = fetcher
    }

    package let id = ProviderID.electricityMaps
    let endpoint: ServiceEndpoint
    let apiKey: String
    let fetcher: JSONFetcher

    private struct Latest: Decodable {
        var carbonIntensity: Double?
        var isEstimated: Bool?
    }

    private struct Forecast: Decodable {
        struct Entry: Decodable {
            var carbonIntensity: Double?
            var datetime: String
        }
        var forecast: [Entry]
    }

    package func supports(_ location: IntensityLocation) -> Bool { !queries(for: location).isEmpty }

    package func latest(at location: IntensityLocation, deadline: ContinuousClock.Instant)
        throws(IntensityFetchError)
        -> Double
    {
        try latestReading(at: location, deadline: deadline).gramsPerKilowattHour
    }

    /// The latest value with the service's `isEstimated` flag.
    /// - Throws: ``IntensityFetchError`` when the service gave no usable value before `deadline`.
    package func latestReading(at location: IntensityLocation, deadline: ContinuousClock.Instant)
        throws(IntensityFetchError) -> LatestIntensity
    {
        let document = try firstAnswer(Latest.self, path: "latest", location: location, deadline: deadline)
        return LatestIntensity(
            gramsPerKilowattHour: try plausible(document.carbonIntensity, from: id.displayName),
            isEstimated: document.isEstimated ?? false)
    }

    package func forecast(
        at location: IntensityLocation, from: Date, seconds: Double, deadline: ContinuousClock.Instant
    )
        throws(IntensityFetchError) -> [ForecastPoint]
    {
        let document = try firstAnswer(
            Forecast.self, path: "forecast", location: location, deadline: deadline)
        let starts = document.forecast.compactMap { entry -> (Date, Double)? in
            guard let start = UTCTime.parse(entry.datetime), let value = entry.carbonIntensity,
                (try? plausible(value, from: id.displayName)) != nil
            else { return nil }
            return (start, value)
        }
        guard !starts.isEmpty else {
            throw IntensityFetchError("\(hostDescription(endpoint.base)) returned an empty forecast.")
        }
        return ForecastSeries.points(starts: starts, lastLength: 3600)
    }

    private func firstAnswer<T: Decodable>(
        _ type: T.Type, path: String, location: IntensityLocation, deadline: ContinuousClock.Instant
    ) throws(IntensityFetchError) -> T {
        var failure = IntensityFetchError("no zone, coordinates or country is known to ask for.")
        for query in queries(for: location) {
            do {
                return try fetcher.fetch(
                    T.self, from: endpoint.url(path: ["carbon-intensity", path], query: query),
                    headers: ["auth-token": apiKey], deadline: deadline, secrets: [apiKey])
            } catch {
                failure = error
            }
        }
        throw failure
    }

    private func queries(for location: IntensityLocation) -> [[(String, String)]] {
        if let zone = location.zone { return [[("zone", zone)]] }
        var queries: [[(String, String)]] = []
        if let coordinates = location.coordinates {
            queries.append([("lat", "\(coordinates.latitude)"), ("lon", "\(coordinates.longitude)")])
        }
        if let country = location.effectiveCountryCode { queries.append([("zone", country)]) }
        return queries
    }
}
