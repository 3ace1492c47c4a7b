import Foundation
import Testing

@testable import CarbonTracker
@testable import CarbonTrackerMonitor
@testable import CarbonTrackerSources

/// A provider's own "estimated" flag reaches the value in force and widens its range.
@Suite struct IntensityRangeTests {
    private let fetcher = JSONFetcher(client: CurlHTTPClient(), requestTimeoutSeconds: 1)

    @Test func electricityMapsEstimatedFlagWidensTheRange() async throws {
        for flagged in [true, false] {
            let payload = IntensityPayloads.electricityMapsLatest(zone: "DK-DK2", 200)
                .replacingOccurrences(of: "\"isEstimated\": true", with: "\"isEstimated\": \(flagged)")
            let server = try LoopbackHTTPServer { request in
                request.path == "/v3/carbon-intensity/latest"
                    ? .json(payload) : .answer(status: 404, body: "")
            }
            defer { server.stop() }
            let provider = ElectricityMapsProvider(
                endpoint: try ServiceEndpoint.parse(server.baseURL + "/v3", variable: "test"), apiKey: "KEY",
                fetcher: fetcher)
            let reading = try await IntensityTesting.blocking {
                try provider.latestReading(
                    at: IntensityLocation(zone: "DK-DK2"), deadline: .now + .seconds(5))
            }
            #expect(reading == LatestIntensity(gramsPerKilowattHour: 200, isEstimated: flagged))
            var estimate = IntensityEstimate(
                gramsPerKilowattHour: 200, isFetched: true, isLocalized: true, source: "Electricity Maps API")
            estimate.isEstimated = reading.isEstimated
            let range = IntensityInForce(estimate, isProvisional: false).gramsPerKilowattHourRange
            let relative =
                flagged ? IntensityUncertainty.estimatedLiveRelative : IntensityUncertainty.liveRelative
            #expect(abs(range.lowerBound - 200 * (1 - relative)) < 1e-9)
            #expect(abs(range.upperBound - 200 * (1 + relative)) < 1e-9)
        }
    }
}
