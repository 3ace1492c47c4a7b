import Foundation
import Testing

@testable import CarbonTracker
@testable import CarbonTrackerMonitor
@testable import CarbonTrackerSources

@Suite struct RunExportersTests {
    static func make(
        _ options: TrackerOptions = TrackerOptions(console: .silent, environment: [:]),
        environment: [String: String] = [:], logPaths: LogPaths? = nil
    ) throws -> [any RunExporter] {
        try RunExporters.make(
            options: options, environment: environment, logPaths: logPaths,
            diagnostics: RecordingDiagnostics(),
            transport: FakePushTransport(), host: CodeCarbonCSVTests.host)
    }

    static func configurationError(
        _ options: TrackerOptions = TrackerOptions(console: .silent, environment: [:]),
        environment: [String: String] = [:]
    ) -> CarbonTrackerError? {
        do {
            _ = try make(options, environment: environment)
            return nil
        } catch {
            return error as? CarbonTrackerError
        }
    }

    @Test func onlyTheEventLogByDefault() throws {
        #expect(try Self.make().isEmpty)
        let directory = try ParserTestSupport.scratchDirectory()
        defer { ParserTestSupport.cleanUp(directory) }
        let base = directory + "/9.9_2026-01-01T000000Z_carbontracker"
        let paths = LogPaths(standard: base + ".log", output: base + "_output.log", error: base + "_err.log")
        let exporters = try Self.make(logPaths: paths)
        #expect(exporters.count == 1)
        let eventLog = try #require(exporters.first as? EventLogExporter)
        #expect(eventLog.path == base + "_events.jsonl")
        eventLog.finish()
    }

    @Test func optionsWinOverTheEnvironmentAndEmptyVariablesCountAsUnset() throws {
        let directory = try ParserTestSupport.scratchDirectory()
        defer { ParserTestSupport.cleanUp(directory) }
        var options = TrackerOptions(console: .silent, environment: [:])
        options.prometheusTextfile = directory + "/option.prom"
        options.emissionsCSV = directory + "/emissions.csv"
        let environment = [
            RunExporters.textfileVariable: directory + "/environment.prom",
            RunExporters.pushgatewayVariable: "http://127.0.0.1:9091",
            RunExporters.authVariable: "user:pa:ss",
        ]
        let exporters = try Self.make(options, environment: environment)
        #expect(exporters.count == 3)
        #expect((exporters[0] as? PrometheusTextfileExporter)?.path == directory + "/option.prom")
        #expect((exporters[1] as? CodeCarbonCSVExporter)?.path == directory + "/emissions.csv")
        // The Pushgateway last: its final push must not hold up the files.
        #expect(exporters[2] is PushgatewayExporter)

        let fromEnvironment = try Self.make(environment: [
            RunExporters.textfileVariable: directory + "/environment.prom",
            RunExporters.pushgatewayVariable: "",
        ])
        #expect(fromEnvironment.count == 1)
        #expect(
            (fromEnvironment.first as? PrometheusTextfileExporter)?.path == directory + "/environment.prom")
    }

    @Test func credentialsBecomeABasicHeaderAndNeverAMessage() throws {
        let settings = try RunExporters.pushgatewaySettings(
            "https://gw.internal:9091/base", source: "test", auth: "alice:s3cr:et")
        #expect(settings.authorization == "Basic " + Data("alice:s3cr:et".utf8).base64EncodedString())
        #expect(settings.baseURL.absoluteString == "https://gw.internal:9091/base")
        #expect(
            try RunExporters.pushgatewaySettings("http://gw:9091", source: "test", auth: nil).authorization
                == nil)

        let inURL = Self.configurationError(environment: [
            RunExporters.pushgatewayVariable: "http://alice:s3cret@gw:9091"
        ])
        #expect(inURL?.code == .invalidConfiguration)
        #expect(inURL?.message.contains("s3cret") == false)
        #expect(inURL?.message.contains("CARBONTRACKER_PROMETHEUS_AUTH") == true)

        let noColon = Self.configurationError(environment: [
            RunExporters.pushgatewayVariable: "http://gw:9091", RunExporters.authVariable: "s3cret",
        ])
        #expect(noColon?.code == .invalidConfiguration)
        #expect(noColon?.message.contains("s3cret") == false)
        #expect(noColon?.message.contains("user:password") == true)
    }

    @Test(arguments: [
        ("ftp://gw:9091", "http or https"), ("gw:9091", "http or https"), ("http://gw:9091/?x=1", "query"),
        ("not a url", "http or https"),
    ])
    func badPushgatewayAddressesSayWhatToUse(address: String, expected: String) {
        let error = Self.configurationError(environment: [RunExporters.pushgatewayVariable: address])
        #expect(error?.code == .invalidConfiguration)
        #expect(error?.message.contains(expected) == true, "\(error?.message ?? "no error")")
    }

    @Test func badPathsSayWhatToDo() {
        var options = TrackerOptions(console: .silent, environment: [:])
        options.prometheusTextfile = "/tmp/metrics.txt"
        #expect(
            Self.configurationError(options)?.message.contains("must be a file name ending in .prom") == true)
        options.prometheusTextfile = "/nonexistent-dir/x.prom"
        #expect(Self.configurationError(options)?.message.contains("does not exist; create it first") == true)
        options.prometheusTextfile = nil
        options.emissionsCSV = "/nonexistent-dir/emissions.csv"
        #expect(Self.configurationError(options)?.code == .invalidConfiguration)
        options.emissionsCSV = "/tmp/"
        #expect(Self.configurationError(options)?.message.contains("names no file") == true)
    }

    @Test func allExportersTogetherOnOneRun() throws {
        let directory = try ParserTestSupport.scratchDirectory()
        defer { ParserTestSupport.cleanUp(directory) }
        let base = directory + "/run-a_4242.17_2026-09-21T120000Z_carbontracker"
        let paths = LogPaths(standard: base + ".log", output: base + "_output.log", error: base + "_err.log")
        var options = TrackerOptions(console: .silent, environment: [:])
        options.prometheusTextfile = directory + "/train.prom"
        options.emissionsCSV = directory + "/emissions.csv"
        let transport = FakePushTransport()
        let exporters = try RunExporters.make(
            options: options, environment: [RunExporters.pushgatewayVariable: "http://127.0.0.1:9"],
            logPaths: paths, diagnostics: RecordingDiagnostics(), transport: transport,
            host: CodeCarbonCSVTests.host)
        let events = ExportTest.run()
        for batch in [Array(events[0..<4]), Array(events[4...])] {
            for exporter in exporters { exporter.record(batch) }
        }
        for exporter in exporters { exporter.finish() }
        #expect(try ParserTestSupport.read(paths.events).split(separator: "\n").count == events.count)
        #expect(try ParserTestSupport.read(directory + "/train.prom").contains("carbontracker_epochs_total"))
        #expect(try ParserTestSupport.read(directory + "/emissions.csv").split(separator: "\n").count == 2)
        #expect(transport.received.last?.body.contains("carbontracker_epochs_total 3.0") == true)
    }
}
