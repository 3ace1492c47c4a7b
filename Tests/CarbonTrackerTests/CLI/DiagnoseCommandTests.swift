import Foundation
import Testing

@testable import CarbonTracker
@testable import CarbonTrackerCLICore
@testable import CarbonTrackerMonitor
@testable import CarbonTrackerSources

/// `carbontracker --diagnose`: its flags, and the command run in-process and as the built executable.
@Suite struct DiagnoseCommandTests {
    private static func capture() -> (ConsoleOutput, @Sendable () -> (String, String)) {
        let output = LockedBox(("", ""))
        let console = ConsoleOutput(
            standardOutput: { text in output.withLock { $0.0 += text } },
            standardError: { text in output.withLock { $0.1 += text } })
        return (console, { output.withLock { $0 } })
    }

    @Test func parsesTheDiagnoseFlags() throws {
        let plain = try CLIArguments.parse(["--diagnose"])
        #expect(plain.diagnose && plain.diagnoseSeconds == 5 && plain.components == "all")
        let tuned = try CLIArguments.parse([
            "--diagnose", "--components", "gpu,cpu", "--diagnose-seconds=0.5",
        ])
        #expect(tuned.components == "gpu,cpu" && tuned.diagnoseSeconds == 0.5)
        #expect(CLIArguments.help.contains("--diagnose"))
    }

    @Test(arguments: [
        (["--diagnose", "--parse", "logs"], "--diagnose cannot be used with --parse or --report"),
        (["--diagnose", "sleep", "1"], "--diagnose does not run a command; remove 'sleep'"),
        (["--diagnose", "--diagnose-seconds", "-1"], "--diagnose-seconds must be between 0 and 3600"),
    ])
    func refusesDiagnoseWithOtherModes(arguments: [String], message: String) {
        #expect(throws: CLIUsageError(message: message)) { try CLIArguments.parse(arguments) }
    }

    @Test func printsTheDiagnosisAndExitsOneWhenTheCPUIsEstimated() throws {
        let directory = try TemporaryDirectory()
        var environment = TestTracker.isolatedEnvironment(directory)
        environment["CARBONTRACKER_OFFLINE"] = "1"
        let (console, captured) = Self.capture()
        let status = CarbonTrackerCommand.main(
            arguments: ["--diagnose", "--diagnose-seconds", "0", "--components", "cpu"],
            environment: environment,
            console: console)
        let (output, error) = captured()
        #expect(status == 1)
        #expect(error.isEmpty)
        #expect(output.contains("CPU: estimated"))
        #expect(output.contains("  RAPL: unavailable"))
        #expect(output.contains("  CPU power model: used, method estimated, devices: AMD EPYC"))
        #expect(output.contains("CPU is estimated (exit status 1)."))
        #expect(output.contains("\nScope\n  ") && output.contains(" CPUs ("))
    }

    @Test func anUnknownComponentIsAUsageError() throws {
        let (console, captured) = Self.capture()
        let status = CarbonTrackerCommand.main(
            arguments: ["--diagnose", "--components", "tpu"], environment: [:], console: console)
        #expect(status == 2)
        #expect(captured().1.contains("Unknown component 'tpu'"))
    }

    @Test func theBuiltExecutableDiagnosesAndExitsWithItsVerdict() async throws {
        let executable = try #require(
            CLIEndToEndTests.binary, "build the carbontracker product first (swift build)")
        let directory = try TemporaryDirectory()
        let tree = try FakePowercap.server()
        var environment = TestTracker.isolatedEnvironment(directory)
        environment["CARBONTRACKER_OFFLINE"] = "1"
        environment["CARBONTRACKER_RAPL_DIR"] = tree.root
        let childEnvironment = environment
        // The child runs for its measurement window; waiting for it blocks a thread of its own.
        let (status, text) = try await IntensityTesting.blocking { () -> (Int32, String) in
            let process = Process()
            process.executableURL = URL(fileURLWithPath: executable)
            process.arguments = ["--diagnose", "--diagnose-seconds", "0.2", "--components", "cpu"]
            process.environment = childEnvironment
            let output = Pipe()
            process.standardOutput = output
            try process.run()
            let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            process.waitUntilExit()
            return (process.terminationStatus, text)
        }
        #expect(status == 0, "\(text)")
        #expect(text.contains("  RAPL: used, method counter, devices: cpu:0, dram:0, cpu:1, dram:1"))
        #expect(text.contains("Every requested component is measured (exit status 0)."))
        withExtendedLifetime(tree) {}
    }
}

/// `--diagnose` gets provider keys as a tracked run does, also from the environment or a file.
@Suite struct DiagnoseCommandKeyTests {
    private static func diagnose(_ environment: [String: String], _ extra: [String] = []) -> (Int32, String) {
        let output = LockedBox("")
        let console = ConsoleOutput(
            standardOutput: { text in output.withLock { $0 += text } },
            standardError: { text in output.withLock { $0 += text } })
        let status = CarbonTrackerCommand.main(
            arguments: ["--diagnose", "--diagnose-seconds", "0", "--components", "cpu"] + extra,
            environment: environment, console: console)
        return (status, output.withLock { $0 })
    }

    @Test func keysFromTheEnvironmentOrAFileChooseTheProvider() throws {
        let directory = try TemporaryDirectory()
        let server = try LoopbackHTTPServer { request in
            guard request.path == "/v3/carbon-intensity/latest" else { return .answer(status: 404, body: "") }
            return .json(IntensityPayloads.electricityMapsLatest(zone: "DE", 250))
        }
        defer { server.stop() }
        let environment = TestTracker.isolatedEnvironment(directory).merging(
            IntensityTesting.environment(server, extra: ["CARBONTRACKER_COUNTRY": "DE"])
        ) { $1 }
        let (_, without) = Self.diagnose(environment)
        #expect(!without.contains("from Electricity Maps"), "\(without)")
        #expect(
            !server.requests.contains { $0.path.hasPrefix("/v3") }, "no key, no request to Electricity Maps")

        var withVariable = environment
        withVariable[CLIArguments.apiKeysVariable] = "{\"electricitymaps\": \"em-secret-env\"}"
        let (_, fromVariable) = Self.diagnose(withVariable)
        #expect(
            fromVariable.contains("live value now: 250.00 gCO2eq/kWh from Electricity Maps"),
            "\(fromVariable)")
        #expect(server.requests.last?.headers["auth-token"] == "em-secret-env")
        #expect(!fromVariable.contains("em-secret-env"))

        let keys = directory.path + "/keys.json"
        try ParserTestSupport.write("{\"electricitymaps\": \"em-secret-file\"}", to: keys)
        let (_, fromFile) = Self.diagnose(environment, ["--api-keys-file", keys])
        #expect(fromFile.contains("live value now: 250.00 gCO2eq/kWh from Electricity Maps"), "\(fromFile)")
        #expect(server.requests.last?.headers["auth-token"] == "em-secret-file")
        #expect(!fromFile.contains("em-secret-file"))

        let (status, unreadable) = Self.diagnose(environment, ["--api-keys-file", directory.path + "/none"])
        #expect(status == 2)
        #expect(unreadable.contains("--api-keys-file: cannot read"))
    }
}
