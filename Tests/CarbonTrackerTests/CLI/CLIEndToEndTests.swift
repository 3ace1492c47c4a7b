import Foundation
import Testing

@testable import CarbonTracker
@testable import CarbonTrackerMonitor
@testable import CarbonTrackerSources

/// Runs the built `carbontracker` executable, as a user would, on short commands with simulated
/// hardware. `swift build --build-tests` and `swift test` build it next to the test bundle.
@Suite struct CLIEndToEndTests {
    struct Run {
        var status: Int32
        var standardOutput: String
        var standardError: String
    }

    /// The executable in the build directory that holds this test bundle's resources.
    static var binary: String? {
        if let path = ProcessInfo.processInfo.environment["CARBONTRACKER_CLI"] { return path }
        let candidates = [
            Bundle.module.bundleURL.deletingLastPathComponent(),
            Bundle.main.bundleURL, Bundle.main.bundleURL.deletingLastPathComponent(),
        ].map { $0.appendingPathComponent("carbontracker").path }
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    /// Starts the executable; `body` may signal it while it runs.
    static func run(
        _ arguments: [String], input: String? = nil,
        environment extra: [String: String] = ["CARBONTRACKER_OFFLINE": "1"],
        whileRunning body: ((Process) throws -> Void)? = nil
    ) throws -> Run {
        let executable = try #require(binary, "build the carbontracker product first (swift build)")
        let directory = try ParserTestSupport.scratchDirectory("cli-io")
        defer { ParserTestSupport.cleanUp(directory) }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        var environment = ProcessInfo.processInfo.environment
        // Run inside a Slurm job or under mpirun, these runs would otherwise share the job's node lock.
        environment["CARBONTRACKER_DISTRIBUTED"] = "0"
        environment.merge(extra) { _, new in new }
        process.environment = environment
        #expect(FileManager.default.createFile(atPath: directory + "/out", contents: nil))
        #expect(FileManager.default.createFile(atPath: directory + "/err", contents: nil))
        try ParserTestSupport.write(input ?? "", to: directory + "/in")
        process.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: directory + "/out"))
        process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: directory + "/err"))
        process.standardInput = try FileHandle(forReadingFrom: URL(fileURLWithPath: directory + "/in"))
        try process.run()
        if let body {
            do { try body(process) } catch {
                process.terminate()
                throw error
            }
        }
        process.waitUntilExit()
        return Run(
            status: process.terminationStatus,
            standardOutput: try ParserTestSupport.read(directory + "/out"),
            standardError: try ParserTestSupport.read(directory + "/err"))
    }

    /// Waits until the tracked child has started: its epoch is open once the standard log exists.
    static func waitForLog(in directory: String) throws {
        for _ in 0..<100 {
            let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
            if names.contains(where: { $0.hasSuffix("carbontracker.log") }) {
                usleep(300_000)
                return
            }
            usleep(50_000)
        }
        Issue.record("carbontracker wrote no log in \(directory)")
    }

    @Test func tracksACommandAsOneEpoch() throws {
        let logs = try ParserTestSupport.scratchDirectory()
        defer { ParserTestSupport.cleanUp(logs) }
        let run = try Self.run([
            "--log_dir", logs, "--sim-cpu", "Sim Xeon", "--sim-cpu-tdp", "100", "--", "sleep", "1",
        ])
        #expect(run.status == 0, "\(run.standardError)")
        #expect(run.standardOutput.contains("Actual consumption:"))

        let entry = try #require(try LogParser.parseAllLogs(logDir: logs).entries.first)
        let cpu = try #require(entry.components.first { $0.name == "cpu" })
        let duration = try #require(cpu.epochDurationsSeconds?.first)
        #expect(duration >= 0.95 && duration < 3, "duration \(duration)")
        #expect(cpu.averagePowerWatts == [[50]], "100 W TDP × 0.5 utilisation")
        #expect(cpu.measurementMethod == .simulated)
        #expect(cpu.devices == ["Sim Xeon"])
        let actual = try #require(entry.actual)
        // The output log says only "Actual consumption:" (no prediction); the event log, which the parser
        // prefers, records the one epoch.
        #expect(actual.epochs == 1)
        #expect(entry.eventLogFile?.hasSuffix("_carbontracker_events.jsonl") == true)
        let expectedKilowattHours = 50 * duration * powerUsageEffectiveness / 3_600_000
        #expect(abs(actual.energyKilowattHours - expectedKilowattHours) < expectedKilowattHours * 0.02)
    }

    @Test func exitStatusesAndStreamsPassThrough() throws {
        let logs = try ParserTestSupport.scratchDirectory()
        defer { ParserTestSupport.cleanUp(logs) }
        let simulated = ["--log_dir", logs, "--sim-cpu", "C", "--sim-cpu-tdp", "10"]
        let failing = try Self.run(
            simulated + ["sh", "-c", "cat; echo to-stderr >&2; exit 3"], input: "hello stdin")
        #expect(failing.status == 3)
        #expect(failing.standardOutput.contains("CarbonTracker: The following components"))
        #expect(failing.standardOutput.contains("hello stdin"))
        #expect(failing.standardError.contains("to-stderr"))
        let killed = try Self.run(simulated + ["sh", "-c", "kill -KILL $$"])
        #expect(killed.status == 137)
        #expect(try LogParser.parseAllLogs(logDir: logs).entries.count == 2, "both runs were tracked")
    }

    @Test(arguments: [(SIGTERM, Int32(143)), (SIGINT, Int32(130))])
    func signalsAreForwardedToTheCommand(signal: Int32, status: Int32) throws {
        let logs = try ParserTestSupport.scratchDirectory()
        defer { ParserTestSupport.cleanUp(logs) }
        let started = ContinuousClock.now
        let run = try Self.run(["--log_dir", logs, "--sim-gpu", "G", "--sim-gpu-watts", "200", "sleep", "30"])
        {
            process in
            try Self.waitForLog(in: logs)
            kill(process.processIdentifier, signal)
        }
        #expect(run.status == status, "\(run.standardError)")
        #expect(ContinuousClock.now - started < .seconds(15), "sleep was stopped, not waited for")
        let entry = try #require(try LogParser.parseAllLogs(logDir: logs).entries.first)
        #expect(entry.components.first?.epochDurationsSeconds?.count == 1, "the epoch is still logged")
    }

    @Test func badCommandLinesExitWithStatusTwo() throws {
        let unknown = try Self.run(["--frobnicate", "sleep", "1"])
        #expect(unknown.status == 2)
        let lines = unknown.standardError.split(separator: "\n")
        #expect(lines.first == "carbontracker: error: unknown option '--frobnicate'")
        #expect(lines.dropFirst().first?.hasPrefix("usage: carbontracker") == true)
        #expect(try Self.run(["--sim-cpu-tdp", "x", "true"]).status == 2)
        #expect(try Self.run([]).status == 2)
        let logs = try ParserTestSupport.scratchDirectory()
        defer { ParserTestSupport.cleanUp(logs) }
        let missingTDP = try Self.run(["--log_dir", logs, "--sim-cpu", "C", "true"])
        #expect(missingTDP.status == 2, "\(missingTDP.standardError)")
        let notFound = try Self.run(["--log_dir", logs, "no-such-command-ct"])
        #expect(notFound.status == 127)
        #expect(notFound.standardError.contains("no-such-command-ct: command not found"))
        let help = try Self.run(["--help"])
        #expect(help.status == 0 && help.standardOutput.contains("--sim-gpu-watts"))
    }

    @Test func parseAddsUpAMixedDirectory() throws {
        let logs = try ParserTestSupport.scratchDirectory()
        defer { ParserTestSupport.cleanUp(logs) }
        try ParserTestSupport.copyPythonLogs(to: logs)
        let tracked = try Self.run([
            "--log_dir", logs, "--sim-cpu", "C", "--sim-cpu-tdp", "100", "sleep", "0.2",
        ])
        #expect(tracked.status == 0)

        let run = try Self.run(["--parse", logs])
        #expect(run.status == 0, "\(run.standardError)")
        let mixed = try LogParser.aggregateConsumption(logDir: logs)
        let python = try LogParser.aggregateConsumption(logDir: ParserTestSupport.pythonLogs)
        #expect(mixed.runsCounted == python.runsCounted + 1)
        #expect(mixed.energy > python.energy)
        #expect(run.standardOutput == mixed.sentence + "\n")
        // The one warning: the Python runs logged no range, so their figures enter the bounds unwidened.
        let warnings = run.standardError.split(separator: "\n")
        #expect(warnings.count == 1, "\(run.standardError)")
        #expect(
            run.standardError.contains("\(python.runsCounted) run(s) logged no range"), "\(run.standardError)"
        )

        let missing = try Self.run(["--parse", "/nonexistent/ct-logs"])
        #expect(missing.status == 1)
        #expect(missing.standardError.contains("/nonexistent/ct-logs"))
    }

    @Test func reportWritesHTMLAndRefusesPDF() throws {
        let directory = try ParserTestSupport.scratchDirectory()
        defer { ParserTestSupport.cleanUp(directory) }
        let log = ParserTestSupport.pythonLogs + "/7441.593662_2026-11-21T063448Z_carbontracker.log"
        let output = directory + "/report.html"
        let run = try Self.run(["--report", log, "--output", output])
        #expect(run.status == 0, "\(run.standardError)")
        #expect(run.standardOutput == "Report generated: \(output)\n")
        #expect(try ParserTestSupport.read(output).contains("<svg"))
        let pdf = try Self.run(["--report", log, "--output", directory + "/report.pdf"])
        #expect(pdf.status == 2)
        #expect(pdf.standardError.contains("PDF reports are not supported; use an .html output"))
        #expect(!FileManager.default.fileExists(atPath: directory + "/report.pdf"))
        let missing = try Self.run(["--report", directory + "/none_carbontracker.log", "--output", output])
        #expect(missing.status == 1)
    }
}

/// The wrapped command's own CPU work is what the sensorless estimate charges, in a cgroup of its own
/// where one can be made (root and a cgroup2 mount), else as this process's tree.
@Suite struct CLIScopeTests {
    #if os(Linux)
        @Test func theCommandsOwnCPUTimeDrivesTheEstimate() throws {
            let directory = try TemporaryDirectory()
            var environment = TestTracker.isolatedEnvironment(directory)
            environment["CARBONTRACKER_OFFLINE"] = "1"
            environment["CARBONTRACKER_SCOPE"] = nil
            var dynamicJoules: [Double] = []
            let cpus = Double(ProcessInfo.processInfo.activeProcessorCount)
            for command in ["sleep 1", "head -c 150000000 /dev/urandom > /dev/null; sleep 0.2"] {
                let logs = try ParserTestSupport.scratchDirectory()
                defer { ParserTestSupport.cleanUp(logs) }
                let run = try CLIEndToEndTests.run(
                    ["--log_dir", logs, "--components", "cpu", "--", "sh", "-c", command],
                    environment: environment)
                #expect(run.status == 0, "\(run.standardError)")
                let entry = try #require(try LogParser.parseAllLogs(logDir: logs).entries.first)
                let standard = try #require(
                    try FileManager.default.contentsOfDirectory(atPath: logs).first {
                        $0.hasSuffix("carbontracker.log")
                    })
                let log = try ParserTestSupport.read(logs + "/" + standard)
                let expected =
                    RealCgroup.isAvailable ? "Scope of the measured work: cgroup " : "process tree of"
                #expect(log.contains(expected))
                #expect(log.contains("CPU power is modelled per vCPU"))
                let cpu = try #require(entry.components.first { $0.name == "cpu" })
                let watts = try #require(cpu.averagePowerWatts?.first?.first)
                let seconds = try #require(cpu.epochDurationsSeconds?.first)
                // The energy less the idle part (0.74 W for each CPU held) is 2.76 J per CPU-second used.
                dynamicJoules.append(watts * seconds - 0.74 * cpus * seconds)
            }
            // Sleeping costs (nearly) no CPU time; 150 MB of random bytes take a few tenths of a CPU-second,
            // however long the machine makes the command wait.
            #expect(dynamicJoules[0] < 0.3, "\(dynamicJoules)")
            #expect(dynamicJoules[1] > 0.4, "\(dynamicJoules)")
        }
    #endif
}
