import Foundation
import Testing

@testable import CarbonTracker
@testable import CarbonTrackerCLICore
@testable import CarbonTrackerMonitor
@testable import CarbonTrackerSources

/// Provider keys that need not appear in `ps`: from `--api-keys-file` or `CARBONTRACKER_API_KEYS`.
@Suite struct CLIAPIKeyTests {
    @Test func keysComeFromTheFlagElseTheFileElseTheEnvironment() throws {
        let directory = try ParserTestSupport.scratchDirectory()
        defer { ParserTestSupport.cleanUp(directory) }
        try ParserTestSupport.write("{'electricitymaps': 'from-file'}\n", to: directory + "/keys.json")
        let environment = [CLIArguments.apiKeysVariable: "{\"electricitymaps\": \"from-env\"}"]
        func keys(_ arguments: [String], _ environment: [String: String]) throws -> [String: String]? {
            try CLIArguments.resolveAPIKeys(
                CLIArguments.parse(arguments + ["true"]), environment: environment)
        }
        #expect(
            try keys(["--api-keys", "{\"electricitymaps\": \"from-flag\"}"], environment) == [
                "electricitymaps": "from-flag"
            ])
        #expect(
            try keys(["--api-keys-file", directory + "/keys.json"], environment) == [
                "electricitymaps": "from-file"
            ])
        #expect(try keys([], environment) == ["electricitymaps": "from-env"])
        #expect(try keys([], [:]) == nil)
        #expect(try keys([], [CLIArguments.apiKeysVariable: ""]) == nil)
    }

    @Test func badKeySourcesAreUsageErrorsThatQuoteNoKey() throws {
        let secret = "sk-live-do-not-print"
        #expect(throws: CLIUsageError(message: "--api-keys and --api-keys-file cannot be used together")) {
            try CLIArguments.parse(["--api-keys", "{}", "--api-keys-file", "/k", "true"])
        }
        let malformed = #expect(throws: CLIUsageError.self) {
            try CLIArguments.resolveAPIKeys(
                CLIArguments.parse(["true"]),
                environment: [CLIArguments.apiKeysVariable: "electricitymaps=\(secret)"])
        }
        #expect(malformed?.message.hasPrefix("option CARBONTRACKER_API_KEYS: expected a JSON object") == true)
        #expect(malformed?.message.contains(secret) == false)
        let missing = #expect(throws: CLIUsageError.self) {
            try CLIArguments.resolveAPIKeys(
                CLIArguments.parse(["--api-keys-file", "/nonexistent/ct-keys", "true"]), environment: [:])
        }
        #expect(
            missing?.message
                == "--api-keys-file: cannot read '/nonexistent/ct-keys': No such file or directory")
    }

    /// End to end: the tracked run asks Electricity Maps with the key, and no output, log or error
    /// message of `carbontracker` contains it.
    @Test(arguments: ["environment", "file"])
    func aKeyFromTheEnvironmentOrAFileIsUsedAndNeverPrinted(source: String) throws {
        let key = "em-secret-\(UUID().uuidString.prefix(8))"
        let directory = try ParserTestSupport.scratchDirectory()
        defer { ParserTestSupport.cleanUp(directory) }
        let asked = directory + "/asked"
        let server = try LoopbackHTTPServer { request in
            guard request.path == "/v3/carbon-intensity/latest" else { return .answer(status: 404, body: "") }
            _ = FileManager.default.createFile(atPath: asked, contents: nil)
            return .json(IntensityPayloads.electricityMapsLatest(zone: "DE", 250))
        }
        defer { server.stop() }
        var environment = IntensityTesting.environment(server, extra: ["CARBONTRACKER_COUNTRY": "DE"])
        var arguments = ["--log_dir", directory + "/logs", "--sim-cpu", "C", "--sim-cpu-tdp", "10"]
        if source == "environment" {
            environment[CLIArguments.apiKeysVariable] = "{\"electricitymaps\": \"\(key)\"}"
        } else {
            try ParserTestSupport.write("{\"electricitymaps\": \"\(key)\"}", to: directory + "/keys")
            arguments += ["--api-keys-file", directory + "/keys"]
        }
        // The command ends once the provider has been asked (or after 30 s).
        let wait = "i=0; while [ ! -e '\(asked)' ] && [ $i -lt 600 ]; do sleep 0.05; i=$((i+1)); done"
        let run = try CLIEndToEndTests.run(arguments + ["sh", "-c", wait], environment: environment)
        #expect(run.status == 0, "\(run.standardError)")
        #expect(server.requests.first?.headers["auth-token"] == key)
        #expect(!arguments.contains { $0.contains(key) }, "not on the command line, so not in ps")
        var printed = run.standardOutput + run.standardError
        for name in try FileManager.default.contentsOfDirectory(atPath: directory + "/logs") {
            printed += try ParserTestSupport.read(directory + "/logs/" + name)
        }
        #expect(printed.contains("Electricity Maps"), "the provider was used: \(printed)")
        #expect(!printed.contains(key))
    }
}
