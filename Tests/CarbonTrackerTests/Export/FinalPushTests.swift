import Foundation
import Testing

@testable import CarbonTracker
@testable import CarbonTrackerMonitor
@testable import CarbonTrackerSources

/// The run's final push to the Pushgateway is made before the process goes away, within its bound,
/// or reported as one warning naming the gateway.
@Suite struct FinalPushTests {
    /// A loopback gateway that answers every push with 200 except the final one (the one with both
    /// epochs of a two-epoch run), to which it gives `reply`.
    private static func droppingGateway(_ reply: LoopbackHTTPServer.Reply) throws -> LoopbackHTTPServer {
        try LoopbackHTTPServer { request in
            let final = String(decoding: request.body, as: UTF8.self).contains("carbontracker_epochs_total 2")
            return final ? reply : .answer(status: 200, body: "")
        }
    }

    /// The error log's lines about the Pushgateway.
    private static func pushgatewayLines(_ errorLog: String) -> [String] {
        errorLog.split(separator: "\n").map(String.init).filter { $0.contains("Pushgateway") }
    }

    /// Trains two short epochs against `server`, stops, and measures how long stop() and the wait for
    /// the final push took.
    private static func run(against server: LoopbackHTTPServer) throws -> (
        trainingSeconds: Double, waitedSeconds: Double, done: Bool, errorLog: String
    ) {
        var options = CoreTest.options()
        options.prometheusPushgateway = server.baseURL
        let tracker = try CarbonTracker(
            epochs: 2, updateInterval: 0.02, logDir: CoreTest.temporaryDirectory(), simCPU: "Sim Xeon",
            simCPUTDP: 101, options: options)
        let clock = ContinuousClock()
        let training = try clock.measure {
            try CoreTest.train(tracker, epochs: 2, seconds: 0.05)
            try tracker.stop()
        }
        var done = false
        let waited = clock.measure { done = tracker.awaitFinalPush() }
        let paths = try #require(tracker.logFiles)
        return (Self.seconds(training), Self.seconds(waited), done, CoreTest.read(paths.error))
    }

    static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }

    @Test func aFinalPushWithoutAnAnswerIsOneWarningNamingTheGatewayWithinTheBound() throws {
        let server = try Self.droppingGateway(.hang)
        defer { server.stop() }
        let run = try Self.run(against: server)
        #expect(run.done, "the wait ended because the push was reported, not because the wait ran out")
        // The push time-out is 3 s; the wait is bounded by it and one second.
        #expect(run.waitedSeconds >= 2.5, "the final push was held by the gateway: \(run.waitedSeconds) s")
        #expect(run.waitedSeconds <= 4.25, "waited \(run.waitedSeconds) s")
        #expect(run.trainingSeconds < 2.5, "training and stop() never wait on the gateway")
        let lines = Self.pushgatewayLines(run.errorLog)
        #expect(lines.count == 1, "\(lines)")
        #expect(lines.first?.contains("final push") == true)
        #expect(lines.first?.contains("127.0.0.1:\(server.port)") == true)
        #expect(
            server.requests.contains {
                String(decoding: $0.body, as: UTF8.self).contains("carbontracker_epochs_total 2")
            }, "the final push was attempted")
    }

    @Test func aFinalPushWhoseConnectionIsDroppedIsOneWarningAtOnce() throws {
        let server = try Self.droppingGateway(.close)
        defer { server.stop() }
        let run = try Self.run(against: server)
        #expect(run.done)
        #expect(
            run.waitedSeconds < 2,
            "a dropped connection fails at once: \(run.waitedSeconds) s; \(run.errorLog)")
        let lines = Self.pushgatewayLines(run.errorLog)
        #expect(lines.count == 1, "\(lines)")
        #expect(lines.first?.contains("final push") == true)
        #expect(lines.first?.contains("127.0.0.1:\(server.port)") == true)
    }

    @Test func theCLIExitsWithTheCommandsStatusWithinTheBoundWhenTheFinalPushHangs() throws {
        let server = try LoopbackHTTPServer { request in
            // The run's one epoch is in the final push only: every other push is answered.
            String(decoding: request.body, as: UTF8.self).contains("carbontracker_epochs_total 1")
                ? .hang : .answer(status: 200, body: "")
        }
        defer { server.stop() }
        let logs = CoreTest.temporaryDirectory()
        let clock = ContinuousClock()
        var run: CLIEndToEndTests.Run?
        let elapsed = try clock.measure {
            run = try CLIEndToEndTests.run(
                ["--log_dir", logs, "--sim-cpu", "Sim Xeon", "--sim-cpu-tdp", "101", "--", "/bin/false"],
                environment: CoreTest.offline.merging(
                    ["CARBONTRACKER_PROMETHEUS_PUSHGATEWAY": server.baseURL]) { _, new in new })
        }
        #expect(run?.status == 1, "the command's status")
        let seconds = Self.seconds(elapsed)
        #expect(seconds >= 2.5, "the CLI waited for the final push: \(seconds) s")
        #expect(seconds <= 7, "the CLI waited at most the push time-out and one second: \(seconds) s")
        let names = try FileManager.default.contentsOfDirectory(atPath: logs)
        let errorLog = try #require(names.first { $0.hasSuffix("_carbontracker_err.log") })
        let lines = Self.pushgatewayLines(CoreTest.read(logs + "/" + errorLog))
        #expect(lines.count == 1, "\(lines)")
        #expect(lines.first?.contains("127.0.0.1:\(server.port)") == true)
    }
}

/// A real Pushgateway, in memory, receives the final totals of CLI runs and of library runs that
/// end in every normal way.
@Suite(
    .enabled(
        if: ExportTest.pushgateway != nil,
        "skipped: install prometheus-pushgateway (Debian) or set CARBONTRACKER_PUSHGATEWAY to run the Pushgateway test"
    ))
struct FinalPushGatewayTests {
    /// The energy of every device, per the standard log in `directory`, and the run's id.
    private static func logged(in directory: String) throws -> (runID: String, joules: [Double], epochs: Int)
    {
        let names = try FileManager.default.contentsOfDirectory(atPath: directory)
        let name = try #require(names.first { $0.hasSuffix("_carbontracker.log") })
        let measured = ExportEndToEndTests.measuredJoules(CoreTest.read(directory + "/" + name))
        let joules = measured.flatMap { epoch in epoch.values.flatMap { $0 } }
        return (EventLogExporter.runID(logPath: name), joules.sorted(), measured.count)
    }

    /// What the gateway serves for a run: every energy series and the epoch count.
    private static func pushed(_ base: URL, runID: String) throws -> (joules: [Double], epochs: Double?) {
        let metrics = try #require(RealPushgatewayTests.get(base.appendingPathComponent("metrics")))
        let lines = metrics.body.split(separator: "\n").filter { $0.contains("run=\"\(runID)\"") }
        func values(_ name: String) -> [Double] {
            lines.filter { $0.hasPrefix(name + "{") }.compactMap {
                $0.split(separator: " ").last.flatMap { Double($0) }
            }
        }
        return (
            values("carbontracker_energy_joules_total").sorted(), values("carbontracker_epochs_total").first
        )
    }

    /// Checks that the gateway holds the log's final totals for the run in `directory`.
    private static func expectFinalTotals(_ base: URL, logs directory: String, _ note: String) throws {
        let logged = try Self.logged(in: directory)
        #expect(logged.epochs == 1, "\(note)")
        #expect(!logged.joules.isEmpty, "\(note)")
        let pushed = try Self.pushed(base, runID: logged.runID)
        #expect(pushed.epochs == Double(logged.epochs), "\(note): the final push reached the gateway")
        #expect(pushed.joules.count == logged.joules.count, "\(note)")
        for (value, expected) in zip(pushed.joules, logged.joules) {
            // The log rounds to the microjoule.
            #expect(abs(value - expected) <= 1e-6, "\(note): \(value) pushed, \(expected) logged")
        }
    }

    @Test func aWrappedCommandLeavesItsFinalTotalsOnTheGatewayTenTimesInARow() throws {
        let (gateway, base) = try RealPushgatewayTests.startGateway()
        defer {
            gateway.terminate()
            gateway.waitUntilExit()
        }
        var environment = CoreTest.offline
        environment["CARBONTRACKER_PROMETHEUS_PUSHGATEWAY"] = base.absoluteString
        for attempt in 1...10 {
            let logs = CoreTest.temporaryDirectory()
            let run = try CLIEndToEndTests.run(
                ["--log_dir", logs, "--sim-cpu", "Sim Xeon", "--sim-cpu-tdp", "101", "--", "/bin/true"],
                environment: environment)
            #expect(run.status == 0, "run \(attempt): \(run.standardError)")
            // Read at once: the CLI has exited, so the push must already be there.
            try Self.expectFinalTotals(base, logs: logs, "run \(attempt)")
        }
    }

    @Test(arguments: ["stop-exit", "exit-call", "exit-return", "exit-function"])
    func aLibraryRunLeavesItsFinalTotalsOnTheGateway(mode: String) throws {
        let program = try #require(
            TrackerExitTests.program, "build the test programs first (swift build --build-tests)")
        let (gateway, base) = try RealPushgatewayTests.startGateway()
        defer {
            gateway.terminate()
            gateway.waitUntilExit()
        }
        let logs = CoreTest.temporaryDirectory()
        let result = try TestProcess.run(program, [mode, logs, base.absoluteString])
        #expect(result.status == 0, "\(result.error)")
        try Self.expectFinalTotals(base, logs: logs, mode)
    }
}
