import Foundation
import Testing

@testable import CarbonTracker
@testable import CarbonTrackerMonitor
@testable import CarbonTrackerSources

/// The live source on its own (start, refresh, fallbacks, forecasts, keys) against the loopback server.
@Suite struct LiveIntensitySourceTests {
    private static let denmarkAverage = ReferenceData.countryIntensity(alpha2: "DK")!

    /// A source started with `environment`, its recorded lines, and the server.
    private func start(
        _ environment: [String: String], apiKeys: [String: String]? = nil, location: IntensityLocation? = nil,
        refreshIntervalSeconds: Double = 900
    ) throws -> (LiveIntensitySource, IntensityLogRecorder) {
        let source = try IntensityTesting.source(
            apiKeys: apiKeys, options: TrackerOptions(environment: environment, location: location),
            refreshIntervalSeconds: refreshIntervalSeconds)
        let diagnostics = IntensityLogRecorder()
        source.start(diagnostics: diagnostics)
        return (source, diagnostics)
    }

    private func wait(_ diagnostics: IntensityLogRecorder, for text: String) async throws -> Bool {
        try await IntensityTesting.blocking { diagnostics.wait(for: text) }
    }

    /// Waits (on a thread of its own, against the monotonic clock) until `condition` holds.
    private func wait(seconds: Double = 15, until condition: @escaping @Sendable () -> Bool) async throws
        -> Bool
    {
        try await IntensityTesting.blocking {
            let end = ContinuousClock.now + .seconds(seconds)
            while !condition() && ContinuousClock.now < end { usleep(2_000) }
            return condition()
        }
    }

    private static func energiDataService(current: String = "", prognosis: LoopbackHTTPServer.Reply? = nil)
        -> @Sendable (LoopbackHTTPServer.Request) -> LoopbackHTTPServer.Reply
    {
        { request in
            switch request.path {
            case "/dataset/CO2Emis":
                .json(
                    IntensityPayloads.energiDataService(
                        dataset: "CO2Emis", records: [(0, "DK1", 120), (0, "DK2", 180)]))
            case "/dataset/CO2EmisProg":
                prognosis
                    ?? .json(
                        IntensityPayloads.energiDataService(
                            dataset: "CO2EmisProg", records: (0..<36).map { (Double($0 * 5), "DK1", 70) }))
            default: .answer(status: 404, body: "")
            }
        }
    }

    @Test func countryFromTheEnvironmentUsesEnergiDataService() async throws {
        let server = try LoopbackHTTPServer(route: Self.energiDataService())
        defer { server.stop() }
        let (source, diagnostics) = try start(
            IntensityTesting.environment(server, extra: ["CARBONTRACKER_COUNTRY": "DK"]))
        defer { source.stop() }
        #expect(try await wait(diagnostics, for: "Carbon intensity fetched: 150.00 gCO2/kWh at DK"))
        let current = source.current()
        #expect(current.gramsPerKilowattHour == 150)
        #expect(current.isFetched && current.isLocalized && current.countryCode == "DK")
        #expect(
            source.summary()
                == IntensitySummary(address: "DK", intensities: [150], refreshIntervalSeconds: 900))
        #expect(
            diagnostics.messages("INFO").contains(
                "Using intensity provider: Energi Data Service ('energidataservice')."))
        #expect(diagnostics.messages("WARNING").isEmpty)
        #expect(!server.requests.contains { $0.path == "/json" })
    }

    @Test func locatesTheMachineByIPAndUsesTheCarbonIntensityAPI() async throws {
        let server = try LoopbackHTTPServer(route: IntensityPayloads.londonByIP)
        defer { server.stop() }
        let (source, diagnostics) = try start(IntensityTesting.environment(server))
        defer { source.stop() }
        #expect(
            try await wait(
                diagnostics, for: "Carbon intensity fetched: 141.00 gCO2/kWh at London, England, GB"))
        #expect(source.current().gramsPerKilowattHour == 141)
        #expect(source.summary().address == "London, England, GB")
        // Then the forecast window, fetched ahead (this server has none).
        #expect(server.requests.map(\.path).prefix(2) == ["/json", "/regional/postcode/SW1A"])
    }

    @Test(arguments: [
        ("HTTP 503", LoopbackHTTPServer.Reply.answer(status: 503, body: "{\"error\": \"maintenance\"}")),
        ("HTTP 429", .answer(status: 429, body: "", headers: ["Retry-After": "60"])),
        ("unexpected JSON", .json("{\"records\": \"none\"}")), ("empty body", .json("")),
        ("127.0.0.1", .close), ("did not answer within 1.5 s", .hang),
    ])
    func aFailingProviderFallsBackToTheCountryAverageWithOneWarning(
        expected: String, reply: LoopbackHTTPServer.Reply
    ) async throws {
        let server = try LoopbackHTTPServer { _ in reply }
        defer { server.stop() }
        let timeout = expected.hasPrefix("did not answer") ? "1.5" : "10"
        let (source, diagnostics) = try start(
            IntensityTesting.environment(
                server, extra: ["CARBONTRACKER_COUNTRY": "DK", "CARBONTRACKER_HTTP_TIMEOUT": timeout]))
        defer { source.stop() }
        #expect(try await wait(diagnostics, for: "Live carbon intensity could not be fetched"))
        let warnings = diagnostics.messages("WARNING")
        #expect(warnings.count == 1)
        let warning = try #require(warnings.first)
        #expect(
            warning.hasPrefix(
                "Live carbon intensity could not be fetched at detected location: DK. Energi Data Service: "))
        #expect(warning.contains(expected))
        let average = String(format: "%.2f", Self.denmarkAverage.gramsPerKilowattHour)
        #expect(
            warning.hasSuffix(
                "Defaulted to average carbon intensity for DK in \(Self.denmarkAverage.year) of \(average) gCO2eq/kWh."
            ))
        #expect(source.current().gramsPerKilowattHour == Self.denmarkAverage.gramsPerKilowattHour)
        #expect(!source.current().isFetched)
    }

    @Test func aFailedLookupFallsBackToTheWorldAverage() async throws {
        let server = try LoopbackHTTPServer { _ in .answer(status: 500, body: "") }
        defer { server.stop() }
        let (source, diagnostics) = try start(IntensityTesting.environment(server))
        defer { source.stop() }
        #expect(try await wait(diagnostics, for: "no location detected"))
        #expect(
            diagnostics.messages("WARNING") == [
                "No carbon intensity provider specified and no location detected. Defaulting to global average "
                    + "carbon intensity for 2024: 445.00 gCO2eq/kWh."
            ])
        #expect(
            diagnostics.messages("DEBUG").first?.hasPrefix("Geolocation fetch failed: 127.0.0.1:") == true)
        #expect(source.current().gramsPerKilowattHour == 445)
        #expect(
            source.summary()
                == IntensitySummary(address: "Unknown", intensities: [445], refreshIntervalSeconds: 900))
    }

    @Test func offlineMeansNoConnectionAtAll() async throws {
        let server = try LoopbackHTTPServer { _ in .json("{}") }
        defer { server.stop() }
        let (source, diagnostics) = try start(
            IntensityTesting.environment(server, extra: ["CARBONTRACKER_OFFLINE": "1"]),
            apiKeys: ["electricitymaps": "KEY"])
        #expect(source.current().gramsPerKilowattHour == 445)
        #expect(source.forecast(durationSeconds: 3600).gramsPerKilowattHour == 445)
        try await Task.sleep(for: .milliseconds(200))
        source.stop()
        #expect(server.connectionCount == 0)
        #expect(
            diagnostics.messages("WARNING").first?.contains("CARBONTRACKER_OFFLINE=1 forbids network use")
                == true)
    }

    @Test func offlineWithACountryUsesItsAverage() throws {
        let (source, diagnostics) = try start(["CARBONTRACKER_OFFLINE": "1", "CARBONTRACKER_COUNTRY": "FR"])
        defer { source.stop() }
        let france = try #require(ReferenceData.countryIntensity(alpha2: "FR"))
        #expect(source.current().gramsPerKilowattHour == france.gramsPerKilowattHour)
        #expect(
            diagnostics.messages("WARNING") == [
                "No carbon intensity provider specified. Using average carbon intensity for FR: "
                    + String(format: "%.2f", france.gramsPerKilowattHour) + " gCO2eq/kWh."
            ])
    }

    @Test func startCurrentAndStopNeverWaitOnAHangingServer() async throws {
        let server = try LoopbackHTTPServer { _ in .hang }
        defer { server.stop() }
        let elapsed = try IntensityTesting.seconds {
            let (source, _) = try start(
                IntensityTesting.environment(server, extra: ["CARBONTRACKER_HTTP_TIMEOUT": "5"]))
            #expect(source.current().gramsPerKilowattHour == 445)
            _ = source.summary()
            source.stop()
        }
        #expect(elapsed < 0.2)
    }

    @Test func aForecastIsTheProvidersPrognosisAveragedOverTheDuration() async throws {
        let server = try LoopbackHTTPServer(route: Self.energiDataService())
        defer { server.stop() }
        let (source, diagnostics) = try start(
            IntensityTesting.environment(
                server, extra: ["CARBONTRACKER_COUNTRY": "DK", "CARBONTRACKER_HTTP_TIMEOUT": "3"]))
        defer { source.stop() }
        #expect(
            try await wait { source.forecastAttempts >= 1 }, "the forecast is fetched ahead, after the value")
        #expect(server.requests.map(\.path) == ["/dataset/CO2Emis", "/dataset/CO2EmisProg"])
        #expect(server.requests.last?.query["end"] == "now+PT49H", "48 hours ahead, whatever is asked later")
        let forecast = source.forecast(durationSeconds: 3600)
        #expect(forecast.gramsPerKilowattHour == 70)
        #expect(forecast.isPrediction)
        #expect(
            diagnostics.messages("INFO").contains(
                "Carbon intensity for the next 1:00:00 is predicted to be 70.00 gCO2eq/kWh at detected location: DK."
            ))
        #expect(source.forecast(durationSeconds: 0) == source.current())
        #expect(server.requests.count == 2, "asking for a forecast makes no request")
    }

    /// `forecast` used to ask the provider on the calling (sampling) thread and wait up to 3 s. Now
    /// the intensity thread fetches ahead, and a forecast endpoint that never answers costs the
    /// caller nothing: it gets the current value at once, with the reason, while that thread waits.
    @Test func aHangingForecastEndpointNeverDelaysAForecast() async throws {
        let server = try LoopbackHTTPServer(route: Self.energiDataService(prognosis: .hang))
        defer { server.stop() }
        let (source, diagnostics) = try start(
            IntensityTesting.environment(
                server, extra: ["CARBONTRACKER_COUNTRY": "DK", "CARBONTRACKER_HTTP_TIMEOUT": "10"]))
        defer { source.stop() }
        // One blocking step from seeing the request to asking, so no wait for a free worker of the
        // test runner's pool (busy with other tests) can let the 10 s request end in between.
        let (asked, forecast, seconds) = try await IntensityTesting.blocking {
            let end = ContinuousClock.now + .seconds(15)
            while !server.requests.contains(where: { $0.path == "/dataset/CO2EmisProg" })
                && ContinuousClock.now < end
            {
                usleep(2_000)
            }
            var forecast: IntensityEstimate?
            let seconds = IntensityTesting.seconds { forecast = source.forecast(durationSeconds: 7200) }
            return (server.requests.count, forecast, seconds)
        }
        #expect(asked == 2, "the value, then the forecast, which hangs")
        // The request it would have waited for takes 10 s; reading the cache takes microseconds.
        #expect(seconds < 1, "forecast took \(seconds) s")
        #expect(forecast == source.current())
        #expect(source.current().gramsPerKilowattHour == 150)
        #expect(
            diagnostics.messages("WARNING") == [
                "Failed to predict carbon intensity for the next 2:00:00: Energi Data Service: no forecast had "
                    + "arrived yet (it is fetched in the background at start and at every refresh). Falling back on "
                    + "the current carbon intensity of 150.00 gCO2eq/kWh at detected location: DK."
            ])
    }

    /// A forecast that failed is reported, with its reason, when a prediction needs it.
    @Test func aFailedForecastFetchIsReportedWhenAPredictionNeedsIt() async throws {
        let server = try LoopbackHTTPServer(
            route: Self.energiDataService(
                prognosis: .answer(status: 503, body: "{\"error\": \"maintenance\"}")))
        defer { server.stop() }
        let (source, diagnostics) = try start(
            IntensityTesting.environment(server, extra: ["CARBONTRACKER_COUNTRY": "DK"]))
        defer { source.stop() }
        #expect(try await wait { source.forecastAttempts >= 1 })
        #expect(diagnostics.messages("WARNING").isEmpty, "nothing is said until a prediction is made")
        #expect(source.forecast(durationSeconds: 600) == source.current())
        let warning = try #require(diagnostics.messages("WARNING").first)
        #expect(
            warning.hasPrefix(
                "Failed to predict carbon intensity for the next 0:10:00: Energi Data Service: "))
        #expect(warning.contains("HTTP 503"))
    }

    @Test func refreshesPeriodicallyAndKeepsTheLastLiveValueThroughAFailure() async throws {
        let count = LockedBox(0)
        let server = try LoopbackHTTPServer { _ in
            let number = count.withLock { value -> Int in
                value += 1
                return value
            }
            return number == 1
                ? .json(
                    IntensityPayloads.energiDataService(
                        dataset: "CO2Emis", records: [(0, "DK1", 100), (0, "DK2", 100)]))
                : .answer(status: 500, body: "")
        }
        defer { server.stop() }
        let (source, diagnostics) = try start(
            IntensityTesting.environment(server, extra: ["CARBONTRACKER_COUNTRY": "DK"]),
            refreshIntervalSeconds: 0.05)
        defer { source.stop() }
        #expect(try await wait(diagnostics, for: "Kept the last fetched value of 100.00 gCO2eq/kWh."))
        #expect(source.current().gramsPerKilowattHour == 100)
        let summary = source.summary()
        #expect(summary.intensities.count >= 2)
        #expect(summary.intensities.allSatisfy { $0 == 100 })
        #expect(summary.refreshIntervalSeconds == 0.05)
    }

    @Test func newKeysSwitchToElectricityMapsAtOnce() async throws {
        let server = try LoopbackHTTPServer { request in
            request.path == "/v3/carbon-intensity/latest"
                ? .json(IntensityPayloads.electricityMapsLatest(zone: "DE", 250))
                : .answer(status: 404, body: "")
        }
        defer { server.stop() }
        let (source, diagnostics) = try start(
            IntensityTesting.environment(server, extra: ["CARBONTRACKER_COUNTRY": "DE"]))
        defer { source.stop() }
        #expect(
            diagnostics.messages("WARNING").first?.hasPrefix(
                "No carbon intensity provider specified. Using average carbon intensity for DE") == true)
        try source.updateAPIKeys(["electricitymaps": "em-key-42"])
        #expect(try await wait(diagnostics, for: "Carbon intensity fetched: 250.00 gCO2/kWh at DE"))
        #expect(
            diagnostics.messages("INFO").contains(
                "Using intensity provider: Electricity Maps API ('electricitymaps')."))
        #expect(server.requests.first?.headers["auth-token"] == "em-key-42")
        #expect(server.requests.first?.query == ["zone": "DE"])
        #expect(throws: CarbonTrackerError.self) { try source.updateAPIKeys(["watttime": "x"]) }
    }

    @Test func aRefusedKeyIsNeverLogged() async throws {
        let key = "em-secret-9d2f"
        let server = try LoopbackHTTPServer { request in
            .answer(
                status: 401,
                body: "{\"message\": \"token \(request.headers["auth-token"] ?? "") is invalid\"}")
        }
        defer { server.stop() }
        let (source, diagnostics) = try start(
            IntensityTesting.environment(server), apiKeys: ["electricitymaps": key],
            location: IntensityLocation(zone: "DE"))
        defer { source.stop() }
        #expect(try await wait(diagnostics, for: "Live carbon intensity could not be fetched"))
        _ = try await IntensityTesting.blocking { source.forecast(durationSeconds: 600) }
        // The body of an authenticated request is never quoted (JSONFetcher), so the echo is not logged at all.
        #expect(
            diagnostics.all.contains { $0.contains("the API key was refused") && !$0.contains("is invalid") })
        #expect(diagnostics.all.count >= 3)
        #expect(!diagnostics.all.contains { $0.contains(key) })
    }

    @Test func anEmptyElectricityMapsKeyIsSkipped() async throws {
        let server = try LoopbackHTTPServer(route: Self.energiDataService())
        defer { server.stop() }
        let (source, diagnostics) = try start(
            IntensityTesting.environment(server, extra: ["CARBONTRACKER_COUNTRY": "DK"]),
            apiKeys: ["electricitymaps": " "])
        defer { source.stop() }
        #expect(try await wait(diagnostics, for: "Carbon intensity fetched: 150.00"))
        #expect(
            diagnostics.messages("WARNING") == [
                "Empty API key for 'electricitymaps'. Skipping this provider."
            ])
    }

    @Test func aProviderOutsideItsCountryIsNotAsked() async throws {
        let server = try LoopbackHTTPServer { _ in .json("{}") }
        defer { server.stop() }
        let (source, diagnostics) = try start(
            IntensityTesting.environment(server, extra: ["CARBONTRACKER_COUNTRY": "FR"]),
            apiKeys: ["energidataservice": ""])
        try await Task.sleep(for: .milliseconds(100))
        source.stop()
        #expect(server.connectionCount == 0)
        #expect(
            diagnostics.messages("WARNING").first?.hasPrefix(
                "Fetcher is unable to retrieve carbon intensity data for your detected location FR. Carbon emissions "
                    + "calculations will fall back to the average carbon intensity for FR: ") == true)
    }

    /// Stopping while the intensity thread is making its first request once crashed the process:
    /// FoundationNetworking traps when a task is made on a session another thread has just invalidated.
    @Test func stoppingWhileTheFirstRequestStartsNeverCrashes() async throws {
        let server = try LoopbackHTTPServer { _ in .json("{\"country\": \"DK\"}") }
        defer { server.stop() }
        try await IntensityTesting.blocking {
            for round in 0..<300 {
                let (source, _) = try start(IntensityTesting.environment(server))
                // Stop at slightly different moments, around the lookup's task being made.
                if round % 3 != 0 { usleep(useconds_t(round % 7) * 50) }
                source.stop()
            }
        }
        #expect(server.connectionCount <= 300)
    }

    /// Once ran 16.6 s instead of 0.3 s under the thread sanitizer: it polled with `Task.sleep`, whose
    /// wake-up waits for a free worker of the test runner's pool. It now waits on its own thread, and
    /// for the intensity thread itself to end instead of sleeping a while after `stop()`.
    @Test func nothingIsLoggedAfterStop() async throws {
        let server = try LoopbackHTTPServer { _ in .hang }
        defer { server.stop() }
        let (source, diagnostics) = try start(
            IntensityTesting.environment(
                server, extra: ["CARBONTRACKER_COUNTRY": "DK", "CARBONTRACKER_HTTP_TIMEOUT": "10"]))
        // In one blocking step: wait for the refresh to be waiting on the server, then stop, which
        // cancels it without a line, then wait for the intensity thread to end.
        let ended = try await IntensityTesting.blocking {
            let end = ContinuousClock.now + .seconds(15)
            while server.connectionCount == 0 && ContinuousClock.now < end { usleep(2_000) }
            source.stop()
            return source.waitForThreadEnd(seconds: 30)
        }
        #expect(ended)
        #expect(server.connectionCount == 1, "no forecast is asked for after stop()")
        #expect(diagnostics.messages("WARNING").isEmpty)
        #expect(
            diagnostics.messages("INFO") == [
                "Using intensity provider: Energi Data Service ('energidataservice')."
            ])
    }
}
