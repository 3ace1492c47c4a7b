import Foundation
import Testing

@testable import CarbonTracker
@testable import CarbonTrackerMonitor
@testable import CarbonTrackerSources

/// Every number accepted at the door is finite and plausible, and every on/off variable is on or
/// off: anything else is `.invalidConfiguration` (or a CLI error) naming the setting and the value.
struct AbsurdValueTests {
    /// The message of the `.invalidConfiguration` error `body` throws, or `nil`.
    static func configurationError(_ body: () throws -> Void) -> String? {
        do {
            try body()
            return nil
        } catch let error as CarbonTrackerError where error.code == .invalidConfiguration {
            return error.message
        } catch {
            return "unexpected: \(error)"
        }
    }

    static func tracker(
        updateInterval: Double = 1, simCPUTDP: Double = 10, simCPUUtil: Double = 0.5,
        simGPUWatts: Double = 10,
        simGPUUtil: Double = 0.5,
        options: TrackerOptions = TrackerOptions(environment: ["CARBONTRACKER_OFFLINE": "1"])
    ) throws {
        let tracker = try CarbonTracker(
            epochs: 1, updateInterval: updateInterval, simCPU: "C", simCPUTDP: simCPUTDP,
            simCPUUtil: simCPUUtil,
            simGPU: "G", simGPUWatts: simGPUWatts, simGPUUtil: simGPUUtil,
            options: options)
        try tracker.stop()
    }

    @Test func absurdNumbersAreRefusedNamingTheValue() {
        let cases: [(String, () throws -> Void)] = [
            ("simCPUTDP", { try Self.tracker(simCPUTDP: 1e308) }),
            ("simCPUTDP", { try Self.tracker(simCPUTDP: 1.7e308) }),
            ("simCPUTDP", { try Self.tracker(simCPUTDP: -1) }),
            ("simGPUWatts", { try Self.tracker(simGPUWatts: 20_000) }),
            ("simGPUWatts", { try Self.tracker(simGPUWatts: .infinity) }),
            ("simCPUUtil", { try Self.tracker(simCPUUtil: .nan) }),
            ("simGPUUtil", { try Self.tracker(simGPUUtil: 1.5) }),
            ("updateInterval", { try Self.tracker(updateInterval: 1e12) }),
            ("updateInterval", { try Self.tracker(updateInterval: 0) }),
            (
                "shutdownTimeoutSeconds",
                {
                    try Self.tracker(
                        options: TrackerOptions(
                            environment: ["CARBONTRACKER_OFFLINE": "1"], shutdownTimeoutSeconds: .infinity))
                }
            ),
            (
                "pue",
                {
                    try Self.tracker(
                        options: TrackerOptions(environment: ["CARBONTRACKER_OFFLINE": "1"], pue: 1e300))
                }
            ),
        ]
        for (name, body) in cases {
            let message = Self.configurationError(body)
            #expect(message?.contains(name) == true, "\(name): \(message ?? "accepted")")
            #expect(message?.contains("got ") == true, "names the value: \(message ?? "")")
        }
    }

    @Test func badVariablesAreRefusedNamingTheirText() {
        let cases = [
            ("CARBONTRACKER_OFFLINE", "garbage"), ("CARBONTRACKER_DISTRIBUTED", "maybe"),
            ("CARBONTRACKER_EVENT_LOG", "2"), ("CARBONTRACKER_PUE", "inf"), ("CARBONTRACKER_PUE", "1e400"),
            ("CARBONTRACKER_PUE", "11"), ("CARBONTRACKER_POWERMETRICS_INTERVAL_MS", "99999999999"),
            ("CARBONTRACKER_POWERMETRICS_INTERVAL_MS", "nan"),
        ]
        for (variable, text) in cases {
            var environment = ["CARBONTRACKER_OFFLINE": "1"]
            environment[variable] = text
            let message = Self.configurationError {
                try Self.tracker(options: TrackerOptions(environment: environment))
            }
            #expect(
                message?.contains(variable) == true && message?.contains("'\(text)'") == true,
                "\(variable)=\(text): \(message ?? "accepted")")
        }
        // The usual spellings still work.
        for (variable, text) in [
            ("CARBONTRACKER_OFFLINE", "TRUE"), ("CARBONTRACKER_EVENT_LOG", "off"),
            ("CARBONTRACKER_PUE", "1.2"),
        ] {
            var environment = ["CARBONTRACKER_OFFLINE": "1"]
            environment[variable] = text
            #expect(
                Self.configurationError {
                    try Self.tracker(options: TrackerOptions(environment: environment))
                } == nil)
        }
    }

    @Test(.enabled(if: CLIEndToEndTests.binary != nil, "build the carbontracker product first"))
    func theCLIRefusesAbsurdFlagsAndVariablesAsUsageErrors() throws {
        let tdp = try CLIEndToEndTests.run(["--sim-cpu", "C", "--sim-cpu-tdp", "1e308", "--", "true"])
        #expect(
            tdp.status == 2 && tdp.standardError.contains("simCPUTDP") && tdp.standardError.contains("1e+308")
        )
        #expect(!tdp.standardError.contains("inf") && !tdp.standardOutput.contains("nan"))
        let offline = try CLIEndToEndTests.run(
            ["--sim-cpu", "C", "--sim-cpu-tdp", "10", "--", "true"],
            environment: ["CARBONTRACKER_OFFLINE": "garbage"])
        #expect(
            offline.status == 2 && offline.standardError.contains("CARBONTRACKER_OFFLINE")
                && offline.standardError.contains("'garbage'"), "\(offline.standardError)")
    }
}
