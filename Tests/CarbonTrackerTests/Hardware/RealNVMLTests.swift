import Foundation
import Testing

@testable import CarbonTracker
@testable import CarbonTrackerMonitor
@testable import CarbonTrackerSources

/// Against a real NVIDIA driver: run with `CARBONTRACKER_TEST_REAL_NVML=1 swift test --filter RealNVMLTests`
/// on a machine with an NVIDIA GPU (Volta or newer, for the energy counter). Elsewhere the suite is
/// skipped, and says so in the test output.
@Suite(
    .enabled(
        if: ProcessInfo.processInfo.environment["CARBONTRACKER_TEST_REAL_NVML"] == "1",
        "set CARBONTRACKER_TEST_REAL_NVML=1 on a machine with an NVIDIA GPU to measure the real driver"),
    .serialized)
struct RealNVMLTests {
    /// Runs `Fixtures/hardware/gpu_load.c`, which reads and loads the GPU without this package's code.
    final class Load {
        let directory: TemporaryDirectory
        var executable: String { directory.file("gpu_load") }

        init() throws {
            directory = try TemporaryDirectory()
            try CCompiler.build("gpu_load.c", to: executable, shared: false)
        }

        func run(_ arguments: [String]) throws -> String {
            let result = try TestProcess.run(executable, arguments)
            guard result.status == 0 else {
                throw CarbonTrackerError(
                    .measurementFailed, "gpu_load \(arguments) failed: \(result.status) \(result.error)")
            }
            return result.output.trimmingCharacters(in: .whitespacesAndNewlines)
        }

        /// The driver's own total energy of all GPUs, in joules.
        func driverJoules() throws -> Double {
            try Double(run(["energy"])).map { $0 / 1000 } ?? .nan
        }
    }

    @Test func epochEnergyMatchesTheDriversCounterWhenIdleAndBusy() throws {
        let load = try Load()
        let logs = try TemporaryDirectory()
        var environment = ProcessInfo.processInfo.environment
        environment["CARBONTRACKER_RAPL_DIR"] = logs.file("no-powercap")
        let tracker = try TestTracker.make(
            in: logs, components: "gpu", updateInterval: 0.1, environment: environment)
        TestTracker.waitForComponents(tracker)
        pause(0.5)
        var driver: [Double] = []
        for busy in [false, true] {
            let before = try load.driverJoules()
            try tracker.epochStart()
            if busy { _ = try load.run(["busy", "5"]) } else { pause(3) }
            try tracker.epochEnd()
            driver.append(try load.driverJoules() - before)
        }
        try tracker.stop()
        let measured = tracker.epochMeasurements.map {
            $0.components.reduce(0) { $0 + $1.joules.reduce(0, +) }
        }
        let durations = tracker.epochMeasurements.map(\.durationSeconds)
        let report = zip(zip(measured, driver), durations).map { pair, seconds in
            String(
                format: "package %.1f J, driver %.1f J over %.2f s (%.1f W)", pair.0, pair.1, seconds,
                pair.0 / seconds)
        }
        print("Real NVML (\(tracker.components.first?.devices ?? [])): idle \(report[0]); busy \(report[1])")
        #expect(tracker.components.first?.method == .counter)
        for (package, counter) in zip(measured, driver) {
            // The driver is read a few milliseconds outside the epoch, by a separate process.
            #expect(abs(package - counter) <= 0.03 * counter + 5, "package \(package) J, driver \(counter) J")
        }
        #expect(measured[1] / durations[1] > measured[0] / durations[0], "busy draws more power than idle")
    }
}
