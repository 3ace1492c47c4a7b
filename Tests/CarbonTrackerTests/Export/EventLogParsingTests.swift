import Foundation
import Testing

@testable import CarbonTracker
@testable import CarbonTrackerMonitor
@testable import CarbonTrackerSources

/// `LogParser` reads event logs and prefers them to the text logs of the same run.
@Suite struct EventLogParsingTests {
    static let fixtureRun = "7441.593662_2026-11-21T063448Z"

    @Test func aRunWithAnEventLogIsReadFromIt() throws {
        let directory = try ParserTestSupport.scratchDirectory()
        defer { ParserTestSupport.cleanUp(directory) }
        try ParserTestSupport.copyPythonLogs(to: directory)
        let before = try LogParser.parseAllLogs(logDir: directory)
        _ = try EventLogTests.writeRun(in: directory, name: Self.fixtureRun)

        let parse = try LogParser.parseAllLogs(logDir: directory)
        #expect(parse.warnings.isEmpty, "\(parse.warnings)")
        #expect(parse.entries.count == before.entries.count)
        #expect(
            parse.entries.map(\.standardFile) == before.entries.map(\.standardFile), "same runs, same order")
        let entry = try #require(parse.entries.first { $0.standardFile.contains(Self.fixtureRun) })
        #expect(entry.eventLogFile?.hasSuffix("\(Self.fixtureRun)_carbontracker_events.jsonl") == true)
        #expect(entry.outputFile.hasSuffix("\(Self.fixtureRun)_carbontracker_output.log"))

        // The figures are the events', not the text logs' (whose run was a different one).
        let log = entry.standardLog
        #expect(log.version == "2.4.7-swift.1")
        #expect(log.powerUsageEffectiveness == 1.58)
        #expect(
            log.components == [
                .init(name: "gpu", devices: ["Sim A100"]), .init(name: "cpu", devices: ["cpu:0", "dram:0"]),
            ])
        #expect(log.epochs.map(\.number) == [1, 2, 3], "the window is not an epoch")
        #expect(entry.windows.map(\.name) == ["eval \"quoted\"\n"])
        #expect(entry.windows.first?.durationSeconds == 0.5)
        #expect(entry.windows.first?.components.last?.energyJoules == [20, 5.25])
        #expect(entry.windows.first?.components.last?.method == "counter")
        #expect(log.epochs.map(\.durationSeconds) == [2, 2, 2])
        #expect(log.epochs[0].component("cpu")?.measuredEnergyJoules == [80, 21])
        #expect(log.epochs[0].component("cpu")?.measurementMethod == .counter)
        #expect(log.epochs[0].component("gpu")?.averagePowerWatts == [248])
        #expect(log.intensity?.valuesGramsPerKilowattHour == [445])
        #expect(log.intensity?.location == "Copenhagen, Capital Region, DK")
        #expect(log.intensity?.countryCode == "DK")
        #expect(log.isComplete && !log.earlyStop)
        #expect(log.firstTimestamp == LogTime.line(ExportTest.start))
        let expected = ExportTest.report(.actual, epochs: 3)
        #expect(entry.actual?.energyKilowattHours == expected.energyKilowattHours)
        #expect(entry.actual?.co2eqGrams == expected.co2eqGrams)
        #expect(entry.actual?.epochs == 3)
        #expect(entry.actual?.durationSeconds == 6)
        #expect(entry.predicted?.epochs == 3)
        #expect(entry.actual?.equivalents == [.init(unit: "km travelled by car", amount: 0.00123)])
        let cpu = try #require(entry.components.first { $0.name == "cpu" })
        #expect(cpu.measuredEnergyJoules == [[80, 21], [80, 21], [80, 21]])

        // The aggregate takes the event log's run in place of the text logs' one.
        let total = try LogParser.aggregateConsumption(logDir: directory)
        let beforeTotal = try LogParser.aggregateConsumption(logDir: ParserTestSupport.pythonLogs)
        let replaced = try #require(before.entries.first { $0.standardFile.contains(Self.fixtureRun) })
        let change = expected.energyKilowattHours - (replaced.aggregatedConsumption?.energyKilowattHours ?? 0)
        #expect(approximatelyEqual(total.energyKilowattHours, beforeTotal.energyKilowattHours + change))
        #expect(total.runsCounted == beforeTotal.runsCounted)

        // Python's listing functions still see the text logs only.
        #expect(try LogParser.getAllLogs(logDir: directory).pairs.count == before.entries.count)
    }

    @Test func anEventLogAloneIsARun() throws {
        let directory = try ParserTestSupport.scratchDirectory()
        defer { ParserTestSupport.cleanUp(directory) }
        let path = try EventLogTests.writeRun(in: directory)
        let parse = try LogParser.parseAllLogs(logDir: directory)
        #expect(parse.warnings.isEmpty, "\(parse.warnings)")
        let entry = try #require(parse.entries.first)
        #expect(parse.entries.count == 1)
        #expect(entry.eventLogFile == path)
        #expect(entry.standardFile.isEmpty && entry.outputFile.isEmpty)
        #expect(try LogParser.aggregateConsumption(logDir: directory).runsCounted == 1)
    }

    @Test func anUnusableEventLogFallsBackToTheTextLogs() throws {
        let directory = try ParserTestSupport.scratchDirectory()
        defer { ParserTestSupport.cleanUp(directory) }
        try ParserTestSupport.copyPythonLogs(to: directory)
        let expected = try LogParser.parseAllLogs(logDir: directory)
        let empty = directory + "/\(Self.fixtureRun)_carbontracker_events.jsonl"
        try ParserTestSupport.write("", to: empty)
        let garbage = directory + "/7551.714857_2026-11-21T063449Z_carbontracker_events.jsonl"
        try ParserTestSupport.write(
            "not json\n{\"schema\":\"other/9\",\"event\":\"run_started\"}\n", to: garbage)

        let parse = try LogParser.parseAllLogs(logDir: directory)
        #expect(parse.entries == expected.entries, "both runs read from their text logs, unchanged")
        #expect(parse.warnings.map(\.file) == [garbage], "an empty event log is no news; a garbled one is")
        #expect(parse.warnings.first?.message.contains("text logs are read instead") == true)
    }

    @Test func aKilledRunsEventLogReadsUpToItsLastCompleteLine() throws {
        let directory = try ParserTestSupport.scratchDirectory()
        defer { ParserTestSupport.cleanUp(directory) }
        let path = directory + "/k_9.9_2026-01-01T000000Z_carbontracker_events.jsonl"
        let exporter = try EventLogExporter(path: path, diagnostics: RecordingDiagnostics())
        exporter.record([.runStarted(ExportTest.description()), ExportTest.epoch(1), ExportTest.epoch(2)])
        exporter.finish()
        let handle = try #require(FileHandle(forWritingAtPath: path))
        handle.seekToEndOfFile()
        handle.write(Data(#"{"schema":"carbontracker.events/1","event":"epoch","ti"#.utf8))
        try handle.close()

        let parse = try LogParser.parseAllLogs(logDir: directory)
        let entry = try #require(parse.entries.first)
        #expect(entry.standardLog.epochs.count == 2)
        #expect(!entry.standardLog.isComplete)
        #expect(entry.actual == nil)
        #expect(parse.warnings.count == 1)
        #expect(parse.warnings.first?.message.contains("middle of a line") == true)
        // Without an actual report the figures are the epochs measured.
        let figures = RunFigures(entry: entry)
        #expect(figures.durationSeconds == 4)
        #expect(approximatelyEqual(figures.energyKilowattHours, (248 + 50.5) * 4 * 1.58 / 3_600_000))
    }
}
