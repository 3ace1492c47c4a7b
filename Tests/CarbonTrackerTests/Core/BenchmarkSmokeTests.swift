import Foundation
import Testing

@testable import CarbonTracker
@testable import CarbonTrackerBenchmarks
@testable import CarbonTrackerMonitor
@testable import CarbonTrackerSources

/// Runs the benchmark scenarios at tiny sizes so the benchmark code keeps compiling and working.
/// The numbers are not checked against targets here: performance lives in `scripts/benchmark.py`.
@Suite struct BenchmarkSmokeTests {
    @Test func scenariosRunAtTinySizes() throws {
        let epochs = try Scenarios.epochCost(epochs: 50, logDir: CoreTest.temporaryDirectory())
        #expect(epochs["epochs"] == 50)
        #expect((epochs["median_us"] ?? -1) > 0)
        #expect((epochs["p99_us"] ?? 0) >= (epochs["median_us"] ?? .infinity))

        let sampling = try Scenarios.samplingCost(seconds: 0.1, hertz: 100)
        #expect((sampling["seconds"] ?? 0) >= 0.1)
        #expect((sampling["core_share_percent"] ?? -1) >= 0)

        let memory = try Scenarios.memory(first: 10, second: 200)
        #expect(memory["samples_second"] == 200)
        #expect((memory["samples_per_second"] ?? 0) > 0)

        let startup = try Scenarios.startup(repetitions: 2, environment: CoreTest.offline)
        #expect((startup["median_ms"] ?? -1) > 0)

        let logs = CoreTest.temporaryDirectory()
        let fixtures = try #require(Bundle.module.resourcePath) + "/Fixtures/python-logs"
        for name in try FileManager.default.contentsOfDirectory(atPath: fixtures) {
            try FileManager.default.copyItem(atPath: fixtures + "/" + name, toPath: logs + "/" + name)
        }
        let parser = try Scenarios.parser(directory: logs, repetitions: 1)
        #expect(parser["files"] == 24)
        #expect((parser["bytes"] ?? 0) > 0)
        #expect((parser["energy_kwh"] ?? 0) > 0)
    }
}
