import Foundation

/// Energi Data Service by Energinet (Denmark, no key): the 5-minute CO2 emission of electricity
/// (`CO2Emis`) and its prognosis (`CO2EmisProg`), for price areas DK1 and DK2.
///
/// Both areas are averaged unless the zone names one ("DK-DK1", "DK-DK2"). Times are asked for
/// relative to the service's clock (`now-PT2H`), so no time zone conversion can go wrong.
package struct EnergiDataServiceProvider: IntensityProvider {
    package init(endpoint: ServiceEndpoint, fetcher: JSONFetcher) {
        self.endpoint = endpoint
        self.fetcher = fetcher
    }

    package let id = ProviderID.energiDataService
    let endpoint: ServiceEndpoint
    let fetcher: JSONFetcher

    private struct Records: Decodable {
        struct Record: Decodable {
            var minutes5UTC: String?
            var priceArea: String?
            var co2Emission: Double?

            enum CodingKeys: String, CodingKey {
                case minutes5UTC = "Minutes5UTC"
                case priceArea = "PriceArea"
                case co2Emission = "CO2Emission"
            }
        }
        var records: [Record]
    }

    package func supports(_ location: IntensityLocation) -> Bool { location.effectiveCountryCode == "DK" }

    package func latest(at location: IntensityLocation, deadline: ContinuousClock.Instant)
        throws(IntensityFetchError)
        -> Double
    {
        let areas = Self.areas(for: location)
        let url = endpoint.url(
            path: ["dataset", "CO2Emis"],
            query: [
                ("start", "now-PT2H"), ("filter", Self.filter(areas)), ("sort", "Minutes5UTC DESC"),
                ("limit", "\(areas.count * 24)"),
            ])
        let records = try fetcher.fetch(Records.self, from: url, deadline: deadline).records
        var values: [Double] = []
        for area in areas {
            // Sorted newest first, so the first record of an area is its latest value.
            guard let record = records.first(where: { $0.priceArea == area && $0.co2Emission != nil }) else {
                throw IntensityFetchError(
                    "\(hostDescription(endpoint.base)) returned no recent CO2 emission record for \(area).")
            }
            values.append(try plausible(record.co2Emission, from: id.displayName))
        }
        return values.reduce(0, +) / Double(values.count)
    }

    package func forecast(
        at location: IntensityLocation, from: Date, seconds: Double, deadline: ContinuousClock.Instant
    )
        throws(IntensityFetchError) -> [ForecastPoint]
    {
        let areas = Self.areas(for: location)
        // The prognosis reaches about a day ahead; asking for more only lengthens the answer.
        let hours = Int((min(seconds, 48 * 3600) / 3600).rounded(.up)) + 1
        let url = endpoint.url(
            path: ["dataset", "CO2EmisProg"],
            query: [
                ("start", "now-PT5M"), ("end", "now+PT\(hours)H"), ("filter", Self.filter(areas)),
                ("sort", "Minutes5UTC ASC"), ("limit", "\(areas.count * 12 * (hours + 1))"),
            ])
        let records = try fetcher.fetch(Records.self, from: url, deadline: deadline).records
        var byStart: [Date: [Double]] = [:]
        for record in records {
            guard let area = record.priceArea, areas.contains(area), let text = record.minutes5UTC,
                let start = UTCTime.parse(text), let value = record.co2Emission, value.isFinite,
                (0...3000).contains(value)
            else { continue }
            byStart[start, default: []].append(value)
        }
        guard !byStart.isEmpty else {
            throw IntensityFetchError(
                "\(hostDescription(endpoint.base)) returned an empty CO2 emission prognosis.")
        }
        return byStart.map { start, values in
            ForecastPoint(
                start: start, end: start.addingTimeInterval(300),
                gramsPerKilowattHour: values.reduce(0, +) / Double(values.count))
        }.sorted { $0.start < $1.start }
    }

    private static func areas(for location: IntensityLocation) -> [String] {
        switch location.zone?.uppercased() {
        case "DK-DK1": ["DK1"]
        case "DK-DK2": ["DK2"]
        default: ["DK1", "DK2"]
        }
    }

    private static func filter(_ areas: [String]) -> String {
        "{\"PriceArea\":[" + areas.map { "\"\($0)\"" }.joined(separator: ",") + "]}"
    }
}
