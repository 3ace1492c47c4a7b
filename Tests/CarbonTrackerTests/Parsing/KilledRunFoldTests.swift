import Foundation
import Testing

@testable import CarbonTracker
@testable import CarbonTrackerMonitor
@testable import CarbonTrackerSources

/// A single-process run without a final report is counted from what the scanners fold while they read
/// (``LogParser/StandardLog/foldedEnergy``): its total and its warning must be, to the bit, those of a
/// read that keeps every epoch.
@Suite struct KilledRunFoldTests {
    /// A text log of a run killed in epoch `epochs + 1` (whose lines, written at its end, never came),
    /// its epochs as `epoch(n)` writes them, with the PUE line after epoch `pueAfter` (before the first
    /// when `nil`) and no report.
    static func writeKilledRun(
        in directory: String, name: String, epochs: Int, pue: String = "1.58", pueAfter: Int? = nil,
        epoch: (Int) -> [String] = KilledRunFoldTests.epoch
    ) throws -> String {
        let pueLine =
            "Only predicted and actual consumptions are multiplied by a PUE coefficient of \(pue) (Daniel Bizo, 2023)."
        var lines = [
            "carbontracker version 2.4.7-swift.1",
            "The following components were found: GPU with device(s) Sim GPU. CPU with device(s) Sim CPU.",
            "Monitoring thread started.",
        ]
        if pueAfter == nil { lines.insert(pueLine, at: 1) }
        for number in 1...epochs {
            lines += epoch(number)
            if number == pueAfter { lines.append(pueLine) }
        }
        let base = "\(directory)/\(name)_carbontracker"
        try ParserTestSupport.write(
            lines.enumerated().map { index, line in
                String(format: "2026-01-01 10:%02d:%02d - ", index / 60 % 60, index % 60) + line
            }.joined(separator: "\n") + "\n", to: base + ".log")
        try ParserTestSupport.write(
            "2026-01-01 10:00:00 - CarbonTracker: The following components were found: GPU with device(s) Sim GPU.\n",
            to: base + "_output.log")
        return base + ".log"
    }

    /// An ordinary epoch: measured GPU energy with its method, CPU power only, and its bounds.
    static func epoch(_ number: Int) -> [String] {
        let gpu = 300.0 + Double(number) / 7
        return [
            "Epoch \(number):", "Duration: 0:00:02.\(String(format: "%02d", number % 100))",
            "Average power usage (W) for gpu: [150.0 \(Double(number) / 3)]",
            "Average power usage (W) for cpu: 50.0",
            "Measured energy (J) for gpu: \(gpu) [method: simulated]",
            "Energy range: \(0.0001 * Double(number))\u{2013}\(0.0003 * Double(number)) kWh, "
                + "CO2eq range: \(0.02 * Double(number))\u{2013}\(0.06 * Double(number)) g",
        ]
    }

    /// The killed run's total and warning as today's whole read counts it, and from the two folding reads.
    static func expectFoldCountsAsEveryEpoch(
        _ path: String, folds: Bool = true, sourceLocation: SourceLocation = #_sourceLocation
    ) throws -> (consumption: LogParser.Consumption, warnings: [LogParser.Warning]) {
        var wholeWarnings: [LogParser.Warning] = []
        let whole = try #require(
            LogParser.Aggregate.killedRun(
                standardFile: path, log: try LogParser.parseStandardLog(file: path), warnings: &wholeWarnings),
            sourceLocation: sourceLocation)
        // The aggregate's read (`--parse`), then the streaming exports' read, each as its caller uses it.
        for keepsFigures in [false, true] {
            var scanner = StandardLogScanner(keepsFigures: keepsFigures, foldsEpochs: keepsFigures)
            let end = try LogFileReader.forEachLine(path: path) { scanner.consume($0) }
            let read = scanner.finish(end)
            #expect(read.epochs.count == 1, "one epoch kept", sourceLocation: sourceLocation)
            #expect(
                read.foldedEnergy.run != nil, "the epochs before it folded", sourceLocation: sourceLocation)
            #expect(
                read.foldedEnergy.counts(underLogged: read.powerUsageEffectiveness) == folds,
                sourceLocation: sourceLocation)
            let log =
                keepsFigures
                ? (read.countsFromItsFold(LogDirectory.RunFiles(standard: path))
                    ? read : try LogParser.parseStandardLog(file: path))
                : try #require(LogParser.killedRunLog(standardFile: path, read: read))
            var warnings: [LogParser.Warning] = []
            let consumption = LogParser.Aggregate.killedRun(standardFile: path, log: log, warnings: &warnings)
            #expect(consumption == whole, "keepsFigures: \(keepsFigures)", sourceLocation: sourceLocation)
            #expect(
                consumption?.energyKilowattHours.bitPattern == whole.energyKilowattHours.bitPattern,
                sourceLocation: sourceLocation)
            #expect(
                warnings == wholeWarnings, "keepsFigures: \(keepsFigures)", sourceLocation: sourceLocation)
        }
        return (whole, wholeWarnings)
    }

    @Test func aKilledRunCountsFromItsFoldAsFromEveryEpoch() throws {
        let logs = try ParserTestSupport.scratchDirectory()
        defer { ParserTestSupport.cleanUp(logs) }
        let path = try Self.writeKilledRun(in: logs, name: "plain", epochs: 40)
        let (consumption, warnings) = try Self.expectFoldCountsAsEveryEpoch(path)
        #expect(consumption.energyKilowattHours > 0)
        #expect(consumption.energyKilowattHoursRange != nil, "the epochs' bounds")
        #expect(
            warnings.first?.message.hasPrefix(
                "no final report and no checkpoint (the process was probably killed); only its finished epochs are counted."
            ) == true, "\(warnings)")
    }

    @Test func aKilledRunWithACheckpointCountsItAfterItsFoldedEpochs() throws {
        let logs = try ParserTestSupport.scratchDirectory()
        defer { ParserTestSupport.cleanUp(logs) }
        let path = try Self.writeKilledRun(in: logs, name: "checkpoint", epochs: 12)
        try ParserTestSupport.write(
            #"{"schema":"carbontracker.progress/1","epoch":13,"elapsed_seconds":1.25,"#
                + #""components":[{"component":"gpu","energy_joules":[225.5]},"#
                + #"{"component":"disk","energy_joules":[7.0]}]}"#,
            to: String(path.dropLast(".log".count)) + "_progress.json")
        let (_, warnings) = try Self.expectFoldCountsAsEveryEpoch(path)
        #expect(
            warnings.first?.message.contains("counted up to its last checkpoint, 0:00:01.25 into epoch 13")
                == true, "\(warnings)")
    }

    @Test func figuresThatAreNotFiniteOrWouldOverflowAreLeftOutAsFromEveryEpoch() throws {
        let logs = try ParserTestSupport.scratchDirectory()
        defer { ParserTestSupport.cleanUp(logs) }
        let path = try Self.writeKilledRun(in: logs, name: "odd", epochs: 9) { number in
            var lines = Self.epoch(number)
            switch number {
            case 2: lines[4] = "Measured energy (J) for gpu: nan [method: simulated]"
            case 3: lines[3] = "Average power usage (W) for cpu: inf"
            case 4: lines[4] = "Measured energy (J) for gpu: -5.0 [method: simulated]"
            case 5, 6: lines[4] = "Measured energy (J) for gpu: 1.5e308 [method: simulated]"
            case 7: lines[5] = "Energy range: nan\u{2013}1 kWh, CO2eq range: 0\u{2013}1 g"
            default: break
            }
            return lines
        }
        let (_, warnings) = try Self.expectFoldCountsAsEveryEpoch(path)
        #expect(warnings.first?.message.contains("are left out") == true, "\(warnings)")
    }

    @Test func aPUEFactorNamedAfterTheFirstEpochsIsCountedFromEveryEpoch() throws {
        let logs = try ParserTestSupport.scratchDirectory()
        defer { ParserTestSupport.cleanUp(logs) }
        let path = try Self.writeKilledRun(in: logs, name: "late", epochs: 6, pue: "1.2", pueAfter: 3)
        let (consumption, _) = try Self.expectFoldCountsAsEveryEpoch(path, folds: false)
        #expect(consumption.energyKilowattHours > 0)
    }

    /// `--parse` (the aggregate) and the streaming exports count killed text runs, with and without a
    /// checkpoint and with unusable figures, as the whole parse does, beside a run with its report.
    @Test func aDirectoryOfKilledTextRunsAddsUpAsTheWholeParse() throws {
        let logs = try ParserTestSupport.scratchDirectory()
        defer { ParserTestSupport.cleanUp(logs) }
        _ = try ParserTestSupport.runSimulatedTracker(logDir: logs, epochs: 2, prefix: "done")
        _ = try Self.writeKilledRun(in: logs, name: "plain", epochs: 30)
        let checkpoint = try Self.writeKilledRun(in: logs, name: "checkpoint", epochs: 5)
        try ParserTestSupport.write(
            #"{"epoch":6,"elapsed_seconds":0.5,"components":[{"component":"cpu","energy_joules":[25.0]}]}"#,
            to: String(checkpoint.dropLast(".log".count)) + "_progress.json")
        _ = try Self.writeKilledRun(in: logs, name: "odd", epochs: 4) { number in
            var lines = Self.epoch(number)
            if number == 2 { lines[4] = "Measured energy (J) for gpu: inf [method: simulated]" }
            return lines
        }
        let whole = LogParser.Aggregate(try LogParser.parseAllLogs(logDir: logs))
        let aggregate = try LogParser.aggregateConsumption(logDir: logs)
        #expect(aggregate == whole)
        #expect(aggregate.runsCounted == 4)
        #expect(
            aggregate.warnings.filter { $0.message.contains("killed") }.count == 3, "\(aggregate.warnings)")
        _ = try StreamedExportTests.expectSameExports(logs)
    }

    /// `--parse` counts a killed run read from its event log from its standard log, read again folding:
    /// the totals and the warning are those of that log read whole.
    @Test func aKilledRunReadFromItsEventLogIsCountedFromItsStandardLog() throws {
        let logs = try ParserTestSupport.scratchDirectory()
        defer { ParserTestSupport.cleanUp(logs) }
        _ = try ParserTestSupport.runSimulatedTracker(logDir: logs, epochs: 4, prefix: "events")
        let names = try FileManager.default.contentsOfDirectory(atPath: logs)
        func path(_ suffix: String) throws -> String {
            logs + "/" + (try #require(names.first { $0.hasSuffix(suffix) }))
        }
        let events = try path(LogDirectory.eventsSuffix)
        let kept = try ParserTestSupport.read(events).split(separator: "\n").filter { line in
            !["prediction", "actual", "run_ended", "power_series"].contains {
                line.contains("\"event\":\"\($0)\"")
            }
        }
        try ParserTestSupport.write(kept.joined(separator: "\n") + "\n", to: events)
        let output = try path(LogDirectory.outputSuffix)
        let lines = try ParserTestSupport.read(output).components(separatedBy: "\n")
        let predicted = try #require(lines.firstIndex { $0.hasPrefix("Predicted consumption") })
        try ParserTestSupport.write(lines[...predicted].joined(separator: "\n") + "\n", to: output)
        let standard = try path(LogDirectory.standardSuffix)

        var wholeWarnings: [LogParser.Warning] = []
        let whole = try #require(
            LogParser.Aggregate.killedRun(
                standardFile: standard, log: try LogParser.parseStandardLog(file: standard),
                warnings: &wholeWarnings))
        let folded = try #require(LogParser.killedRunLog(standardFile: standard, read: nil))
        #expect(folded.foldedEnergy.run != nil && folded.epochs.count == 1, "read again folding")
        let aggregate = try LogParser.aggregateConsumption(logDir: logs)
        #expect(aggregate.runsCounted == 1)
        #expect(aggregate.energyKilowattHours.bitPattern == whole.energyKilowattHours.bitPattern)
        #expect(aggregate.energyKilowattHoursRange == whole.energyKilowattHoursRange)
        let warning = try #require(wholeWarnings.first)
        #expect(aggregate.warnings.contains(warning), "\(aggregate.warnings)")
    }
}
