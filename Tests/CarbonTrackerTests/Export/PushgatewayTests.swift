import Foundation
import Testing

@testable import CarbonTracker
@testable import CarbonTrackerMonitor
@testable import CarbonTrackerSources

/// A transport that records every `PUT` and answers as told; it can hold a push until released.
final class FakePushTransport: MetricsPushTransport {
    struct Put: Sendable {
        var url: URL
        var body: String
        var headers: [String: String]
    }

    private let puts = LockedBox<[Put]>([])
    private let answer: @Sendable () throws -> Int
    /// Closed while a push should wait.
    let gate: Latch?
    let entered = Latch()

    init(gate: Latch? = nil, answer: @escaping @Sendable () throws -> Int = { 200 }) {
        self.gate = gate
        self.answer = answer
    }

    var received: [Put] { puts.withLock { $0 } }

    func put(url: URL, body: Data, headers: [String: String], timeoutSeconds: Double) throws -> Int {
        puts.withLock {
            $0.append(Put(url: url, body: String(decoding: body, as: UTF8.self), headers: headers))
        }
        entered.open()
        gate?.wait(seconds: 30)
        return try answer()
    }
}

@Suite struct PushgatewayExporterTests {
    static let base = URL(string: "http://gateway.example:9091/prefix/")!

    static func exporter(
        _ transport: FakePushTransport, diagnostics: RecordingDiagnostics = RecordingDiagnostics(),
        interval: Double = 3600, authorization: String? = nil
    ) -> PushgatewayExporter {
        PushgatewayExporter(
            settings: .init(
                baseURL: base, authorization: authorization, timeoutSeconds: 5,
                minimumIntervalSeconds: interval),
            transport: transport, diagnostics: diagnostics)
    }

    @Test func groupURLsEncodeLabelValuesThePushgatewayWay() {
        #expect(
            PushgatewayExporter.groupURL(
                base: Self.base, host: "node-7", runID: "run-a_42.1_2026-01-01T000000Z"
            )
            .absoluteString
                == "http://gateway.example:9091/prefix/metrics/job/carbontracker/instance/node-7/run/run-a_42.1_2026-01-01T000000Z"
        )
        #expect(PushgatewayExporter.pathLabel("run", "a/b") == "run@base64/YS9i")
        #expect(PushgatewayExporter.pathLabel("run", "") == "run@base64/=")
        #expect(PushgatewayExporter.pathLabel("instance", "é ?>") == "instance@base64/w6kgPz4=")
        #expect(PushgatewayExporter.pathLabel("instance", "..") == "instance@base64/Li4=")
    }

    @Test func pushesOnceThenAtMostOncePerIntervalAndAtFinish() throws {
        let transport = FakePushTransport()
        let exporter = Self.exporter(transport, authorization: "Basic dTpw")
        let events = ExportTest.run()
        exporter.record([events[0]])
        #expect(transport.entered.wait(seconds: 30), "the first figures are pushed at once")
        for event in events.dropFirst() { exporter.record([event]) }
        exporter.finish()
        // The interval (an hour here) held back every change after the first push until finish.
        let puts = transport.received
        #expect(puts.count == 2)
        let last = try #require(puts.last)
        #expect(
            last.url.absoluteString
                == "http://gateway.example:9091/prefix/metrics/job/carbontracker/instance/node-7/run/"
                + "run-a_4242.17_2026-09-21T120000Z")
        #expect(last.headers["Authorization"] == "Basic dTpw")
        #expect(last.headers["Content-Type"] == "text/plain; version=0.0.4; charset=utf-8")
        #expect(last.body.contains(#"carbontracker_epochs_total 3.0"#))
        #expect(
            last.body.contains(
                #"carbontracker_energy_joules_total{component="gpu",device="Sim A100",method="simulated"} 1488.0"#
            ))
    }

    @Test func recordNeverWaitsForAPushInFlight() throws {
        let gate = Latch()
        let transport = FakePushTransport(gate: gate)
        let exporter = Self.exporter(transport, interval: 0)
        exporter.record([.runStarted(ExportTest.description())])
        #expect(transport.entered.wait(seconds: 30))
        // The push is blocked in the transport; these calls return regardless.
        for number in 1...50 { exporter.record([ExportTest.epoch(number)]) }
        #expect(transport.received.count == 1, "still the first push, held at the gate")
        gate.open()
        exporter.finish()
        let last = try #require(transport.received.last)
        #expect(last.body.contains("carbontracker_epochs_total 50.0"), "the final push has the final figures")
    }

    @Test func failuresAreOneWarningWithoutCredentials() {
        let diagnostics = RecordingDiagnostics()
        let transport = FakePushTransport { 401 }
        let exporter = Self.exporter(
            transport, diagnostics: diagnostics, interval: 0, authorization: "Basic c2VjcmV0")
        exporter.record([.runStarted(ExportTest.description())])
        #expect(transport.entered.wait(seconds: 30))
        exporter.record([ExportTest.epoch(1)])
        exporter.finish()
        #expect(transport.received.count >= 2)
        let warnings = diagnostics.messages("warning")
        #expect(warnings.count == 1, "\(warnings)")
        #expect(warnings.first?.contains("HTTP 401 from gateway.example:9091") == true)
        #expect(warnings.first?.contains("CARBONTRACKER_PROMETHEUS_AUTH") == true)
        #expect(warnings.allSatisfy { !$0.contains("c2VjcmV0") && !$0.contains("secret") })
    }

    @Test func aFinalPushThatFailsAfterSuccessesIsItsOwnWarningAndIsNotRepeated() {
        let diagnostics = RecordingDiagnostics()
        let calls = LockedBox(0)
        let transport = FakePushTransport {
            calls.withLock { $0 += 1 }
            return calls.withLock { $0 } == 1 ? 200 : 503
        }
        let exporter = Self.exporter(transport, diagnostics: diagnostics)
        exporter.record([.runStarted(ExportTest.description())])
        #expect(transport.entered.wait(seconds: 30))
        exporter.record([ExportTest.epoch(1)])
        exporter.finish()
        #expect(exporter.awaitFinish(seconds: 0))
        #expect(transport.received.count == 2, "the final push is attempted once")
        let warnings = diagnostics.messages("warning")
        #expect(warnings.count == 1, "\(warnings)")
        #expect(warnings.first?.contains("final push") == true)
        #expect(warnings.first?.contains("HTTP 503 from gateway.example:9091") == true)
    }

    @Test func aFailedPushIsMadeAgainAtTheEndEvenWithoutNewFigures() {
        let diagnostics = RecordingDiagnostics()
        let calls = LockedBox(0)
        let transport = FakePushTransport {
            calls.withLock { $0 += 1 }
            return calls.withLock { $0 } == 1 ? 500 : 200
        }
        let exporter = Self.exporter(transport, diagnostics: diagnostics)
        exporter.record([.runStarted(ExportTest.description()), ExportTest.epoch(1)])
        #expect(transport.entered.wait(seconds: 30))
        exporter.finish()
        #expect(transport.received.count == 2, "the figures the failed push held are pushed at the end")
        #expect(diagnostics.messages("warning").count == 1, "the first failure; the final push succeeded")
    }

    @Test func unreachableGatewaysAreAWarningNotADelay() {
        let diagnostics = RecordingDiagnostics()
        let transport = FakePushTransport {
            throw MetricsPushError("127.0.0.1:1 could not be reached (connection refused)")
        }
        let exporter = Self.exporter(transport, diagnostics: diagnostics)
        exporter.record(ExportTest.run())
        exporter.finish()
        #expect(diagnostics.messages("warning").count == 1)
        #expect(diagnostics.messages("warning").first?.contains("connection refused") == true)
    }

    @Test func nothingIsPushedWithoutARun() {
        let transport = FakePushTransport()
        let exporter = Self.exporter(transport)
        exporter.record([ExportTest.epoch(1)])
        exporter.finish()
        #expect(transport.received.isEmpty)
    }
}

/// A real Pushgateway (Debian package `prometheus-pushgateway`, installed by `.ci/run`) on
/// 127.0.0.1 receives the pushes over HTTP and serves the series with the run's values.
@Suite(
    .enabled(
        if: ExportTest.pushgateway != nil,
        "skipped: install prometheus-pushgateway (Debian) or set CARBONTRACKER_PUSHGATEWAY to run the Pushgateway test"
    ))
struct RealPushgatewayTests {
    /// A free port on 127.0.0.1, found by binding port 0.
    static func freePort() throws -> UInt16 {
        let fd = socket(AF_INET, TestPlatform.streamSocket, 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        try #require(bound == 0)
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        return UInt16(bigEndian: address.sin_port)
    }

    static func get(_ url: URL) -> (status: Int, body: String)? {
        let answer = try? CurlHTTPClient().get(url, headers: [:], timeoutSeconds: 5)
        return answer.map { (status: $0.status, body: String(decoding: $0.body, as: UTF8.self)) }
    }

    /// Starts the real Pushgateway on a free loopback port and waits until it is ready; the caller stops it.
    /// It keeps what is pushed in memory only (Debian's default persists it to a shared file under
    /// /var/lib/prometheus and reloads it at the next start), so a test never finds an earlier run's series.
    static func startGateway() throws -> (process: Process, base: URL) {
        let binary = try #require(ExportTest.pushgateway)
        let port = try Self.freePort()
        let gateway = Process()
        gateway.executableURL = URL(fileURLWithPath: binary)
        gateway.arguments = ["--web.listen-address=127.0.0.1:\(port)", "--persistence.file="]
        gateway.standardOutput = FileHandle.nullDevice
        gateway.standardError = FileHandle.nullDevice
        try gateway.run()
        let base = URL(string: "http://127.0.0.1:\(port)")!
        let deadline = Date(timeIntervalSinceNow: 30)
        var ready = false
        while !ready && Date() < deadline && gateway.isRunning {
            ready = Self.get(base.appendingPathComponent("-/ready"))?.status == 200
            if !ready { usleep(100_000) }
        }
        if !ready {
            gateway.terminate()
            gateway.waitUntilExit()
        }
        try #require(ready, "the Pushgateway did not become ready on port \(port)")
        return (gateway, base)
    }

    @Test func theGatewayServesTheRunsSeries() throws {
        let (gateway, base) = try Self.startGateway()
        defer {
            gateway.terminate()
            gateway.waitUntilExit()
        }

        let diagnostics = RecordingDiagnostics()
        let settings = try RunExporters.pushgatewaySettings(base.absoluteString, source: "test", auth: nil)
        let exporter = PushgatewayExporter(
            settings: settings, transport: HTTPClientMetricsPushTransport(), diagnostics: diagnostics)
        let runID = "run-a_" + UUID().uuidString
        exporter.record(ExportTest.run(labels: [RunLabel(name: "rank", value: "3")], runID: runID))
        exporter.finish()
        #expect(diagnostics.messages("warning").isEmpty, "\(diagnostics.messages("warning"))")

        let metrics = try #require(Self.get(base.appendingPathComponent("metrics")))
        #expect(metrics.status == 200)
        let group = #"instance="node-7",job="carbontracker""#
        let lines = metrics.body.split(separator: "\n").map(String.init)
        func value(_ prefix: String, _ labels: [String]) -> Double? {
            lines.first { line in line.hasPrefix(prefix + "{") && labels.allSatisfy { line.contains($0) } }
                .flatMap { $0.split(separator: " ").last }.flatMap { Double($0) }
        }
        let run = "run=\"\(runID)\""
        #expect(
            value(
                "carbontracker_energy_joules_total",
                [
                    #"component="gpu""#, #"device="Sim A100""#, #"method="simulated""#, group, run,
                    #"rank="3""#,
                ])
                == ExportTest.runJoules.gpu)
        #expect(
            value("carbontracker_energy_joules_total", [#"device="dram:0""#, run])
                == ExportTest.runJoules.dram)
        #expect(value("carbontracker_epochs_total", [group, run]) == 3)
        #expect(value("carbontracker_power_watts", [#"device="cpu:0""#, run]) == 40)
        #expect(
            value(
                "carbontracker_carbon_intensity_grams_per_kilowatt_hour", [#"provider="Energi Data Service""#]
            ) == 445)
        #expect(metrics.body.contains("# TYPE carbontracker_co2eq_grams_total counter"))
        #expect(
            value("push_time_seconds", [group, run]).map { $0 > 0 } == true, "the push itself was recorded")
    }
}
