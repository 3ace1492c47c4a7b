import Foundation
import Testing

@testable import CarbonTracker
@testable import CarbonTrackerMonitor
@testable import CarbonTrackerSources

/// Energy used before the provider's first answer is charged at that answer, not at a placeholder; a
/// run that ends before any answer names the fallback it was charged at.
@Suite struct IntensityInTimeTests {
    private static func read(_ directory: String, _ suffix: String) -> String {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        guard let name = names.first(where: { $0.hasSuffix(suffix) }) else { return "" }
        return (try? String(contentsOfFile: directory + "/" + name, encoding: .utf8)) ?? ""
    }

    /// A Danish provider that answers 120 g/kWh only once `answer` is opened. It holds a request for up
    /// to 110 s, below the client's 120 s time-out: on a loaded machine the test's own steps can be
    /// starved for tens of seconds, and the answer must still be the one the test releases.
    private static func server(answer: Latch) throws -> LoopbackHTTPServer {
        try LoopbackHTTPServer { request in
            guard request.path == "/dataset/CO2Emis" else { return .answer(status: 404, body: "") }
            _ = answer.wait(seconds: 110)
            return .json(
                IntensityPayloads.energiDataService(
                    dataset: "CO2Emis", records: [(0, "DK1", 120), (0, "DK2", 120)]))
        }
    }

    private static func tracker(epochs: Int, directory: String, server: LoopbackHTTPServer) throws
        -> CarbonTracker
    {
        try CarbonTracker(
            epochs: epochs, updateInterval: 0.02, components: "cpu", logDir: directory, simCPU: "Sim CPU",
            simCPUTDP: 100,
            options: TrackerOptions(
                console: CapturedConsole().console,
                environment: IntensityTesting.environment(
                    server, extra: ["CARBONTRACKER_COUNTRY": "DK", "CARBONTRACKER_HTTP_TIMEOUT": "120"])))
    }

    private static func twoEpochs(_ tracker: CarbonTracker) async throws {
        for _ in 0..<2 {
            try tracker.epochStart()
            try await Task.sleep(for: .milliseconds(80))
            try await IntensityTesting.blocking { try tracker.epochEnd() }
        }
    }

    @Test func epochsThatEndedBeforeTheFirstAnswerAreChargedAtIt() async throws {
        let answer = Latch()
        let server = try Self.server(answer: answer)
        defer {
            answer.open()
            server.stop()
        }
        let directory = IntensityTesting.temporaryDirectory()
        let tracker = try Self.tracker(epochs: 3, directory: directory, server: server)
        try await Self.twoEpochs(tracker)
        // Both epochs ended while the request was held: they were charged the provisional value.
        let early = try await IntensityTesting.blocking {
            let end = ContinuousClock.now + .seconds(60)
            while tracker.epochMeasurements.count < 2 && ContinuousClock.now < end { usleep(2_000) }
            return tracker.epochMeasurements
        }
        #expect(early.count == 2)
        #expect(early.allSatisfy { abs($0.co2eqGrams - $0.energyKilowattHours * 120) > 1e-12 })
        answer.open()
        let fetched = try await IntensityTesting.blocking {
            let end = ContinuousClock.now + .seconds(60)
            while ContinuousClock.now < end {
                if Self.read(directory, "_carbontracker.log").contains("Carbon intensity fetched: 120.00") {
                    return true
                }
                usleep(5_000)
            }
            return false
        }
        #expect(fetched)
        try await IntensityTesting.blocking { try tracker.stop() }
        let actual = try #require(tracker.actualConsumption)
        #expect(actual.energyKilowattHours > 0)
        #expect(abs(actual.co2eqGrams - actual.energyKilowattHours * 120) < 1e-9)
        #expect(
            Self.read(directory, "_carbontracker.log").contains(
                "Average carbon intensity during training was 120.00 gCO2eq/kWh."))
        #expect(
            !Self.read(directory, "_carbontracker_output.log").contains(
                "No carbon intensity had been fetched"))
        // The epochs themselves are re-priced too.
        for epoch in tracker.epochMeasurements {
            #expect(abs(epoch.co2eqGrams - epoch.energyKilowattHours * 120) < 1e-9)
        }
    }

    @Test func aRunThatEndsBeforeAnyAnswerNamesTheFallback() async throws {
        let answer = Latch()
        let server = try Self.server(answer: answer)
        defer {
            answer.open()
            server.stop()
        }
        let directory = IntensityTesting.temporaryDirectory()
        let tracker = try Self.tracker(epochs: 2, directory: directory, server: server)
        try await Self.twoEpochs(tracker)
        let actual = try #require(tracker.actualConsumption)
        let fallback = IntensityMessages.fallback(for: IntensityLocation(countryCode: "DK"))
        #expect(abs(actual.co2eqGrams - actual.energyKilowattHours * fallback.gramsPerKilowattHour) < 1e-9)
        let output = Self.read(directory, "_carbontracker_output.log")
        #expect(output.contains("No carbon intensity had been fetched by the end of the run"))
        #expect(
            output.contains(
                "\(String(format: "%.2f", fallback.gramsPerKilowattHour)) gCO2eq/kWh (\(fallback.source))"))
        try await IntensityTesting.blocking { try tracker.stop() }
    }
}
