import CarbonTrackerSources
import Foundation
import Testing

@testable import CarbonTrackerCLICore

@Suite struct CLIArgumentsTests {
    @Test func defaultsAndCommand() throws {
        let options = try CLIArguments.parse(["python", "train.py", "--output", "x"])
        #expect(options.logDir == "./logs")
        #expect(options.output == "carbon_report.html")
        #expect(
            options.command == ["python", "train.py", "--output", "x"],
            "flags after the command are the command's")
    }

    @Test(arguments: [
        [
            "--log_dir", "L", "--sim-cpu", "Xeon", "--sim-cpu-tdp", "100", "--sim-cpu-util", "0.25",
            "--sim-gpu", "A100",
            "--sim-gpu-watts", "400", "--sim-gpu-util", "1", "--", "sleep", "1",
        ],
        [
            "--log-dir=L", "--sim_cpu=Xeon", "--sim_cpu_tdp=100", "--sim_cpu_util=0.25", "--sim_gpu", "A100",
            "--sim_gpu_watts", "4e2", "--sim_gpu_util=1", "sleep", "1",
        ],
    ])
    func everySpellingSetsTheSameOptions(arguments: [String]) throws {
        let options = try CLIArguments.parse(arguments)
        #expect(options.logDir == "L")
        #expect(options.simCPU == "Xeon")
        #expect(options.simCPUTDP == 100)
        #expect(options.simCPUUtil == 0.25)
        #expect(options.simGPU == "A100")
        #expect(options.simGPUWatts == 400)
        #expect(options.simGPUUtil == 1)
        #expect(options.command == ["sleep", "1"])
    }

    @Test func apiKeysAcceptJSONAndPythonQuotes() throws {
        let json = try CLIArguments.parse(["--api_keys", #"{"electricitymaps": "KEY"}"#, "true"])
        #expect(json.apiKeys == ["electricitymaps": "KEY"])
        let python = try CLIArguments.parse(["--api-keys={'electricitymaps': 'K2'}", "true"])
        #expect(python.apiKeys == ["electricitymaps": "K2"])
    }

    @Test func parseReportAndHelp() throws {
        #expect(try CLIArguments.parse(["--parse", "logs"]).parseDirectory == "logs")
        let report = try CLIArguments.parse(["--report", "a_carbontracker.log", "--output", "r.html"])
        #expect(report.reportLogFile == "a_carbontracker.log")
        #expect(report.output == "r.html")
        #expect(try CLIArguments.parse(["--help"]).help)
        #expect(try CLIArguments.parse(["-h"]).help)
        #expect(CLIArguments.help.contains("--sim-cpu-tdp"))
        #expect(CLIArguments.help.contains("--log_dir, --log-dir DIR"))
    }

    @Test(arguments: [
        (["--bogus", "true"], "unknown option '--bogus'"),
        (["--sim-cpu-tdp", "abc", "true"], "option --sim-cpu-tdp: 'abc' is not a number"),
        (["--sim-cpu-tdp", "inf", "true"], "option --sim-cpu-tdp: 'inf' is not a finite number"),
        (["--sim-cpu-tdp=0x10", "true"], "option --sim-cpu-tdp: '0x10' is not a number"),
        (["--log_dir"], "option --log_dir needs a value (DIR)"),
        (["--log_dir="], "option --log_dir needs a non-empty value"),
        (["--help=yes"], "option --help takes no value"),
        (
            ["--api_keys", "[1]", "true"],
            #"option --api_keys: expected a JSON object of strings like '{"electricitymaps": "KEY"}'"#
        ),
        ([], "no command to run"),
        (["--log_dir", "x", "--"], "no command to run"),
        (["--parse", "a", "--report", "b"], "--parse and --report cannot be used together"),
        (["--parse", "a", "sleep"], "--parse and --report do not run a command; remove 'sleep'"),
    ])
    func badCommandLines(arguments: [String], message: String) {
        #expect(throws: CLIUsageError(message: message)) { try CLIArguments.parse(arguments) }
    }

    @Test func waitStatusesFollowTheShellConvention() {
        #expect(ChildProcess.Termination(waitStatus: 0).shellStatus == 0)
        #expect(ChildProcess.Termination(waitStatus: 3 << 8).shellStatus == 3)
        #expect(ChildProcess.Termination(waitStatus: 15).shellStatus == 143)
        #expect(ChildProcess.Termination(waitStatus: 9 | 0x80).shellStatus == 137, "core dump flag ignored")
    }

    @Test func commandsResolveThroughPathWithoutAShell() throws {
        let directory = NSTemporaryDirectory() + "ct-path-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let tool = directory + "/mytool"
        try Data("#!/bin/sh\nexit 0\n".utf8).write(to: URL(fileURLWithPath: tool))
        try FileManager.default.createDirectory(
            atPath: directory + "/other", withIntermediateDirectories: true)
        try Data("x".utf8).write(to: URL(fileURLWithPath: directory + "/other/mytool"))

        #expect(throws: ChildProcess.LaunchError.self) {
            try ChildProcess.resolve("mytool", searchPath: directory)
        }
        #expect(chmod(tool, 0o755) == 0)
        #expect(try ChildProcess.resolve("mytool", searchPath: "\(directory)/other:\(directory)") == tool)
        #expect(try ChildProcess.resolve(tool, searchPath: nil) == tool)
        #expect(throws: ChildProcess.LaunchError(message: "nope-\(12345): command not found", status: 127)) {
            try ChildProcess.resolve("nope-\(12345)", searchPath: directory)
        }
        // Without any execute bit even root may not run it.
        #expect(throws: ChildProcess.LaunchError.self) {
            try ChildProcess.resolve("mytool", searchPath: directory + "/other")
        }
    }
}
