import Foundation
import Testing

@testable import CarbonTracker
@testable import CarbonTrackerCLICore
@testable import CarbonTrackerMonitor
@testable import CarbonTrackerSources

/// Ranges written to the standard and output logs and read back, summed for jobs and aggregates,
/// and shown in the sentence, the JSON and the model card.
@Suite struct RangeOutputTests {
    /// An epoch whose bounds are far from its value on both sides, unequally.
    static func epoch(_ name: String = "epoch 1") -> WindowMeasurement {
        var measurement = ExportTest.measurement(name, offset: 0, seconds: 2)
        let energy = measurement.energyKilowattHours
        measurement.energyKilowattHoursRange = (energy * 0.93)...(energy * 1.08)
        measurement.co2eqGramsRange = (measurement.co2eqGrams * 0.8)...(measurement.co2eqGrams * 1.3)
        return measurement
    }

    static func report(_ kind: ConsumptionReport.Kind, epochs: Int) -> ConsumptionReport {
        let plain = ExportTest.report(kind, epochs: epochs)
        return ConsumptionReport(
            kind: kind, epochs: epochs, durationSeconds: plain.durationSeconds,
            energyKilowattHours: plain.energyKilowattHours, co2eqGrams: plain.co2eqGrams,
            gramsPerKilowattHour: plain.gramsPerKilowattHour, equivalents: plain.equivalents, components: [],
            epochDurationsSeconds: plain.epochDurationsSeconds,
            energyKilowattHoursRange: (plain.energyKilowattHours * 0.6)...(plain.energyKilowattHours * 1.4),
            co2eqGramsRange: (plain.co2eqGrams * 0.5)...(plain.co2eqGrams * 2))
    }

    @Test func epochAndWindowRangeLinesReadBackExactly() throws {
        var batch = LogBatch()
        let epoch = Self.epoch()
        batch.standard("Epoch 1:")
        batch.standard("Duration: 0:00:02.00")
        batch.standard("Average power usage (W) for gpu: 248.0")
        RangeLine.appendEpoch(epoch, to: &batch)
        // A name holding the markers the line is split at, and a control character.
        var window = Self.epoch("eval: a, Energy range: b\n")
        window.co2eqGramsRange = 0...(window.co2eqGrams * 3)
        WindowLine.append(window, to: &batch)
        RangeLine.appendWindow(window, to: &batch)
        let text = String(decoding: batch.standardBytes, as: UTF8.self)
        #expect(text.contains(" - Energy range: 0.000"), "kilowatt-hours in plain decimals: \(text)")
        #expect(text.contains(" - Energy range of window eval: a, Energy range: b : "))

        let log = LogParser.parseStandardLog(text)
        #expect(log.warnings == [])
        // Read back as written: kilowatt-hours to 10⁻¹⁵, grams to 10⁻¹².
        func written(_ range: ClosedRange<Double>, _ scale: Double) -> ClosedRange<Double> {
            LogNumber.rounded(range.lowerBound, scale)...LogNumber.rounded(range.upperBound, scale)
        }
        let parsed = try #require(log.epochs.first)
        #expect(parsed.energyKilowattHoursRange == written(epoch.energyKilowattHoursRange, 1e15))
        #expect(parsed.co2eqGramsRange == written(epoch.co2eqGramsRange, 1e12))
        let parsedWindow = try #require(log.windows.first)
        #expect(parsedWindow.energyKilowattHoursRange == written(window.energyKilowattHoursRange, 1e15))
        #expect(parsedWindow.co2eqGramsRange == written(window.co2eqGramsRange, 1e12))
        let low = try #require(parsed.energyKilowattHoursRange?.lowerBound)
        #expect(
            abs(low / epoch.energyKilowattHoursRange.lowerBound - 1) < 1e-9, "ten significant digits kept")
    }

    @Test func aWindowRangeLineOnlyFillsTheWindowItNames() {
        var batch = LogBatch()
        let window = Self.epoch("eval")
        WindowLine.append(window, to: &batch)
        RangeLine.appendWindow(Self.epoch("other"), to: &batch)
        batch.standard("Energy range of window eval: 1\u{2013}nonsense kWh, CO2eq range: 2\u{2013}1 g")
        let log = LogParser.parseStandardLog(String(decoding: batch.standardBytes, as: UTF8.self))
        #expect(log.windows.count == 1)
        #expect(log.windows.first?.energyKilowattHoursRange == nil)
        #expect(log.warnings.count == 1, "the unreadable line is named: \(log.warnings)")
    }

    @Test func reportsInTheOutputLogAndConsoleCarryTheirRanges() throws {
        var batch = LogBatch()
        let predicted = Self.report(.predicted, epochs: 3)
        let actual = Self.report(.actual, epochs: 2)
        batch.output(predicted.text(heading: "Predicted consumption for 3 epoch(s):", decimalPrecision: 12))
        batch.output(predicted.rangeText(decimalPrecision: 12))
        batch.output("Average carbon intensity during training was 445.00 gCO2eq/kWh. ")
        batch.output(actual.text(heading: "Actual consumption for 2 epoch(s):", decimalPrecision: 12))
        batch.output(actual.rangeText(decimalPrecision: 12))
        // A range line that follows no report belongs to none.
        batch.output("Energy range: 1.0\u{2013}2.0 kWh, CO2eq range: 3.0\u{2013}4.0 g")
        let console = String(decoding: batch.consoleOutput, as: UTF8.self)
        #expect(console.contains("CarbonTracker: Energy range: 0."), "the console shows the range too")

        let output = LogParser.parseOutputLog(String(decoding: batch.outputBytes, as: UTF8.self))
        #expect(output.warnings == [])
        for (parsed, report) in [(output.predicted, predicted), (output.actual, actual)] {
            let energy = try #require(parsed?.energyKilowattHoursRange)
            let grams = try #require(parsed?.co2eqGramsRange)
            // Printed with 12 decimals, as the report's own figures.
            #expect(abs(energy.lowerBound - report.energyKilowattHoursRange.lowerBound) <= 5e-13)
            #expect(abs(energy.upperBound - report.energyKilowattHoursRange.upperBound) <= 5e-13)
            #expect(abs(grams.lowerBound - report.co2eqGramsRange.lowerBound) <= 5e-13)
            #expect(abs(grams.upperBound - report.co2eqGramsRange.upperBound) <= 5e-13)
            #expect(
                energy.lowerBound < parsed!.energyKilowattHours
                    && parsed!.energyKilowattHours < energy.upperBound)
        }
        #expect(
            output.actual?.equivalents == actual.equivalents.map { .init(unit: $0.unit, amount: 0.00123) })
    }

    @Test func aJobAddsItsEpochsBoundsEachAtItsValueWhenItHasNone() throws {
        var log = LogParser.StandardLog()
        log.powerUsageEffectiveness = 1.5
        log.intensity = LogParser.Intensity()
        log.intensity?.averageGramsPerKilowattHour = 400
        for number in 1...2 {
            var epoch = LogParser.Epoch(number: number, durationSeconds: 36)
            epoch.components = [
                LogParser.EpochComponent(name: "gpu", averagePowerWatts: [100], measuredEnergyJoules: [3600])
            ]
            if number == 1 {
                epoch.energyKilowattHoursRange = 0.0014...0.0017
                epoch.co2eqGramsRange = 0.5...0.7
            }
            log.epochs.append(epoch)
        }
        let total = LogParser.JobTotal.build([JobRun(standardFile: "", log: log, actual: nil)])
        #expect(abs(total.energyKilowattHours - 0.003) < 1e-15)
        let energy = try #require(total.energyKilowattHoursRange)
        let grams = try #require(total.co2eqGramsRange)
        // Epoch 2 (0.0015 kWh at 400 g/kWh) counts as its value in both bounds.
        #expect(abs(energy.lowerBound - 0.0029) < 1e-15 && abs(energy.upperBound - 0.0032) < 1e-15)
        #expect(abs(grams.lowerBound - 1.1) < 1e-12 && abs(grams.upperBound - 1.3) < 1e-12)
        #expect(total.summaryLine.contains(" kWh (0.00290\u{2013}0.00320), "), "\(total.summaryLine)")
        #expect(total.consumption.energyKilowattHoursRange == energy)

        log.epochs[0].energyKilowattHoursRange = nil
        #expect(
            LogParser.JobTotal.build([JobRun(standardFile: "", log: log, actual: nil)])
                .energyKilowattHoursRange == nil)
    }

    @Test func anAggregateAddsRunsWithoutARangeAtTheirValue() throws {
        func run(_ file: String, _ energy: Double, _ co2: Double, range: Bool) -> (
            String, LogParser.Consumption?
        ) {
            var consumption = LogParser.Consumption(
                epochs: 1, durationSeconds: 1, energyKilowattHours: energy, co2eqGrams: co2)
            if range {
                consumption.energyKilowattHoursRange = (energy * 0.9)...(energy * 1.2)
                consumption.co2eqGramsRange = (co2 * 0.5)...(co2 * 1.5)
            }
            return (file, consumption)
        }
        let plain = LogParser.Aggregate(runs: [run("a", 2, 100, range: false)], warnings: [])
        #expect(plain.energyKilowattHoursRange == nil && plain.runsWithoutRange == 1)
        #expect(!plain.sentence.contains("kWh ("), "a directory of Python logs keeps Python's sentence")

        let mixed = LogParser.Aggregate(
            runs: [run("a", 2, 100, range: false), run("b", 4, 1000, range: true)], warnings: [])
        #expect(mixed.runsWithoutRange == 1 && mixed.runsCounted == 2)
        let energy = try #require(mixed.energyKilowattHoursRange)
        let grams = try #require(mixed.co2eqGramsRange)
        #expect(abs(energy.lowerBound - 5.6) < 1e-12 && abs(energy.upperBound - 6.8) < 1e-12)
        #expect(abs(grams.lowerBound - 600) < 1e-9 && abs(grams.upperBound - 1600) < 1e-9)
        #expect(
            mixed.sentence.contains("6.0000000000000000 kWh (5.60\u{2013}6.80) of electricity"),
            "\(mixed.sentence)")
        #expect(
            mixed.sentence.contains("1.1000000000000001 kg (0.60\u{2013}1.60) of CO2eq"), "\(mixed.sentence)")
    }

    @Test func logBoundsArePlainDecimalsWrittenWithoutAllocating() {
        func fixed(_ value: Double, _ scale: Double = 1e15, _ decimals: Int = 15) -> String {
            var bytes: [UInt8] = []
            RangeLine.appendFixed(&bytes, value, scale: scale, decimals: decimals)
            return String(decoding: bytes, as: UTF8.self)
        }
        #expect(fixed(1.2345678901234567e-05) == "0.000012345678901")
        #expect(fixed(4.5) == "4.5")
        #expect(fixed(0) == "0.0")
        #expect(fixed(3.0000000000000004e-16) == "0.0")
        #expect(fixed(12.000000000002, 1e12, 12) == "12.000000000002")
        // Beyond 2^53 digits, or not a usable number: shortest round-trip form, which readers take too.
        #expect(fixed(10_000) == "10000.0")
        #expect(fixed(.nan) == "nan" && fixed(-1) == "-1.0" && fixed(.infinity) == "inf")
        for value in [1.2345678901234567e-05, 4.5, 0.1, 8.99] {
            #expect(LogValue.number(fixed(value)) == LogNumber.rounded(value, 1e15))
        }
    }

    @Test func theBoundsShowTheWidthOfTheRange() {
        // A counter's narrow range and an estimate's wide one around the same value read differently.
        #expect(RangeText.bounds(4.4812...4.5023) == "4.481\u{2013}4.502")
        #expect(RangeText.bounds(3.1...5.9) == "3.10\u{2013}5.90")
        #expect(RangeText.bounds(4.49...4.49) == "4.49\u{2013}4.49")
        #expect(RangeText.bounds(0.000012...0.000013) == "0.0000120\u{2013}0.0000130")
        #expect(RangeText.bounds(0...0) == "0.00\u{2013}0.00")
    }
}

/// A tracked run's logs with their range lines widened, as the measurement model will write them.
enum RangeLogs {
    /// Rewrites every range line of `path`: each low bound × (1 − `spread`), each high × (1 + `spread`).
    /// - Returns: How many lines were rewritten.
    @discardableResult
    static func widen(_ path: String, spread: Double) throws -> Int {
        let text = try ParserTestSupport.read(path)
        var count = 0
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map { line -> String in
            // The energy bounds start after the last ": " before " kWh, CO2eq range: " (a window's name
            // comes first on a window's line).
            guard let middle = line.range(of: " kWh, CO2eq range: "), line.hasSuffix(" g"),
                let colon = line[..<middle.lowerBound].range(of: ": ", options: .backwards)
            else { return String(line) }
            let energy = line[colon.upperBound..<middle.lowerBound].components(separatedBy: "\u{2013}")
            let grams = line[middle.upperBound...].dropLast(2).components(separatedBy: "\u{2013}")
            let parts = [energy, grams].map { $0.compactMap { Double($0) } }
            guard parts.allSatisfy({ $0.count == 2 }) else { return String(line) }
            count += 1
            func bounds(_ pair: [Double]) -> String {
                "\(pair[0] * (1 - spread))\u{2013}\(pair[1] * (1 + spread))"
            }
            return "\(line[..<colon.upperBound])\(bounds(parts[0])) kWh, CO2eq range: \(bounds(parts[1])) g"
        }
        // A new file renamed over the old: the tracker closes its logs just after `stop()` returns, and
        // its closing truncation must not reach the rewritten text.
        try lines.joined(separator: "\n").write(toFile: path, atomically: true, encoding: .utf8)
        return count
    }
}

@Suite struct RangeDirectoryTests {
    /// A tracked run of two epochs that writes its text logs alone (no event log) in `directory`.
    static func textOnlyRun(in directory: String) throws -> LogPaths {
        let tracker = try CarbonTracker(
            epochs: 2, updateInterval: 0.05, logDir: directory, simCPU: "Sim Xeon 2.20GHz", simCPUTDP: 100,
            simGPU: "Sim A100", simGPUWatts: 300,
            options: TrackerOptions(console: .silent, environment: CoreTest.offline, eventLog: false))
        try CoreTest.train(tracker, epochs: 2, seconds: 0.06)
        try tracker.stop()
        return try #require(tracker.logFiles)
    }

    /// ``textOnlyRun(in:)``'s logs, their range lines widened by 10% each way.
    static func widenedRun(in directory: String) throws -> LogPaths {
        let paths = try textOnlyRun(in: directory)
        try RangeLogs.widen(paths.standard, spread: 0.1)
        try RangeLogs.widen(paths.output, spread: 0.1)
        return paths
    }

    @Test func aRunReadFromItsEventLogTakesTheBoundsItLacksFromItsTextLogs() throws {
        let directory = try ParserTestSupport.scratchDirectory()
        defer { ParserTestSupport.cleanUp(directory) }
        let tracker = try CarbonTracker(
            epochs: 2, epochsBeforePred: 1, updateInterval: 0.05, logDir: directory,
            simCPU: "Sim Xeon 2.20GHz",
            simCPUTDP: 100, simGPU: "Sim A100", simGPUWatts: 300,
            options: TrackerOptions(console: .silent, environment: CoreTest.offline))
        _ = try tracker.monitor.measure("eval") { Thread.sleep(forTimeInterval: 0.03) }
        try CoreTest.train(tracker, epochs: 2, seconds: 0.06)
        try tracker.stop()
        let paths = try #require(tracker.logFiles)
        #expect(try RangeLogs.widen(paths.standard, spread: 0.2) == 3)
        #expect(try RangeLogs.widen(paths.output, spread: 0.2) == 2)
        // An event log written before ranges has no bound fields; the text logs' lines stand in for them.
        let eventLog = paths.base + "_events.jsonl"
        let events = try String(contentsOfFile: eventLog, encoding: .utf8)
        let withoutBounds = events.replacingOccurrences(
            of: #","(energy_kwh|co2eq_grams)_(low|high)":[-+.0-9eE]+"#, with: "", options: .regularExpression)
        #expect(withoutBounds.count < events.count, "the event log had bound fields to remove")
        try withoutBounds.write(toFile: eventLog + ".new", atomically: false, encoding: .utf8)
        _ = rename(eventLog + ".new", eventLog)
        let entry = try #require(try LogParser.parseAllLogs(logDir: directory).entries.first)
        #expect(entry.eventLogFile != nil, "read from the event log")
        for report in [entry.actual, entry.predicted] {
            let energy = try #require(report?.energyKilowattHoursRange)
            let value = try #require(report?.energyKilowattHours)
            #expect(
                abs(energy.lowerBound - value * 0.8) < 1e-11 && abs(energy.upperBound - value * 1.2) < 1e-11)
        }
        #expect(entry.standardLog.epochs.count == 2)
        #expect(entry.standardLog.epochs.allSatisfy { $0.energyKilowattHoursRange != nil })
        #expect(entry.windows.first?.co2eqGramsRange != nil)
        let aggregate = try LogParser.aggregateConsumption(logDir: directory)
        #expect(aggregate.runsWithoutRange == 0 && aggregate.energyKilowattHoursRange != nil)
    }

    @Test func parseTextPrintsTheSentenceWithItsBounds() throws {
        let directory = try ParserTestSupport.scratchDirectory()
        defer { ParserTestSupport.cleanUp(directory) }
        _ = try Self.widenedRun(in: directory)
        let console = CapturedConsole()
        #expect(
            CarbonTrackerCommand.main(
                arguments: ["--parse", directory, "--format", "text"], environment: [:],
                console: console.console)
                == 0)
        let aggregate = try LogParser.aggregateConsumption(logDir: directory)
        let energy = try #require(aggregate.energyKilowattHoursRange)
        #expect(console.printed == aggregate.sentence + "\n")
        #expect(
            console.printed.contains(" kWh (\(RangeText.bounds(energy))) of electricity contributing to "))
        #expect(console.printed.contains(" kg ("))
        #expect(aggregate.runsWithoutRange == 0)
        #expect(console.warnings.isEmpty)

        try ParserTestSupport.copyPythonLogs(to: directory)
        let mixed = CapturedConsole()
        #expect(
            CarbonTrackerCommand.main(
                arguments: ["--parse", directory], environment: [:], console: mixed.console) == 0)
        let runs = try LogParser.aggregateConsumption(logDir: directory).runsWithoutRange
        #expect(runs > 0)
        #expect(mixed.warnings.contains("WARNING - \(runs) run(s) logged no range"), "\(mixed.warnings)")
    }

    @Test func aTrackedRunsRangesReachTheParserJSONAndModelCard() throws {
        let directory = try ParserTestSupport.scratchDirectory()
        defer { ParserTestSupport.cleanUp(directory) }
        // The text logs alone: the parser prefers an event log, which is not what this test reads.
        let paths = try RangeDirectoryTests.textOnlyRun(in: directory)
        let standard = try ParserTestSupport.read(paths.standard)
        #expect(standard.components(separatedBy: " - Energy range: ").count - 1 == 2, "one line per epoch")
        let output = try ParserTestSupport.read(paths.output)
        #expect(output.components(separatedBy: " - CarbonTracker: Energy range: ").count - 1 == 2)
        // Today's ranges are the values alone; the lines carry whatever the model gives.
        let before = try #require(try LogParser.parseAllLogs(logDir: directory).entries.first)
        let actual = try #require(before.actual)
        #expect(actual.energyKilowattHoursRange?.lowerBound ?? 0 <= actual.energyKilowattHours)
        #expect(actual.energyKilowattHoursRange?.upperBound ?? 0 >= actual.energyKilowattHours)

        #expect(try RangeLogs.widen(paths.standard, spread: 0.1) == 2)
        #expect(try RangeLogs.widen(paths.output, spread: 0.1) == 2)
        try ParserTestSupport.copyPythonLogs(to: directory)
        let parse = try LogParser.parseAllLogs(logDir: directory)
        let entry = try #require(parse.entries.first { $0.standardFile == paths.standard })
        for epoch in entry.standardLog.epochs {
            let range = try #require(epoch.energyKilowattHoursRange)
            #expect(abs(range.upperBound / range.lowerBound - 1.1 / 0.9) < 1e-9)
        }
        let energy = try #require(entry.actual?.energyKilowattHoursRange)
        let value = try #require(entry.actual?.energyKilowattHours)
        #expect(abs(energy.lowerBound - value * 0.9) < 1e-11 && abs(energy.upperBound - value * 1.1) < 1e-11)

        let aggregate = LogParser.Aggregate(parse)
        let pythonOnly = LogParser.Aggregate(
            LogParser.DirectoryParse(entries: parse.entries.filter { $0.standardFile != paths.standard }))
        #expect(aggregate.runsWithoutRange == pythonOnly.runsCounted && pythonOnly.runsCounted > 0)
        let total = try #require(aggregate.energyKilowattHoursRange)
        #expect(abs(total.lowerBound - (pythonOnly.energyKilowattHours + energy.lowerBound)) < 1e-9)
        #expect(abs(total.upperBound - (pythonOnly.energyKilowattHours + energy.upperBound)) < 1e-9)

        let json = try #require(
            JSONSerialization.jsonObject(with: Data(LogExport.json(parse).utf8)) as? [String: Any])
        let totals = try #require(json["total"] as? [String: Any])
        #expect(approximatelyEqual(totals["energy_kwh_low"] as? Double, total.lowerBound))
        #expect(approximatelyEqual(totals["energy_kwh_high"] as? Double, total.upperBound))
        #expect(
            approximatelyEqual(totals["co2eq_grams_low"] as? Double, aggregate.co2eqGramsRange?.lowerBound))
        #expect(
            approximatelyEqual(totals["co2eq_grams_high"] as? Double, aggregate.co2eqGramsRange?.upperBound))
        #expect(totals["runs_without_range"] as? Int == pythonOnly.runsCounted)
        let runs = try #require(json["runs"] as? [[String: Any]])
        let run = try #require(runs.first { $0["standard_log"] as? String == paths.standard })
        #expect(approximatelyEqual(run["energy_kwh_low"] as? Double, energy.lowerBound))
        #expect(
            approximatelyEqual(
                (run["actual"] as? [String: Any])?["co2eq_grams_high"] as? Double,
                entry.actual?.co2eqGramsRange?.upperBound))
        let runEnergy = try #require(run["energy_kwh"] as? Double)
        #expect(
            try #require(run["energy_kwh_low"] as? Double) < runEnergy
                && runEnergy < (try #require(run["energy_kwh_high"] as? Double)))
        let pythonRun = try #require(runs.first { $0["standard_log"] as? String != paths.standard })
        #expect(pythonRun["energy_kwh_low"] is NSNull, "no bounds in a Python log: null, not a guess")

        let card = LogExport.modelCard(parse, trainingType: nil)
        #expect(card.contains("\n  # emissions range: "))
        #expect(card.contains("run(s) gave no bounds"))
    }
}

/// Python carbontracker 2.4.7's parser reads logs with range lines exactly as it reads them without.
@Suite(
    .enabled(
        if: ProcessInfo.processInfo.environment["CARBONTRACKER_PYTHON"] != nil,
        "skipped: set CARBONTRACKER_PYTHON to a Python with carbontracker==2.4.7 to run the interoperability test"
    ))
struct RangePythonInteropTests {
    private static let script = """
        import json, os, sys
        from carbontracker import parser
        logs = parser.parse_all_logs(sys.argv[1])
        for log in logs:
            for key in ("output_filename", "standard_filename"):
                log[key] = os.path.basename(log[key])
        energy, co2eq, equivalents = parser.aggregate_consumption(sys.argv[1])
        def plain(value):
            return value.tolist() if hasattr(value, "tolist") else str(value)
        print(json.dumps({"logs": logs, "aggregate": [energy, co2eq, equivalents]}, default=plain, sort_keys=True))
        """

    /// Python's reading of `directory`, in a C locale (Python then reads files as UTF-8 all the same).
    private func python(_ directory: String) throws -> String {
        let python = try #require(ProcessInfo.processInfo.environment["CARBONTRACKER_PYTHON"])
        let script = directory + "/../parse-ranges.py"
        try Self.script.write(toFile: script, atomically: true, encoding: .utf8)
        let result = try TestProcess.run("/usr/bin/env", ["LC_ALL=C", "LANG=C", python, script, directory])
        #expect(result.status == 0, "Python parser failed: \(result.error)")
        #expect(!result.output.contains("Warning"), "no equivalent was misread: \(result.output)")
        return result.output
    }

    @Test(arguments: [true, false]) func rangeLinesChangeNothingPythonReads(predicts: Bool) throws {
        let root = try ParserTestSupport.scratchDirectory()
        defer { ParserTestSupport.cleanUp(root) }
        let directory = root + "/logs"
        var options = CoreTest.options()
        options.eventLog = false
        let tracker = try CarbonTracker(
            epochs: 3, epochsBeforePred: predicts ? 1 : 0, updateInterval: 0.02, logDir: directory,
            simCPU: "Sim Xeon 1", simCPUTDP: 101, simGPU: "Sim A100", simGPUWatts: 496, options: options)
        _ = try tracker.monitor.measure("eval") { Thread.sleep(forTimeInterval: 0.03) }
        try CoreTest.train(tracker, epochs: 3, seconds: 0.05)
        try tracker.stop()
        let paths = try #require(tracker.logFiles)
        // Wide bounds, as an estimated run will have.
        #expect(try RangeLogs.widen(paths.standard, spread: 0.4) == 4, "three epochs and a window")
        #expect(try RangeLogs.widen(paths.output, spread: 0.4) == (predicts ? 2 : 1))

        let stripped = root + "/stripped"
        try FileManager.default.createDirectory(atPath: stripped, withIntermediateDirectories: true)
        for path in [paths.standard, paths.output] {
            let kept = try ParserTestSupport.read(path).split(
                separator: "\n", omittingEmptySubsequences: false
            )
            .filter { !$0.contains(" - Energy range") && !$0.contains("CarbonTracker: Energy range: ") }
            try ParserTestSupport.write(
                kept.joined(separator: "\n"), to: stripped + "/" + (path as NSString).lastPathComponent)
        }
        let withRanges = try python(directory)
        #expect(withRanges.contains("\"energy (kWh)\""), "Python found the report")
        #expect(try withRanges == python(stripped))

        // And this package reads the bounds back.
        let entry = try #require(try LogParser.parseAllLogs(logDir: directory).entries.first)
        let energy = try #require(entry.aggregatedConsumption?.energyKilowattHoursRange)
        let value = try #require(entry.aggregatedConsumption?.energyKilowattHours)
        #expect(abs(energy.lowerBound - value * 0.6) < 1e-11 && abs(energy.upperBound - value * 1.4) < 1e-11)
        #expect(entry.windows.first?.energyKilowattHoursRange != nil)
        #expect(entry.standardLog.epochs.allSatisfy { $0.co2eqGramsRange != nil })
    }
}

/// The model card stays what YAML readers and the Hub read, and the CodeCarbon CSV keeps CodeCarbon's header,
/// when the logs carry ranges.
@Suite(
    .enabled(
        if: ExportTest.python(with: ["codecarbon", "yaml"]) != nil,
        "skipped: set CARBONTRACKER_PYTHON to a Python with codecarbon and PyYAML"
    ))
struct RangeExportInteropTests {
    @Test func theModelCardsRangeCommentsLeaveItsYAMLUnchanged() throws {
        let python = try #require(ExportTest.python(with: ["yaml"]))
        let directory = try ParserTestSupport.scratchDirectory()
        defer { ParserTestSupport.cleanUp(directory) }
        _ = try RangeDirectoryTests.widenedRun(in: directory)
        let parse = try LogParser.parseAllLogs(logDir: directory)
        let card = LogExport.modelCard(parse, trainingType: "fine-tuning")
        #expect(card.contains("  # emissions range: "))
        let path = directory + "/card.yaml"
        try ParserTestSupport.write(card, to: path)
        let output = try ExportTest.runPython(
            python,
            """
            import json, sys, yaml
            print(json.dumps(yaml.safe_load(open(sys.argv[1], encoding="utf-8"))))
            """, [path])
        let object = try #require(JSONSerialization.jsonObject(with: Data(output.utf8)) as? [String: Any])
        let block = try #require(object["co2_eq_emissions"] as? [String: Any])
        let hubKeys: Set = ["emissions", "source", "training_type", "geographical_location", "hardware_used"]
        #expect(
            Set(block.keys).isSubset(of: hubKeys) && block.keys.contains("training_type"), "\(block.keys)")
        #expect(block["emissions"] as? Double == LogParser.Aggregate(parse).co2eqGrams)
    }

    @Test func theCSVHeaderIsTheOneCodeCarbonWrites() throws {
        let python = try #require(ExportTest.python(with: ["codecarbon"]))
        let directory = try ParserTestSupport.scratchDirectory()
        defer { ParserTestSupport.cleanUp(directory) }
        _ = try RangeDirectoryTests.widenedRun(in: directory)
        let ours = LogExport.codeCarbonCSV(try LogParser.parseAllLogs(logDir: directory))
        let written = directory + "/codecarbon"
        try FileManager.default.createDirectory(atPath: written, withIntermediateDirectories: true)
        // CodeCarbon writes a row of its own into an empty directory: its first line is its header.
        let output = try ExportTest.runPython(
            python,
            """
            import dataclasses, os, sys
            from codecarbon.output_methods.emissions_data import EmissionsData
            from codecarbon.output_methods.file import FileOutput
            numeric = (float, int, "float", "int")
            values = {f.name: (0 if f.type in numeric else "x") for f in dataclasses.fields(EmissionsData)}
            FileOutput("emissions.csv", sys.argv[1]).out(EmissionsData(**values), None)
            print("HEADER " + open(os.path.join(sys.argv[1], "emissions.csv")).readline(), end="")
            """, [written])
        let line = output.split(separator: "\n").first { $0.hasPrefix("HEADER ") }
        let header = try #require(line.map { String($0.dropFirst("HEADER ".count)) })
        #expect(header.hasPrefix("timestamp,project_name,run_id,"))
        #expect(ours.hasPrefix(header + "\n"), "no range column: CodeCarbon's exact header")
        #expect(!ours.contains("_low") && !ours.contains("_high"))
    }
}
