import Foundation
import Testing

@testable import CarbonTracker
@testable import CarbonTrackerMonitor
@testable import CarbonTrackerSources

/// Synthetic runs and the outside tools the exporter tests check against.
enum ExportTest {
    static let start = Date(timeIntervalSince1970: 1_790_000_000.25)

    static let gpu = ComponentInfo(
        kind: .gpu, handlerName: "simulated", devices: ["Sim A100"], method: .simulated)
    static let cpu = ComponentInfo(
        kind: .cpu, handlerName: "RAPL", devices: ["cpu:0", "dram:0"], method: .counter)

    static func description(
        runID: String = "run-a_4242.17_2026-09-21T120000Z", labels: [RunLabel] = [], location: String? = nil
    ) -> RunDescription {
        RunDescription(
            runID: runID, version: "2.4.7-swift.1", startDate: start, components: [gpu, cpu],
            powerUsageEffectiveness: 1.58,
            configuration: ["epochs": "3", "update_interval": "1", "log_file_prefix": "run-a"],
            node: "node-7", location: location, labels: labels)
    }

    /// Epoch `number` (1-based): 2 s, GPU 248 W, CPU package 40 W and DRAM 10.5 W, at 445 g/kWh.
    static func epoch(_ number: Int, seconds: Double = 2) -> RunEvent {
        .epoch(
            number: number,
            measurement("epoch \(number)", offset: Double(number - 1) * seconds, seconds: seconds))
    }

    static func measurement(_ name: String, offset: Double, seconds: Double) -> WindowMeasurement {
        let components = [
            ComponentEnergy(
                kind: .gpu, devices: ["Sim A100"], method: .simulated, joules: [248 * seconds],
                averageWatts: [248]),
            ComponentEnergy(
                kind: .cpu, devices: ["cpu:0", "dram:0"], method: .counter,
                joules: [40 * seconds, 10.5 * seconds],
                averageWatts: [40, 10.5]),
        ]
        let kilowattHours = (248 + 40 + 10.5) * seconds * 1.58 / 3_600_000
        return WindowMeasurement(
            name: name, startDate: start.addingTimeInterval(offset),
            endDate: start.addingTimeInterval(offset + seconds), durationSeconds: seconds,
            components: components,
            energyKilowattHours: kilowattHours, co2eqGrams: kilowattHours * 445, gramsPerKilowattHour: 445,
            isApproximate: false)
    }

    static let intensity = IntensityEstimate(
        gramsPerKilowattHour: 445, address: "Copenhagen, Capital Region, DK", countryCode: "DK",
        isFetched: true,
        isLocalized: true, source: "Energi Data Service")

    static func report(_ kind: ConsumptionReport.Kind, epochs: Int, seconds: Double = 2) -> ConsumptionReport
    {
        let kilowattHours = (248 + 40 + 10.5) * seconds * Double(epochs) * 1.58 / 3_600_000
        return ConsumptionReport(
            kind: kind, epochs: epochs, durationSeconds: seconds * Double(epochs),
            energyKilowattHours: kilowattHours,
            co2eqGrams: kilowattHours * 445, gramsPerKilowattHour: 445,
            equivalents: [.init(unit: "km travelled by car", amount: 0.00123)],
            components: [], epochDurationsSeconds: Array(repeating: seconds, count: epochs))
    }

    /// A whole run of three epochs with a window, a prediction after the first epoch and the actual report.
    static func run(labels: [RunLabel] = [], runID: String = "run-a_4242.17_2026-09-21T120000Z") -> [RunEvent]
    {
        [
            .runStarted(description(runID: runID, labels: labels)),
            .intensity(intensity, fetchedAt: start),
            epoch(1),
            .prediction(report(.predicted, epochs: 3)),
            epoch(2),
            .window(measurement("eval \"quoted\"\n", offset: 3, seconds: 0.5)),
            epoch(3),
            .actual(report(.actual, epochs: 3)),
            .runEnded(start.addingTimeInterval(6.5)),
        ]
    }

    /// Joules per device over ``run(labels:)``'s three epochs.
    static let runJoules = (gpu: 248.0 * 6, cpu: 40.0 * 6, dram: 10.5 * 6)

    // MARK: Outside tools

    /// A program found on `PATH`, or named by an environment variable.
    static func tool(_ variable: String, names: [String]) -> String? {
        let environment = ProcessInfo.processInfo.environment
        if let path = environment[variable], FileManager.default.isExecutableFile(atPath: path) {
            return path
        }
        for directory in (environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":") {
            for name in names where FileManager.default.isExecutableFile(atPath: "\(directory)/\(name)") {
                return "\(directory)/\(name)"
            }
        }
        return nil
    }

    /// `CARBONTRACKER_PYTHON`, if it can import every module named.
    static func python(with modules: [String]) -> String? {
        guard let python = ProcessInfo.processInfo.environment["CARBONTRACKER_PYTHON"] else { return nil }
        let result = try? TestProcess.run(python, ["-c", "import " + modules.joined(separator: ", ")])
        return result?.status == 0 ? python : nil
    }

    static let promtool = tool("CARBONTRACKER_PROMTOOL", names: ["promtool"])
    static let pushgateway = tool(
        "CARBONTRACKER_PUSHGATEWAY", names: ["prometheus-pushgateway", "pushgateway"])

    /// Runs a Python script with arguments and returns its standard output, expecting success.
    static func runPython(_ python: String, _ script: String, _ arguments: [String]) throws -> String {
        let result = try TestProcess.run(python, ["-c", script] + arguments)
        #expect(result.status == 0, "Python failed: \(result.error)")
        return result.output
    }
}
