import Foundation

/// The Carbon Intensity API for Great Britain (no key): regional by outward postcode, national
/// otherwise or when the regional request fails; half-hourly forecasts up to 48 hours ahead.
package struct CarbonIntensityGBProvider: IntensityProvider {
    package init(endpoint: ServiceEndpoint, fetcher: JSONFetcher, note: @escaping @Sendable (String) -> Void)
    {
        self.endpoint = endpoint
        self.fetcher = fetcher
        self.note = note
    }

    package let id = ProviderID.carbonIntensityGB
    let endpoint: ServiceEndpoint
    let fetcher: JSONFetcher
    /// Reports a failed regional request before the national one is tried.
    let note: @Sendable (String) -> Void

    private struct Period: Decodable {
        struct Intensity: Decodable {
            var forecast: Double?
            var actual: Double?
        }
        var from: String?
        var to: String?
        var intensity: Intensity
    }

    /// `/intensity...`: `{"data": [period, ...]}`.
    private struct National: Decodable {
        var data: [Period]
    }

    /// `/regional/...`: `{"data": [region]}` for the current period, `{"data": region}` for a window.
    private struct Regional: Decodable {
        struct Region: Decodable {
            var data: [Period]
        }
        var regions: [Region]

        enum CodingKeys: String, CodingKey { case data }

        init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            if let list = try? container.decode([Region].self, forKey: .data) {
                regions = list
            } else {
                regions = [try container.decode(Region.self, forKey: .data)]
            }
        }
    }

    package func supports(_ location: IntensityLocation) -> Bool { location.effectiveCountryCode == "GB" }

    package func latest(at location: IntensityLocation, deadline: ContinuousClock.Instant)
        throws(IntensityFetchError)
        -> Double
    {
        let periods = try periods(location: location, deadline: deadline, window: nil)
        guard let period = periods.first else {
            throw IntensityFetchError("\(hostDescription(endpoint.base)) returned no intensity period.")
        }
        return try plausible(period.intensity.actual ?? period.intensity.forecast, from: id.displayName)
    }

    package func forecast(
        at location: IntensityLocation, from: Date, seconds: Double, deadline: ContinuousClock.Instant
    )
        throws(IntensityFetchError) -> [ForecastPoint]
    {
        let start = from.addingTimeInterval(-from.timeIntervalSince1970.truncatingRemainder(dividingBy: 60))
        let end = start.addingTimeInterval(min(max(seconds, 1800), 48 * 3600))
        let window = (UTCTime.minuteString(start), UTCTime.minuteString(end))
        let points = try periods(location: location, deadline: deadline, window: window).compactMap {
            period -> ForecastPoint? in
            guard let from = period.from.flatMap(UTCTime.parse), let to = period.to.flatMap(UTCTime.parse),
                let value = period.intensity.forecast, value.isFinite, (0...3000).contains(value)
            else { return nil }
            return ForecastPoint(start: from, end: to, gramsPerKilowattHour: value)
        }
        guard !points.isEmpty else {
            throw IntensityFetchError("\(hostDescription(endpoint.base)) returned an empty forecast.")
        }
        return points
    }

    private func periods(
        location: IntensityLocation, deadline: ContinuousClock.Instant, window: (String, String)?
    ) throws(IntensityFetchError) -> [Period] {
        if let postcode = Self.outwardCode(location.postcode) {
            var path = ["regional"]
            if let window { path += ["intensity", window.0, window.1] }
            path += ["postcode", postcode]
            do {
                let regional = try fetcher.fetch(
                    Regional.self, from: endpoint.url(path: path), deadline: deadline)
                if let periods = regional.regions.first?.data, !periods.isEmpty { return periods }
                note(
                    "Regional carbon intensity for postcode \(postcode) was empty; asking for the national value."
                )
            } catch {
                note(
                    "Regional carbon intensity for postcode \(postcode) could not be fetched (\(error.message)); "
                        + "asking for the national value.")
            }
        }
        var path = ["intensity"]
        if let window { path += [window.0, window.1] }
        return try fetcher.fetch(National.self, from: endpoint.url(path: path), deadline: deadline).data
    }

    /// The outward part of a British postcode ("SW1A 1AA" → "SW1A"), or `nil` when it is not one.
    static func outwardCode(_ postcode: String?) -> String? {
        guard let first = postcode?.trimmingCharacters(in: .whitespaces).split(separator: " ").first else {
            return nil
        }
        let code = first.uppercased()
        guard (2...4).contains(code.count), code.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber) }),
            code.first?.isLetter == true
        else { return nil }
        return code
    }
}
