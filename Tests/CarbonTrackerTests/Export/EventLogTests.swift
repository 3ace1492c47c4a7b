import Foundation
import Testing

@testable import CarbonTracker
@testable import CarbonTrackerMonitor
@testable import CarbonTrackerSources

@Suite struct JSONWriterTests {
    @Test func escapesEveryCharacterJSONRequiresAndRoundTrips() throws {
        let tricky = "quote \" backslash \\ newline \n tab \t cr \r bell \u{07} nul \u{00} é 日本 🎉 \u{2028}"
        var json = JSONWriter()
        json.beginObject()
        json.key("text")
        json.string(tricky)
        json.key(escaping: tricky)
        json.integer(-3)
        json.key("values")
        json.numbers([1.5, .nan, .infinity, -.infinity, 1e-5, 1e21, -0.0, 248])
        json.key("flags")
        json.beginArray()
        json.bool(true)
        json.bool(false)
        json.null()
        json.endArray()
        json.endObject()
        #expect(!json.bytes.contains(0x0A), "a JSON Lines record holds no raw newline")
        #expect(json.text.contains(#"bell \u0007 nul \u0000"#))
        let object = try #require(JSONSerialization.jsonObject(with: Data(json.bytes)) as? [String: Any])
        #expect(object["text"] as? String == tricky)
        #expect(object[tricky] as? Int == -3)
        let values = try #require(object["values"] as? [Any])
        #expect(values.count == 8)
        #expect(values[0] as? Double == 1.5)
        #expect(
            values[1] is NSNull && values[2] is NSNull && values[3] is NSNull, "non-finite numbers are null")
        #expect(values[4] as? Double == 1e-5)
        #expect(values[5] as? Double == 1e21)
        #expect(values[7] as? Double == 248)
        #expect(object["flags"] as? [Any] != nil)
    }

    @Test func timestampsAreRFC3339UTCWithMilliseconds() {
        var formatter = RFC3339Formatter()
        #expect(formatter.string(Date(timeIntervalSince1970: 0)) == "1970-01-01T00:00:00.000Z")
        #expect(formatter.string(Date(timeIntervalSince1970: 1_790_000_000.25)) == "2026-09-21T14:13:20.250Z")
        // The same second again reuses the cached prefix; the next second refreshes it.
        #expect(
            formatter.string(Date(timeIntervalSince1970: 1_790_000_000.999)) == "2026-09-21T14:13:20.999Z")
        #expect(formatter.string(Date(timeIntervalSince1970: 1_790_000_001.5)) == "2026-09-21T14:13:21.500Z")
        #expect(formatter.string(Date(timeIntervalSince1970: 951_782_400)) == "2000-02-29T00:00:00.000Z")
        #expect(
            UTCTime.parse("2026-09-21T14:13:20.250Z") == Date(timeIntervalSince1970: 1_790_000_000.25))
        #expect(UTCTime.parse("2026-09-21T14:13:20Z") == Date(timeIntervalSince1970: 1_790_000_000))
        #expect(UTCTime.parse("yesterday") == nil)
    }
}

@Suite struct EventLogTests {
    static func writeRun(in directory: String, name: String = "run-a_4242.17_2026-09-21T120000Z") throws
        -> String
    {
        let path = EventLogExporter.path(standardLog: "\(directory)/\(name)_carbontracker.log")
        let exporter = try EventLogExporter(
            path: path, diagnostics: RecordingDiagnostics(), now: { ExportTest.start.addingTimeInterval(7) })
        let events = ExportTest.run()
        exporter.record(Array(events[0..<3]))
        exporter.record(Array(events[3...]))
        exporter.finish()
        return path
    }

    @Test func pathAndRunIDComeFromTheLogNames() {
        let paths = LogPaths(
            standard: "/l/run-a_12.34_2026-01-01T000000Z_carbontracker.log",
            output: "/l/run-a_12.34_2026-01-01T000000Z_carbontracker_output.log",
            error: "/l/run-a_12.34_2026-01-01T000000Z_carbontracker_err.log")
        #expect(paths.events == "/l/run-a_12.34_2026-01-01T000000Z_carbontracker_events.jsonl")
        #expect(EventLogExporter.runID(logPath: paths.events) == "run-a_12.34_2026-01-01T000000Z")
        #expect(EventLogExporter.runID(logPath: paths.standard) == "run-a_12.34_2026-01-01T000000Z")
    }

    @Test func everyEventIsOneCompleteLineWithTheCommonFields() throws {
        let directory = try ParserTestSupport.scratchDirectory()
        defer { ParserTestSupport.cleanUp(directory) }
        let path = try Self.writeRun(in: directory)
        let text = try ParserTestSupport.read(path)
        #expect(text.hasSuffix("\n"))
        let lines = text.split(separator: "\n")
        #expect(lines.count == 9)
        var events: [String] = []
        for (index, line) in lines.enumerated() {
            let object = try #require(JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            // The schema and the run id are stated once, by the first line.
            #expect(object["schema"] as? String == (index == 0 ? "carbontracker.events/2" : nil))
            #expect(object["run"] as? String == (index == 0 ? "run-a_4242.17_2026-09-21T120000Z" : nil))
            let event = try #require(object["event"] as? String)
            // Epoch lines give their instants relative to the run's start instead.
            #expect(((object["time"] as? String).flatMap(UTCTime.parse) != nil) == (event != "epoch"))
            events.append(event)
        }
        #expect(
            events == [
                "run_started", "intensity", "epoch", "prediction", "epoch", "window", "epoch", "actual",
                "run_ended",
            ])
        let first = try #require(JSONSerialization.jsonObject(with: Data(lines[0].utf8)) as? [String: Any])
        #expect(first["time"] as? String == "2026-09-21T14:13:20.250Z")
        #expect(first["start"] as? String == "2026-09-21T14:13:20.250Z")
        #expect(first["pue"] as? Double == 1.58)
        #expect((first["configuration"] as? [String: String])?["epochs"] == "3")
        let components = try #require(first["components"] as? [[String: Any]])
        #expect(components.map { $0["method"] as? String } == ["simulated", "counter"])
        #expect(components[1]["devices"] as? [String] == ["cpu:0", "dram:0"])

        // Epoch 2: from 2 s after the start, 2 s long; a GPU of one device, a CPU of two (package, DRAM).
        let epoch = try #require(JSONSerialization.jsonObject(with: Data(lines[4].utf8)) as? [String: Any])
        #expect(epoch["epoch"] as? Int == 2)
        #expect(epoch["t"] as? Double == 2)
        #expect(epoch["s"] as? Double == 2)
        let joules = try #require(epoch["j"] as? [Any])
        #expect(joules.count == 2)
        #expect(joules[0] as? Double == 496)
        #expect(joules[1] as? [Double] == [80, 21])
        let kilowattHours = (248 + 40 + 10.5) * 2 * 1.58 / 3_600_000
        #expect(
            approximatelyEqual(try #require(epoch["co2_g"] as? Double), kilowattHours * 445, tolerance: 5e-6))
        for name in ["energy_kwh_low", "energy_kwh_high"] {
            #expect(
                approximatelyEqual(try #require(epoch[name] as? Double), kilowattHours, tolerance: 5e-6),
                "\(name)")
        }
        for name in ["co2eq_grams_low", "co2eq_grams_high"] {
            #expect(
                approximatelyEqual(try #require(epoch[name] as? Double), kilowattHours * 445, tolerance: 5e-6)
            )
        }
        #expect(epoch["methods"] == nil && epoch["approx"] == nil, "as declared, and not approximate")
        #expect(
            lines[4].utf8.count + 1 <= 250,
            "an epoch line of a two-component run: \(lines[4].utf8.count) bytes")

        let window = try #require(JSONSerialization.jsonObject(with: Data(lines[5].utf8)) as? [String: Any])
        #expect(window["name"] as? String == "eval \"quoted\"\n")
        #expect(window["energy_kwh_low"] is Double && window["co2eq_grams_high"] is Double)
        let actual = try #require(JSONSerialization.jsonObject(with: Data(lines[7].utf8)) as? [String: Any])
        #expect(actual["energy_kwh_high"] is Double && actual["co2eq_grams_low"] is Double)
        let ended = try #require(JSONSerialization.jsonObject(with: Data(lines[8].utf8)) as? [String: Any])
        #expect(ended["epochs"] as? Int == 3)
        #expect(ended["interrupted"] as? Bool == false)
    }

    @Test func aHalfWrittenLineCostsOnlyThatLine() throws {
        let directory = try ParserTestSupport.scratchDirectory()
        defer { ParserTestSupport.cleanUp(directory) }
        let path = directory + "/x_1.2_2026-01-01T000000Z_carbontracker_events.jsonl"
        let exporter = try EventLogExporter(path: path, diagnostics: RecordingDiagnostics())
        exporter.record([.runStarted(ExportTest.description()), ExportTest.epoch(1)])
        // Half a line, as a write cut short leaves: the reader skips that one line and keeps the rest.
        let handle = try #require(FileHandle(forWritingAtPath: path))
        handle.seekToEndOfFile()
        handle.write(Data(#"{"event":"epoch","epoch":2,"t":2,"#.utf8))
        try handle.close()
        exporter.record([ExportTest.epoch(2)])  // appends directly after the half line: only that line breaks
        exporter.finish()
        var scanner = EventLogScanner()
        let end = try LogFileReader.forEachLine(path: path) { scanner.consume($0) }
        let (log, _) = scanner.finish(end)
        #expect(log.epochs.map(\.number) == [1])
        #expect(log.warnings.count == 1, "\(log.warnings)")
    }

    @Test func eventsAfterFinishAreDropped() throws {
        let directory = try ParserTestSupport.scratchDirectory()
        defer { ParserTestSupport.cleanUp(directory) }
        let path = directory + "/y_1.2_2026-01-01T000000Z_carbontracker_events.jsonl"
        let diagnostics = RecordingDiagnostics()
        let exporter = try EventLogExporter(path: path, diagnostics: diagnostics)
        exporter.finish()
        exporter.record([ExportTest.epoch(1)])
        #expect(try ParserTestSupport.read(path).isEmpty)
        #expect(diagnostics.messages("warning").isEmpty)
        // An existing file belongs to another run: never appended to.
        #expect(throws: CarbonTrackerError.self) {
            _ = try EventLogExporter(path: path, diagnostics: diagnostics)
        }
    }

    @Test func aThousandShortEpochsAreOneWriteOfCompleteLines() throws {
        let directory = try ParserTestSupport.scratchDirectory()
        defer { ParserTestSupport.cleanUp(directory) }
        let path = directory + "/p_1.2_2026-01-01T000000Z_carbontracker_events.jsonl"
        let exporter = try EventLogExporter(path: path, diagnostics: RecordingDiagnostics())
        let batch =
            [RunEvent.runStarted(ExportTest.description())]
            + (1...1000).map { ExportTest.epoch($0, seconds: 0.001) }
        exporter.record(batch)
        exporter.finish()
        let lines = try ParserTestSupport.read(path).split(separator: "\n", omittingEmptySubsequences: false)
        #expect(lines.count == 1002 && lines.last == "")
        var scanner = EventLogScanner()
        _ = try LogFileReader.forEachLine(path: path) { scanner.consume($0) }
        let (log, _) = scanner.finish()
        #expect(log.epochs.count == 1000)
        #expect(log.epochs.last?.number == 1000)
    }
}

/// A real validator (Python `jsonschema`, installed by `.ci/run`) checks event logs against
/// `docs/events.schema.json`.
@Suite(
    .enabled(
        if: ExportTest.python(with: ["jsonschema"]) != nil,
        "skipped: set CARBONTRACKER_PYTHON to a Python with jsonschema (pip install jsonschema) to validate event logs"
    ))
struct EventLogSchemaTests {
    @Test func theEventLogValidatesAgainstTheSchema() throws {
        let python = try #require(ExportTest.python(with: ["jsonschema"]))
        let directory = try ParserTestSupport.scratchDirectory()
        defer { ParserTestSupport.cleanUp(directory) }
        let path = try EventLogTests.writeRun(in: directory)
        // A non-finite figure is written as null and must still validate.
        let extra = try EventLogExporter(
            path: directory + "/z_1.1_2026-01-01T000000Z_carbontracker_events.jsonl",
            diagnostics: RecordingDiagnostics())
        var broken = ExportTest.measurement("epoch 1", offset: 0, seconds: 1)
        broken.co2eqGrams = .nan
        broken.components[0].joules = [.infinity]
        extra.record([
            RunEvent.runStarted(
                ExportTest.description(labels: [RunLabel(name: "job_id", value: "77")], location: "Unknown")),
            .epoch(number: 1, broken),
            .powerSeries(
                PowerTimeSeries(
                    startDate: ExportTest.start, intervalSeconds: 0.5, coveredSeconds: [0.5, 0.25],
                    components: [
                        .init(kind: .gpu, joules: [100, 50]), .init(kind: .cpu, joules: [20, .nan]),
                    ],
                    gramsPerKilowattHour: [445, 445])),
            .runEnded(ExportTest.start, interrupted: true),
        ])
        extra.finish()
        let schema = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent(
                "docs/events.schema.json")
        let output = try ExportTest.runPython(
            python,
            """
            import json, sys, jsonschema
            schema = json.load(open(sys.argv[1]))
            jsonschema.Draft202012Validator.check_schema(schema)
            validator = jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker())
            count = 0
            for path in sys.argv[2:]:
                for line in open(path):
                    validator.validate(json.loads(line))
                    count += 1
            # The schema must reject what is wrong, too.
            bad = json.loads(open(sys.argv[2]).readline())
            bad["pue"] = "1.58"
            print(count, len(list(validator.iter_errors(bad))) > 0)
            """, [schema.path, path, extra.path])
        #expect(output == "13 True\n")
    }
}
