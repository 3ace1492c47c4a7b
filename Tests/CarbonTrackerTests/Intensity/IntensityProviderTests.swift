import Foundation
import Testing

@testable import CarbonTracker
@testable import CarbonTrackerMonitor
@testable import CarbonTrackerSources

/// Each provider against the loopback server: the request it sends and the value it reads.
@Suite struct IntensityProviderTests {
    private let fetcher = JSONFetcher(client: CurlHTTPClient(), requestTimeoutSeconds: 1)

    private func run<T: Sendable>(_ body: @escaping @Sendable (ContinuousClock.Instant) throws -> T)
        async throws -> T
    {
        try await IntensityTesting.blocking { try body(.now + .seconds(5)) }
    }

    private func endpoint(_ server: LoopbackHTTPServer, _ path: String = "") throws -> ServiceEndpoint {
        try ServiceEndpoint.parse(server.baseURL + path, variable: "test")
    }

    @Test func electricityMapsAsksForTheZoneWithTheAuthToken() async throws {
        let server = try LoopbackHTTPServer { request in
            request.path == "/v3/carbon-intensity/latest"
                ? .json(IntensityPayloads.electricityMapsLatest(zone: "DK-DK2", 187))
                : .answer(status: 404, body: "")
        }
        defer { server.stop() }
        let provider = ElectricityMapsProvider(
            endpoint: try endpoint(server, "/v3"), apiKey: "KEY-1", fetcher: fetcher)
        let value = try await run { try provider.latest(at: IntensityLocation(zone: "DK-DK2"), deadline: $0) }
        #expect(value == 187)
        let request = try #require(server.requests.first)
        #expect(request.query == ["zone": "DK-DK2"])
        #expect(request.headers["auth-token"] == "KEY-1")
    }

    @Test func electricityMapsFallsBackFromCoordinatesToTheCountryZone() async throws {
        let server = try LoopbackHTTPServer { request in
            request.query["zone"] == "FR"
                ? .json(IntensityPayloads.electricityMapsLatest(zone: "FR", 32))
                : .answer(status: 400, body: "{}")
        }
        defer { server.stop() }
        let provider = ElectricityMapsProvider(
            endpoint: try endpoint(server, "/v3"), apiKey: "K", fetcher: fetcher)
        let location = IntensityLocation(latitude: 48.85, longitude: 2.35, countryCode: "FR")
        #expect(try await run { try provider.latest(at: location, deadline: $0) } == 32)
        #expect(server.requests.map(\.query) == [["lat": "48.85", "lon": "2.35"], ["zone": "FR"]])
    }

    @Test func electricityMapsForecastIsAveragedOverTheWindow() async throws {
        let server = try LoopbackHTTPServer { _ in
            .json(IntensityPayloads.electricityMapsForecast(zone: "DE", [300, 300, 100, 100, 100, 100]))
        }
        defer { server.stop() }
        let provider = ElectricityMapsProvider(
            endpoint: try endpoint(server, "/v3"), apiKey: "K", fetcher: fetcher)
        let hour = floor(Date().timeIntervalSince1970 / 3600) * 3600
        let points = try await run {
            try provider.forecast(
                at: IntensityLocation(zone: "DE"), from: Date(), seconds: 7200, deadline: $0)
        }
        #expect(server.requests.first?.path == "/v3/carbon-intensity/forecast")
        let mean = try #require(
            ForecastSeries.mean(points, from: Date(timeIntervalSince1970: hour), seconds: 4 * 3600))
        #expect(abs(mean - 200) < 1e-9)
    }

    @Test func energiDataServiceAveragesTheLatestRecordOfEachArea() async throws {
        let server = try LoopbackHTTPServer { _ in
            .json(
                IntensityPayloads.energiDataService(
                    dataset: "CO2Emis",
                    records: [(0, "DK1", 100), (0, "DK2", 200), (-5, "DK1", 999), (-5, "DK2", 999)]))
        }
        defer { server.stop() }
        let provider = EnergiDataServiceProvider(endpoint: try endpoint(server), fetcher: fetcher)
        #expect(
            try await run { try provider.latest(at: IntensityLocation(countryCode: "DK"), deadline: $0) }
                == 150)
        let request = try #require(server.requests.first)
        #expect(request.path == "/dataset/CO2Emis")
        #expect(request.query["filter"] == "{\"PriceArea\":[\"DK1\",\"DK2\"]}")
        #expect(request.query["sort"] == "Minutes5UTC DESC")
        #expect(request.query["start"] == "now-PT2H")
    }

    @Test func energiDataServiceUsesThePriceAreaOfTheZone() async throws {
        let server = try LoopbackHTTPServer { _ in
            .json(IntensityPayloads.energiDataService(dataset: "CO2Emis", records: [(0, "DK2", 80)]))
        }
        defer { server.stop() }
        let provider = EnergiDataServiceProvider(endpoint: try endpoint(server), fetcher: fetcher)
        #expect(
            try await run { try provider.latest(at: IntensityLocation(zone: "DK-DK2"), deadline: $0) } == 80)
        #expect(server.requests.first?.query["filter"] == "{\"PriceArea\":[\"DK2\"]}")
    }

    @Test func energiDataServiceReportsAMissingArea() async throws {
        let server = try LoopbackHTTPServer { _ in
            .json(IntensityPayloads.energiDataService(dataset: "CO2Emis", records: [(0, "DK1", 100)]))
        }
        defer { server.stop() }
        let provider = EnergiDataServiceProvider(endpoint: try endpoint(server), fetcher: fetcher)
        await #expect(throws: IntensityFetchError.self) {
            _ = try await run { try provider.latest(at: IntensityLocation(countryCode: "DK"), deadline: $0) }
        }
    }

    @Test func energiDataServiceForecastReadsThePrognosisDataset() async throws {
        let server = try LoopbackHTTPServer { _ in
            .json(
                IntensityPayloads.energiDataService(
                    dataset: "CO2EmisProg",
                    records: (0..<24).flatMap { step in
                        [(Double(step * 5), "DK1", 60.0), (Double(step * 5), "DK2", 80.0)]
                    }))
        }
        defer { server.stop() }
        let provider = EnergiDataServiceProvider(endpoint: try endpoint(server), fetcher: fetcher)
        let points = try await run {
            try provider.forecast(
                at: IntensityLocation(countryCode: "DK"), from: Date(), seconds: 3600, deadline: $0)
        }
        #expect(points.count == 24)
        #expect(
            points.allSatisfy { $0.gramsPerKilowattHour == 70 && $0.end.timeIntervalSince($0.start) == 300 })
        let request = try #require(server.requests.first)
        #expect(request.path == "/dataset/CO2EmisProg")
        #expect(request.query["end"] == "now+PT2H")
        #expect(request.raw.contains("now%2BPT2H"))
    }

    @Test func carbonIntensityGBAsksForTheRegionOfThePostcode() async throws {
        let server = try LoopbackHTTPServer { request in
            request.path == "/regional/postcode/SW1A"
                ? .json(IntensityPayloads.carbonIntensityRegional(postcode: "SW1A", forecast: 141))
                : .answer(status: 404, body: "")
        }
        defer { server.stop() }
        let provider = CarbonIntensityGBProvider(endpoint: try endpoint(server), fetcher: fetcher) { _ in }
        let location = IntensityLocation(countryCode: "GB", postcode: "sw1a 1aa")
        #expect(try await run { try provider.latest(at: location, deadline: $0) } == 141)
    }

    @Test func carbonIntensityGBFallsBackToTheNationalValue() async throws {
        let notes = LockedBox<[String]>([])
        let server = try LoopbackHTTPServer { request in
            request.path == "/intensity"
                ? .json(IntensityPayloads.carbonIntensityNational(forecast: 200, actual: 190))
                : .answer(status: 500, body: "")
        }
        defer { server.stop() }
        let provider = CarbonIntensityGBProvider(endpoint: try endpoint(server), fetcher: fetcher) { note in
            notes.withLock { $0.append(note) }
        }
        let location = IntensityLocation(countryCode: "GB", postcode: "EC1A")
        #expect(try await run { try provider.latest(at: location, deadline: $0) } == 190)
        #expect(server.requests.map(\.path) == ["/regional/postcode/EC1A", "/intensity"])
        #expect(notes.withLock { $0.count } == 1)
        let national = try await run {
            try provider.latest(at: IntensityLocation(countryCode: "GB"), deadline: $0)
        }
        #expect(national == 190)
    }

    @Test func carbonIntensityGBUsesTheForecastWhenNoActualValueIsPublished() async throws {
        let server = try LoopbackHTTPServer { _ in
            .json(IntensityPayloads.carbonIntensityNational(forecast: 222, actual: nil))
        }
        defer { server.stop() }
        let provider = CarbonIntensityGBProvider(endpoint: try endpoint(server), fetcher: fetcher) { _ in }
        #expect(
            try await run { try provider.latest(at: IntensityLocation(countryCode: "GB"), deadline: $0) }
                == 222)
    }

    @Test func carbonIntensityGBForecastAsksForTheWindow() async throws {
        let server = try LoopbackHTTPServer { _ in
            .json(IntensityPayloads.carbonIntensityWindow(regional: true, [100, 200]))
        }
        defer { server.stop() }
        let provider = CarbonIntensityGBProvider(endpoint: try endpoint(server), fetcher: fetcher) { _ in }
        let now = Date()
        let points = try await run {
            try provider.forecast(
                at: IntensityLocation(countryCode: "GB", postcode: "SW1A"), from: now, seconds: 3600,
                deadline: $0)
        }
        #expect(points.map(\.gramsPerKilowattHour) == [100, 200])
        let path = try #require(server.requests.first?.path)
        let from = UTCTime.minuteString(now)
        let to = UTCTime.minuteString(now.addingTimeInterval(3600))
        #expect(path == "/regional/intensity/\(from)/\(to)/postcode/SW1A")
    }

    @Test(arguments: [
        ("2024-05-01T12:30Z", 1_714_566_600.0), ("2024-05-01T12:30:00.000Z", 1_714_566_600.0),
        ("2024-05-01T12:30:00", 1_714_566_600.0), ("2024-05-01T14:30:00+02:00", 1_714_566_600.0),
        ("2024-05-01T12:30:15.5Z", 1_714_566_615.5),
    ])
    func parsesProviderTimestamps(text: String, seconds: Double) {
        #expect(UTCTime.parse(text)?.timeIntervalSince1970 == seconds)
    }

    @Test(arguments: ["", "2024-05-01", "2024-13-01T00:00Z", "yesterday", "2024-05-01T12:30Zjunk"])
    func rejectsMalformedTimestamps(text: String) {
        #expect(UTCTime.parse(text) == nil)
    }

    @Test func averagesForecastsByTimeAndCoverage() {
        let start = Date(timeIntervalSince1970: 0)
        let points = [
            ForecastPoint(start: start, end: start.addingTimeInterval(100), gramsPerKilowattHour: 100),
            ForecastPoint(
                start: start.addingTimeInterval(100), end: start.addingTimeInterval(400),
                gramsPerKilowattHour: 300),
        ]
        #expect(ForecastSeries.mean(points, from: start, seconds: 400) == 250)
        #expect(ForecastSeries.mean(points, from: start.addingTimeInterval(50), seconds: 100) == 200)
        // Only the covered part counts.
        #expect(ForecastSeries.mean(points, from: start.addingTimeInterval(300), seconds: 1000) == 300)
        #expect(ForecastSeries.mean(points, from: start.addingTimeInterval(500), seconds: 100) == nil)
        #expect(ForecastSeries.mean(points, from: start.addingTimeInterval(150), seconds: 0) == 300)
    }

    @Test(arguments: [
        ("SW1A 1AA", "SW1A"), ("ec1a", "EC1A"), ("M1", "M1"), ("1050", nil), ("", nil), ("AB-12", nil),
    ])
    func readsBritishOutwardCodes(postcode: String, expected: String?) {
        #expect(CarbonIntensityGBProvider.outwardCode(postcode) == expected)
    }

    @Test func rejectsImplausibleValues() async throws {
        let server = try LoopbackHTTPServer { _ in
            .json(IntensityPayloads.electricityMapsLatest(zone: "DE", -5))
        }
        defer { server.stop() }
        let provider = ElectricityMapsProvider(endpoint: try endpoint(server), apiKey: "K", fetcher: fetcher)
        await #expect(throws: IntensityFetchError.self) {
            _ = try await run { try provider.latest(at: IntensityLocation(zone: "DE"), deadline: $0) }
        }
    }
}
