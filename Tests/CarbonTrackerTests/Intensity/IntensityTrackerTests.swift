import Foundation
import Testing

@testable import CarbonTracker
@testable import CarbonTrackerMonitor
@testable import CarbonTrackerSources

/// `CarbonTracker` with a simulated CPU and its real intensity source against the loopback server:
/// the reported intensity, CO2eq = energy × intensity, the log lines, and that nothing waits.
@Suite struct IntensityTrackerTests {
    /// A tracker whose logs go to a fresh directory; 50 W simulated CPU.
    private struct Run {
        let tracker: CarbonTracker
        let directory: String
        let console: CapturedConsole

        var standardLog: String { read("_carbontracker.log") }
        var errorLog: String { read("_carbontracker_err.log") }
        var outputLog: String { read("_carbontracker_output.log") }
        /// Everything printed to standard output and standard error.
        var printed: String { console.printed + console.warnings }

        private func read(_ suffix: String) -> String {
            let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
            guard let name = names.first(where: { $0.hasSuffix(suffix) }) else { return "" }
            return (try? String(contentsOfFile: directory + "/" + name, encoding: .utf8)) ?? ""
        }

        /// Waits until the standard or error log contains `text` (the sampling thread flushes often).
        func waitForLog(_ text: String, seconds: Double = 15) async throws -> Bool {
            let end = ContinuousClock.now + .seconds(seconds)
            while ContinuousClock.now < end {
                if standardLog.contains(text) || errorLog.contains(text) { return true }
                try await Task.sleep(for: .milliseconds(10))
            }
            return standardLog.contains(text) || errorLog.contains(text)
        }

        /// Runs `count` epochs of about 60 ms each.
        func epochs(_ count: Int) async throws {
            for _ in 0..<count {
                try tracker.epochStart()
                try await Task.sleep(for: .milliseconds(60))
                let tracker = tracker
                try await IntensityTesting.blocking { try tracker.epochEnd() }
            }
        }
    }

    private func makeRun(
        epochs: Int = 2, epochsBeforePred: Int = 0, environment: [String: String],
        apiKeys: [String: String]? = nil,
        location: IntensityLocation? = nil, intensitySource: (any CarbonIntensitySource)? = nil
    ) throws -> Run {
        let directory = IntensityTesting.temporaryDirectory()
        let console = CapturedConsole()
        let tracker = try CarbonTracker(
            epochs: epochs, epochsBeforePred: epochsBeforePred, updateInterval: 0.02, components: "cpu",
            logDir: directory, apiKeys: apiKeys, simCPU: "Sim CPU", simCPUTDP: 100,
            options: TrackerOptions(
                intensitySource: intensitySource, console: console.console, environment: environment,
                location: location))
        return Run(tracker: tracker, directory: directory, console: console)
    }

    /// Checks that the actual report used `gramsPerKilowattHour` for every joule.
    private func expectActual(_ run: Run, gramsPerKilowattHour: Double) throws {
        let actual = try #require(run.tracker.actualConsumption)
        #expect(actual.energyKilowattHours > 0)
        #expect(abs(actual.gramsPerKilowattHour - gramsPerKilowattHour) < 1e-6)
        #expect(abs(actual.co2eqGrams - actual.energyKilowattHours * gramsPerKilowattHour) < 1e-9)
        let average = String(format: "%.2f", gramsPerKilowattHour)
        #expect(
            run.standardLog.contains("Average carbon intensity during training was \(average) gCO2eq/kWh."))
    }

    private static func energiDataService(_ request: LoopbackHTTPServer.Request) -> LoopbackHTTPServer.Reply {
        switch request.path {
        case "/dataset/CO2Emis":
            .json(
                IntensityPayloads.energiDataService(
                    dataset: "CO2Emis", records: [(0, "DK1", 120), (0, "DK2", 180)]))
        case "/dataset/CO2EmisProg":
            .json(
                IntensityPayloads.energiDataService(
                    dataset: "CO2EmisProg", records: (0..<60).map { (Double($0 * 5), "DK2", 50) }))
        default: .answer(status: 404, body: "")
        }
    }

    @Test func inDenmarkTheServedIntensityIsReported() async throws {
        let server = try LoopbackHTTPServer(route: Self.energiDataService)
        defer { server.stop() }
        let run = try makeRun(
            environment: IntensityTesting.environment(
                server, extra: ["CARBONTRACKER_COUNTRY": "DK", "CARBONTRACKER_HTTP_TIMEOUT": "3"]))
        #expect(try await run.waitForLog("Carbon intensity fetched: 150.00 gCO2/kWh at DK"))
        try await run.epochs(2)
        try expectActual(run, gramsPerKilowattHour: 150)
        #expect(
            run.standardLog.contains(
                "Carbon intensities (gCO2eq/kWh) fetched every 900 s at detected location: DK: [150.0]"))
        #expect(run.errorLog.isEmpty)
    }

    @Test func inGreatBritainTheRegionalIntensityOfTheLookedUpPostcodeIsReported() async throws {
        let server = try LoopbackHTTPServer(route: IntensityPayloads.londonByIP)
        defer { server.stop() }
        let run = try makeRun(
            environment: IntensityTesting.environment(server, extra: ["CARBONTRACKER_HTTP_TIMEOUT": "3"]))
        #expect(try await run.waitForLog("Carbon intensity fetched: 141.00"))
        try await run.epochs(2)
        try expectActual(run, gramsPerKilowattHour: 141)
        #expect(run.standardLog.contains("at detected location: London, England, GB: [141.0]"))
    }

    @Test func inAnElectricityMapsZoneTheServedIntensityIsReportedAndTheKeyStaysSecret() async throws {
        let key = "ct-test-key-7f3a9c"
        let server = try LoopbackHTTPServer { request in
            switch request.path {
            case "/v3/carbon-intensity/latest":
                request.headers["auth-token"] == key
                    ? .json(IntensityPayloads.electricityMapsLatest(zone: "DE", 311))
                    : .answer(status: 401, body: "{}")
            default:
                // A forecast refused with the key echoed back must not leak it either.
                .answer(
                    status: 403,
                    body: "{\"message\": \"forecast not in plan for \(request.headers["auth-token"] ?? "")\"}"
                )
            }
        }
        defer { server.stop() }
        let run = try makeRun(
            epochs: 3, epochsBeforePred: 1,
            environment: IntensityTesting.environment(server, extra: ["CARBONTRACKER_HTTP_TIMEOUT": "3"]),
            apiKeys: ["electricitymaps": key], location: IntensityLocation(zone: "DE"))
        #expect(try await run.waitForLog("Carbon intensity fetched: 311.00 gCO2/kWh at DE"))
        try await run.epochs(3)
        try expectActual(run, gramsPerKilowattHour: 311)
        #expect(server.requests.first?.query == ["zone": "DE"])
        #expect(run.errorLog.contains("Failed to predict carbon intensity for the next"))
        // The body of an authenticated request is never quoted, so the echoed key cannot reach the log.
        #expect(!run.errorLog.contains("forecast not in plan"))
        for text in [run.standardLog, run.errorLog, run.outputLog, run.printed] {
            #expect(!text.contains(key))
        }
        #expect(!run.standardLog.isEmpty && !run.printed.isEmpty)
    }

    @Test func withTheServerFailingTheCountryAverageIsReported() async throws {
        let server = try LoopbackHTTPServer { _ in .answer(status: 503, body: "") }
        defer { server.stop() }
        let run = try makeRun(
            environment: IntensityTesting.environment(server, extra: ["CARBONTRACKER_COUNTRY": "DK"]))
        #expect(
            try await run.waitForLog("Live carbon intensity could not be fetched at detected location: DK."))
        try await run.epochs(2)
        let denmark = try #require(ReferenceData.countryIntensity(alpha2: "DK"))
        try expectActual(run, gramsPerKilowattHour: denmark.gramsPerKilowattHour)
    }

    @Test func offlineWithoutACountryReportsTheWorldAverageAndConnectsToNothing() async throws {
        let server = try LoopbackHTTPServer { _ in .json("{}") }
        defer { server.stop() }
        let run = try makeRun(
            environment: IntensityTesting.environment(server, extra: ["CARBONTRACKER_OFFLINE": "1"]))
        try await run.epochs(2)
        try expectActual(run, gramsPerKilowattHour: 445)
        #expect(run.standardLog.contains("fetched every 900 s at detected location: Unknown: [445.0]"))
        #expect(
            run.errorLog.contains(
                "WARNING - No carbon intensity provider specified and no location detected."))
        #expect(server.connectionCount == 0)
    }

    @Test(arguments: [[:], ["CARBONTRACKER_COUNTRY": "DK"]])
    func constructionAndTheFirstEpochEndDoNotWaitForAHangingServer(extra: [String: String]) async throws {
        let server = try LoopbackHTTPServer { _ in .hang }
        defer { server.stop() }
        var environment = IntensityTesting.environment(server, extra: extra)
        environment["CARBONTRACKER_HTTP_TIMEOUT"] = "20"
        var run: Run?
        let construction = try IntensityTesting.seconds {
            run = try makeRun(epochs: 3, epochsBeforePred: 2, environment: environment)
        }
        let tracker = try #require(run).tracker
        // From the request reaching the server to stop(), in one blocking step: the test runner's pool,
        // busy with other tests (under the thread sanitizer, on a loaded machine), can otherwise delay
        // a step past the 20 s time-out, after which the lookup has ended or the forecast is asked for.
        let (connections, firstEpoch, stopping) = try await IntensityTesting.blocking {
            let end = ContinuousClock.now + .seconds(15)
            while server.connectionCount == 0 && ContinuousClock.now < end { usleep(2_000) }
            let connections = server.connectionCount
            let firstEpoch = try IntensityTesting.seconds {
                try tracker.epochStart()
                try tracker.epochEnd()
            }
            return (connections, firstEpoch, try IntensityTesting.seconds { try tracker.stop() })
        }
        #expect(connections == 1, "the intensity thread's request is stuck on the server")
        #expect(construction < 0.2)
        #expect(firstEpoch < 0.2)
        #expect(stopping < 2)
        let lookupWarning =
            "Location could not be determined before monitoring ended (127.0.0.1:\(server.port) had not answered)."
        #expect(try #require(run).errorLog.contains(lookupWarning) == extra.isEmpty)
    }

    @Test func thePredictionUsesTheProvidersForecastForTheRemainingTime() async throws {
        let server = try LoopbackHTTPServer(route: Self.energiDataService)
        defer { server.stop() }
        let environment = IntensityTesting.environment(
            server, extra: ["CARBONTRACKER_COUNTRY": "DK", "CARBONTRACKER_HTTP_TIMEOUT": "3"])
        let source = try IntensityTesting.source(options: TrackerOptions(environment: environment))
        let run = try makeRun(
            epochs: 4, epochsBeforePred: 1, environment: environment, intensitySource: source)
        #expect(try await run.waitForLog("Carbon intensity fetched: 150.00"))
        // The forecast is fetched ahead, by the intensity thread; the prediction only reads it.
        #expect(
            try await IntensityTesting.blocking {
                let end = ContinuousClock.now + .seconds(15)
                while source.forecastAttempts == 0 && ContinuousClock.now < end { usleep(2_000) }
                return source.forecastAttempts > 0
            })
        try await run.epochs(1)
        #expect(try await run.waitForLog("is predicted to be 50.00 gCO2eq/kWh at detected location: DK."))
        let predicted = try #require(run.tracker.predictedConsumption)
        let first = try #require(run.tracker.epochMeasurements.first)
        let expected = first.co2eqGrams + (predicted.energyKilowattHours - first.energyKilowattHours) * 50
        #expect(abs(first.co2eqGrams - first.energyKilowattHours * 150) < 1e-9)
        #expect(abs(predicted.co2eqGrams - expected) < 1e-9)
        let tracker = run.tracker
        try await IntensityTesting.blocking { try tracker.stop() }
    }

    @Test func intensityChangesAreWeightedByEnergy() async throws {
        let served = LockedBox(100.0)
        let server = try LoopbackHTTPServer { _ in
            let value = served.withLock { $0 }
            return .json(
                IntensityPayloads.energiDataService(
                    dataset: "CO2Emis", records: [(0, "DK1", value), (0, "DK2", value)]))
        }
        defer { server.stop() }
        let environment = IntensityTesting.environment(
            server, extra: ["CARBONTRACKER_COUNTRY": "DK", "CARBONTRACKER_HTTP_TIMEOUT": "3"])
        let source = try IntensityTesting.source(
            options: TrackerOptions(environment: environment), refreshIntervalSeconds: 0.1)
        let run = try makeRun(epochs: 1, environment: environment, intensitySource: source)
        #expect(try await run.waitForLog("Carbon intensity fetched: 100.00"))
        try run.tracker.epochStart()
        try await Task.sleep(for: .milliseconds(300))
        served.withLock { $0 = 300 }
        #expect(try await run.waitForLog("Carbon intensity fetched: 300.00"))
        try await Task.sleep(for: .milliseconds(300))
        let tracker = run.tracker
        try await IntensityTesting.blocking { try tracker.epochEnd() }
        let actual = try #require(run.tracker.actualConsumption)
        #expect(actual.gramsPerKilowattHour > 100 && actual.gramsPerKilowattHour < 300)
        #expect(abs(actual.co2eqGrams - actual.energyKilowattHours * actual.gramsPerKilowattHour) < 1e-9)
        #expect(run.standardLog.contains("100.0, 300.0"))
    }

    @Test func anUnknownProviderNameFailsConstructionAndSetAPIKeys() throws {
        #expect {
            _ = try makeRun(environment: ["CARBONTRACKER_OFFLINE": "1"], apiKeys: ["watttime": "abc"])
        } throws: { error in
            (error as? CarbonTrackerError)?.code == .invalidConfiguration
                && (error as? CarbonTrackerError)?.message.contains("'watttime'") == true
        }
        let run = try makeRun(environment: ["CARBONTRACKER_OFFLINE": "1"])
        #expect(throws: CarbonTrackerError.self) { try run.tracker.setAPIKeys(["co2signal": "abc"]) }
        #expect(throws: Never.self) { try run.tracker.setAPIKeys(["electricitymaps": "abc"]) }
        try run.tracker.stop()
    }
}
