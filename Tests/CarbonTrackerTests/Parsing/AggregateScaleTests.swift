import Foundation
import Testing

@testable import CarbonTracker
@testable import CarbonTrackerMonitor
@testable import CarbonTrackerSources

/// The aggregate of a directory (`--parse`, `--report DIR`) keeps one epoch per run whatever the
/// run's length, and gives the same totals and warnings as a full read.
@Suite struct AggregateScaleTests {
    static let name = "long_4242.17_2026-09-21T120000Z"

    /// An event log of `count` epochs with a final report, and `extraLines` put in after epoch 5.
    static func writeLongRun(in directory: String, count: Int, extraLines: [String] = []) throws {
        let path = EventLogExporter.path(standardLog: "\(directory)/\(name)_carbontracker.log")
        let exporter = try EventLogExporter(
            path: path, diagnostics: RecordingDiagnostics(), now: { ExportTest.start.addingTimeInterval(7) })
        var events: [RunEvent] = [
            .runStarted(ExportTest.description()),
            .intensity(ExportTest.intensity, fetchedAt: ExportTest.start),
        ]
        events += (1...count).map { ExportTest.epoch($0) }
        events += [.actual(ExportTest.report(.actual, epochs: count)), .runEnded(ExportTest.start)]
        exporter.record(events)
        exporter.finish()
        guard !extraLines.isEmpty else { return }
        var lines = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").map(String.init)
        let fifth = try #require(lines.firstIndex { $0.contains(#""epoch":5,"#) })
        lines.insert(contentsOf: extraLines, at: fifth + 1)
        try (lines.joined(separator: "\n") + "\n").write(toFile: path, atomically: true, encoding: .utf8)
    }

    @Test func theAggregateOfALongRunKeepsOneEpochAndTheFullReadsTotals() throws {
        let directory = try ParserTestSupport.scratchDirectory()
        defer { ParserTestSupport.cleanUp(directory) }
        let count = 20_000
        try Self.writeLongRun(in: directory, count: count)

        let (logs, _) = try LogDirectory(directory).readRuns(keepsFigures: false) { _, log, _ in log }
        let full = try LogParser.parseAllLogs(logDir: directory)
        let fullLog = try #require(full.entries.first?.standardLog)
        #expect(fullLog.epochs.count == count)
        let kept = try #require(logs.first)
        #expect(kept.epochs.count == 1, "one epoch retained of \(count)")
        #expect(kept.epochs.last == fullLog.epochs.last, "the latest epoch, decoded in full")
        #expect(kept.lastTimestamp == fullLog.lastTimestamp)

        let aggregate = try LogParser.aggregateConsumption(logDir: directory)
        #expect(aggregate == LogParser.Aggregate(full))
        #expect(aggregate.runsCounted == 1)
        #expect(aggregate.warnings.isEmpty, "\(aggregate.warnings)")
        let report = try DirectoryReport(logDirectory: directory)
        #expect(report.aggregate == aggregate, "the report's one read gives the same totals")
        #expect(report.runs.map(\.epochs) == [count])
    }

    @Test func linesThatAreNotPlainEpochsAreDecodedAndWarnedAboutAsInAFullRead() throws {
        let directory = try ParserTestSupport.scratchDirectory()
        defer { ParserTestSupport.cleanUp(directory) }
        try Self.writeLongRun(
            in: directory, count: 40,
            extraLines: [
                #"{"event":"epoch","epoch":6,"t":10,"s":2,"j":[496,[80,21]]"#,  // cut short
                #"{"event":"epoch","epoch":6,"t":10,"s":2,"j":[496,[80,21]]}}"#,  // a brace too many
                #"{"event":"epoch","epoch":6,"t":10,"s":2e999,"j":[496,[80,21]]}"#,  // not a double
                #"{"event":"epoch","epoch":6,"schema":"other","j":[]}"#,  // another schema
                #"{"event":"epoch","event":"window","name":"w","duration_seconds":1}"#,  // named twice
            ])
        let full = try LogParser.parseAllLogs(logDir: directory)
        let aggregate = try LogParser.aggregateConsumption(logDir: directory)
        #expect(!full.warnings.isEmpty)
        #expect(aggregate == LogParser.Aggregate(full))
        #expect(aggregate.warnings == full.warnings)
    }

    @Test func plainJSONIsOnlyWhatJSONSerializationReads() {
        let plain = [
            #"{"event":"epoch","epoch":1,"t":0.5,"s":2,"j":[496,[80,21]],"approx":true,"m":null}"#,
            #"{"a":-0.25e-07,"b":[],"c":{},"d":[{"e":"f"}]} "#,
        ]
        let notPlain = [
            #"{"a":1"#, #"{"a":1}}"#, #"{"a":01}"#, #"{"a":1.}"#, #"{"a":"\u0041"}"#, #"{"a":NaN}"#,
            #"{"a":1e999}"#, #"{"a":[1,]}"#, #"{"a" 1}"#, #"{"a":tru}"#, "{\"a\":\"é\"}",
            #"{"a":[[[[[[[[[[1]]]]]]]]]]}"#, #"{"a":1234567890123456}"#,
        ]
        for text in plain + notPlain {
            let isPlain = Array(text.utf8).withUnsafeBufferPointer { bytes in
                var checker = PlainJSON(bytes)
                return checker.isValidDocument()
            }
            #expect(isPlain == plain.contains(text), "\(text)")
            if isPlain {
                #expect((try? JSONSerialization.jsonObject(with: Data(text.utf8))) != nil, "\(text)")
            }
        }
    }
}
