import Foundation
import Testing

@testable import CarbonTracker
@testable import CarbonTrackerMonitor
@testable import CarbonTrackerSources

/// Logs written by an attacker or a broken disk: inputs that once trapped or hung the
/// parser, the report and the CLI, and the whole class they stand for (unchecked conversions,
/// figures that cannot be added up, line endings).
@Suite struct HostileInputTests {
    static let head =
        "2026-01-01 00:00:00 - carbontracker version 2.4.7\n"
        + "2026-01-01 00:00:00 - The following components were found: CPU with device(s) Xeon.\n"

    static let actualReport = """
        2026-01-01 00:00:09 - CarbonTracker: 
        Actual consumption:
        \tTime:\t0:00:01
        \tEnergy:\t0.000001000000 kWh
        \tCO2eq:\t0.000100000000 g

        """

    /// A directory holding one run: `standard` after ``head``, and `output`.
    static func run(standard: String, output: String = actualReport, name: String = "1") throws -> String {
        let directory = try ParserTestSupport.scratchDirectory("hostile")
        try ParserTestSupport.write(head + standard, to: "\(directory)/\(name)_carbontracker.log")
        try ParserTestSupport.write(output, to: "\(directory)/\(name)_carbontracker_output.log")
        return directory
    }

    /// What reading a run whose standard log is ``head`` + `standard` gives, every way the issue's
    /// crashing inputs were read: the directory parse and aggregate (`--parse`), the report
    /// (`--report`, and its HTML).
    struct Reading {
        var directory: String
        var parse: LogParser.DirectoryParse
        var aggregate: LogParser.Aggregate
        var report: HTMLReport
        var html: String
    }

    static func read(standard: String) throws -> Reading {
        let directory = try run(standard: standard)
        defer { ParserTestSupport.cleanUp(directory) }
        let report = try HTMLReport(standardLogFile: "\(directory)/1_carbontracker.log")
        return Reading(
            directory: directory, parse: try LogParser.parseAllLogs(logDir: directory),
            aggregate: try LogParser.aggregateConsumption(logDir: directory), report: report,
            html: report.render())
    }

    // MARK: Inputs that once trapped or hung a reader

    /// `StandardLogScanner.swift:130` trapped with "arithmetic overflow" numbering the epoch after
    /// epoch Int.max; `--parse` and `--report` died with SIGILL.
    @Test func anEpochNumberedIntMaxFollowedByTwoDurationsDoesNotTrap() throws {
        let run = try Self.read(
            standard: """
                2026-01-01 00:00:00 - Epoch 9223372036854775807:
                2026-01-01 00:00:01 - Duration: 0:00:01.00
                2026-01-01 00:00:01 - Duration: 0:00:01.00

                """)
        let log = try #require(run.parse.entries.first?.standardLog)
        #expect(log.epochs.map(\.number) == [Int.max, Int.max])
        #expect(log.epochs.map(\.durationSeconds) == [1, 1])
        #expect(
            log.warnings == [
                "Line 5: the epoch after epoch \(Int.max) cannot be numbered; it keeps that number."
            ])
        #expect(run.aggregate.runsCounted == 1)
        #expect(run.report.warnings.contains { $0.contains("cannot be numbered") })
        #expect(run.html.contains("<td class=\"num\">\(Int.max)</td>"))
    }

    /// An epoch number beyond `Int` is not read as one (it cannot be), with a warning.
    @Test func anEpochNumberBeyondIntIsReportedAndTheEpochNumberedAfterThePrevious() {
        let log = LogParser.parseStandardLog(
            Self.head + """
                2026-01-01 00:00:00 - Epoch 1:
                2026-01-01 00:00:01 - Duration: 0:00:01.00
                2026-01-01 00:00:01 - Epoch 99999999999999999999999:
                2026-01-01 00:00:02 - Duration: 0:00:01.00

                """)
        #expect(log.epochs.map(\.number) == [1, 2])
        #expect(
            log.warnings == [
                "Line 5: the epoch number '99999999999999999999999' is too large; the epoch is numbered "
                    + "after the one before it."
            ])
    }

    /// `ReportFormat.swift:66` trapped converting the total duration to `Int`.
    @Test func aDurationOfBillionsOfHoursDoesNotTrapTheReport() throws {
        let run = try Self.read(
            standard: """
                2026-01-01 00:00:00 - Epoch 1:
                2026-01-01 00:00:01 - Duration: 2562047788015216:00:00
                2026-01-01 00:00:01 - Average power usage (W) for cpu: [10.0]

                """)
        #expect(
            run.parse.entries.first?.standardLog.epochs.first?.durationSeconds == 2_562_047_788_015_216.0
                * 3600)
        #expect(run.report.warnings.isEmpty, "\(run.report.warnings)")
        #expect(run.html.contains(">2562047788015216:00:16.00<"), "as Python's convert_to_timestring")
        #expect(run.html.contains("2.562e+15 h"))
    }

    /// The same class of conversion: the longest duration a log can hold, in every formatter.
    @Test func theLongestDurationsAreFormattedWithoutTrapping() {
        let log = LogParser.parseStandardLog("2026-01-01 00:00:01 - Duration: 9223372036854775807:59:60.99\n")
        let longest = try? #require(log.epochs.first?.durationSeconds)
        #expect(longest == Double(Int.max) * 3600 + 59 * 60 + 60.99)
        for seconds in [longest ?? 0, -(longest ?? 0), .greatestFiniteMagnitude, 1e20, 4e15] {
            for hundredths in [false, true] {
                let text = TimeString.format(seconds: seconds, withHundredths: hundredths)
                let parts = text.split(separator: ":")
                #expect(parts.count == 3 && parts[1].count == 2, "\(text)")
                #expect(Double(parts[2]).map { (0..<60).contains($0) } == true, "\(text)")
            }
            #expect(ReportFormat.duration(seconds: seconds).hasSuffix(" h"))
        }
        #expect(TimeString.format(seconds: 1e20) == "27777777777777780:12:40", "as Python's")
        #expect(ReportFormat.duration(seconds: -3725) == "-1 h 2 min 5 s")
    }

    /// A power of 1.7e308 W made the chart's maximum infinite and its tick loop endless (memory grew
    /// past 244 MB in 10 s). The epoch's energy overflows, so it is left out, once, with the file named.
    @Test func aPowerOf1_7e308DoesNotHangTheReport() throws {
        let run = try Self.read(
            standard: """
                2026-01-01 00:00:00 - Epoch 1:
                2026-01-01 00:00:01 - Duration: 0:00:01.00
                2026-01-01 00:00:01 - Average power usage (W) for cpu: [1.7e308]
                2026-01-01 00:00:01 - Epoch 2:
                2026-01-01 00:00:02 - Duration: 0:00:01.00
                2026-01-01 00:00:02 - Average power usage (W) for cpu: [10.0]

                """)
        #expect(
            run.report.warnings == [
                "'\(run.directory)/1_carbontracker.log': 1 epoch(s) (1) have a duration, power or energy that is "
                    + "not a finite, non-negative number (or would overflow the totals); they are left out of "
                    + "the totals, charts and tables."
            ])
        #expect(run.html.components(separatedBy: "<svg class=\"chart\"").count == 4)
        #expect(Self.coordinatesAreFinite(run.html))
    }

    /// Power this large with a logged energy keeps the epoch; the chart still ends.
    @Test func chartsOfHugeValuesAndOverflowingStacksEnd() throws {
        for style in [SVGChart.Style.lines, .stackedBars] {
            let chart = SVGChart(
                title: "t", yLabel: "W", categories: [1, 2],
                series: [
                    .init(name: "A", color: "#000", values: [1.7e308, 1]),
                    .init(name: "B", color: "#111", values: [1.7e308, .greatestFiniteMagnitude]),
                ], style: style)
            let svg = chart.render()
            let gridLines = svg.components(separatedBy: "class=\"grid\"").count - 1
            #expect((1...11).contains(gridLines), "\(style): \(gridLines) grid lines")
            #expect(Self.coordinatesAreFinite(svg), "\(style)")
        }
        let tiny = SVGChart(
            title: "t", yLabel: "W", categories: [1],
            series: [.init(name: "A", color: "#000", values: [.leastNonzeroMagnitude])],
            style: .lines
        ).render()
        #expect(Self.coordinatesAreFinite(tiny))
    }

    /// No coordinate or size in the SVG is `nan` or infinite.
    static func coordinatesAreFinite(_ svg: String) -> Bool {
        !["\"nan\"", "\"inf\"", "\"-inf\"", "\"-nan\""].contains { svg.contains($0) }
    }

    /// Found by the fuzzer: a window line whose method tag came before its list trapped on a
    /// reversed range.
    @Test func aWindowLineWithItsMethodTagFirstIsUnreadableNotATrap() {
        #expect(
            WindowLogLine.parse("eval: duration 0:00:01.00, energy (J) for gpu] [method: x: [1.0]") == nil)
        let log = LogParser.parseStandardLog(
            "2026-01-01 00:00:00 - Window eval: duration 0:00:01.00, energy (J) for gpu] [method: x: [1]\n")
        #expect(log.warnings == ["Line 1: cannot read the window line; it is left out."])
        let window = WindowLogLine.parse(
            "e] [method: x: duration 0:00:01.00, energy (J) for gpu: [1.5 2.5] [method: counter], CO2eq (g): 0.1"
        )
        #expect(window?.components.first?.energyJoules == [1.5, 2.5])
    }

    // MARK: Figures that cannot be added up

    /// One corrupt run can neither poison nor cancel the others: NaN, infinite, negative and
    /// overflowing energies are left out, each with one warning naming its file.
    @Test func unusableEnergiesAreLeftOutOfTheAggregateWithOneWarningEach() throws {
        let directory = try ParserTestSupport.scratchDirectory()
        defer { ParserTestSupport.cleanUp(directory) }
        let energies = ["0.5", "nan", "inf", "-0.4", "1.7e308", "1.7e308", "-inf"]
        for (index, energy) in energies.enumerated() {
            try ParserTestSupport.write(
                Self.head + "2026-01-01 00:00:01 - Duration: 0:00:01.00\n",
                to: "\(directory)/\(index)_carbontracker.log")
            try ParserTestSupport.write(
                Self.actualReport.replacingOccurrences(of: "0.000001000000 kWh", with: "\(energy) kWh"),
                to: "\(directory)/\(index)_carbontracker_output.log")
        }
        let aggregate = try LogParser.aggregateConsumption(logDir: directory)
        #expect(aggregate.runsCounted == 2)
        #expect(aggregate.energyKilowattHours == 0.5 + 1.7e308)
        #expect(aggregate.co2eqGrams == 0.0002)
        let messages = aggregate.warnings.map { ($0.file as NSString).lastPathComponent + ": " + $0.message }
        #expect(
            messages == [
                "1_carbontracker_output.log: The energy figure is not a number; this run is left out of the totals.",
                "2_carbontracker_output.log: The energy figure is infinite; this run is left out of the totals.",
                "3_carbontracker_output.log: The energy figure is negative (-0.4); this run is left out of the totals.",
                "5_carbontracker_output.log: The energy figure is too large (1.7e+308): the total would overflow; "
                    + "this run is left out of the totals.",
                "6_carbontracker_output.log: The energy figure is minus infinity; this run is left out of the totals.",
            ])
        #expect(!aggregate.sentence.contains("nan") && !aggregate.sentence.contains("inf"))
    }

    /// A distributed job's total is rebuilt from its runs' epochs; a corrupt epoch cannot poison it.
    @Test func unusableEpochsAreLeftOutOfADistributedJobWithOneWarningPerRun() throws {
        let directory = try ParserTestSupport.scratchDirectory()
        defer { ParserTestSupport.cleanUp(directory) }
        for (rank, watts) in [(0, "10.0"), (1, "-inf"), (2, "1.7e308")] {
            try ParserTestSupport.write(
                Self.head
                    + "2026-01-01 00:00:00 - Distributed run: job 77 (slurm), step 0, node n1, rank \(rank) of 3, "
                    + "local rank \(rank) of 3, launcher slurm, pid \(100 + rank)\n"
                    + "2026-01-01 00:00:00 - Epoch 1:\n2026-01-01 00:00:10 - Duration: 0:00:10.00\n"
                    + "2026-01-01 00:00:10 - Average power usage (W) for cpu: [\(watts)]\n"
                    + "2026-01-01 00:00:10 - Epoch 2:\n2026-01-01 00:00:20 - Duration: -0:00:10.00\n"
                    + "2026-01-01 00:00:20 - Average power usage (W) for cpu: [10.0]\n"
                    + "2026-01-01 00:00:20 - Average carbon intensity during training was 100.00 gCO2eq/kWh.\n"
                    + "2026-01-01 00:00:20 - Monitoring thread ended.\n",
                to: "\(directory)/r\(rank)_carbontracker.log")
            try ParserTestSupport.write(
                Self.actualReport, to: "\(directory)/r\(rank)_carbontracker_output.log")
        }
        let aggregate = try LogParser.aggregateConsumption(logDir: directory)
        let job = try #require(aggregate.jobs.first)
        #expect(
            job.energyKilowattHours == 100 * powerUsageEffectiveness / 3_600_000, "rank 0's first epoch only")
        #expect(approximatelyEqual(job.co2eqGrams, job.energyKilowattHours * 100))
        #expect(aggregate.energyKilowattHours == job.energyKilowattHours)
        let messages = aggregate.warnings.map(\.message)
        #expect(messages.count == 3, "\(messages)")
        for rank in 0..<3 {
            #expect(
                messages.contains {
                    $0.hasPrefix(
                        "\(directory)/r\(rank)_carbontracker.log: \(rank == 0 ? 1 : 2) duration(s) or energies"
                    )
                })
        }
    }

    @Test func unusableCO2AndEquivalentsAreLeftOutWithOneWarningForTheRun() {
        let good = LogParser.Consumption(
            epochs: nil, durationSeconds: 1, energyKilowattHours: 1, co2eqGrams: 10,
            equivalents: [.init(unit: "km travelled by car", amount: 0.1)])
        let bad = LogParser.Consumption(
            epochs: nil, durationSeconds: 1, energyKilowattHours: 2, co2eqGrams: -.infinity,
            equivalents: [.init(unit: "km travelled by car", amount: .nan)])
        let aggregate = LogParser.Aggregate(
            runs: [(outputFile: "a", consumption: good), (outputFile: "b", consumption: bad)], warnings: [])
        #expect(aggregate.energyKilowattHours == 3)
        #expect(aggregate.co2eqGrams == 10)
        #expect(aggregate.equivalents == ["km travelled by car": 0.1])
        #expect(
            aggregate.warnings == [
                .init(
                    file: "b",
                    message:
                        "The CO2eq figure is minus infinity and the equivalent in km travelled by car is not "
                        + "a number; only the rest of this run is counted in the totals.")
            ])
    }

    /// A negative epoch cannot cancel a positive one in the report's totals.
    @Test func unusableEpochsAreLeftOutOfTheReportWithOneWarningNamingTheFile() throws {
        var log = LogParser.StandardLog()
        log.components = [.init(name: "cpu", devices: ["X"])]
        for (number, duration, watts) in [
            (1, 10.0, 5.0), (2, -10, 5), (3, 10, -5), (4, .nan, 5), (5, 10, .infinity),
        ] {
            var epoch = LogParser.Epoch(number: number, durationSeconds: duration)
            epoch.components = [.init(name: "cpu", averagePowerWatts: [watts])]
            log.epochs.append(epoch)
        }
        log.intensity = LogParser.Intensity()
        log.intensity?.averageGramsPerKilowattHour = -.infinity
        let report = HTMLReport(standardLog: log, outputLog: nil, sourceName: "logs/x_carbontracker.log")
        #expect(
            report.warnings == [
                "'logs/x_carbontracker.log': the average carbon intensity -inf is not a finite, non-negative "
                    + "number; it is left out.",
                "'logs/x_carbontracker.log': 4 epoch(s) (2, 3, 4, 5) have a duration, power or energy that is "
                    + "not a finite, non-negative number (or would overflow the totals); they are left out of "
                    + "the totals, charts and tables.",
            ])
        let model = ReportModel(standardLog: log, output: nil)
        #expect(model.epochs.map(\.number) == [1])
        #expect(model.durationSeconds == 10)
        #expect(model.kilowattHours == 50 * powerUsageEffectiveness / 3_600_000)
        #expect(model.co2eqGrams == nil)
    }

    @Test func anActualReportWithAnUnusableEnergyIsNotUsedForTotals() {
        var log = LogParser.StandardLog()
        var epoch = LogParser.Epoch(number: 1, durationSeconds: 10)
        epoch.components = [.init(name: "cpu", averagePowerWatts: [5])]
        log.epochs = [epoch]
        var output = LogParser.OutputLog()
        output.actual = .init(epochs: nil, durationSeconds: 1, energyKilowattHours: -1, co2eqGrams: 3)
        let model = ReportModel(standardLog: log, output: output, sourceName: "s")
        #expect(!model.totalsFromActualReport)
        #expect(model.kilowattHours == 50 * powerUsageEffectiveness / 3_600_000)
        #expect(model.warnings.count == 1)
        #expect(model.warnings.first?.hasPrefix("'s': the actual consumption report") == true)
    }

    // MARK: Line endings and bounds

    static let lines = [
        "2026-01-01 00:00:00 - Epoch 1:", "2026-01-01 00:00:01 - Duration: 0:00:01.50",
        "2026-01-01 00:00:01 - Average power usage (W) for cpu: [12.5]", "", "last",
    ]

    /// CR-only logs were read as one unfinished line ("probably killed"); Python reads all three.
    @Test(arguments: ["\n", "\r\n", "\r"])
    func everyLineEndingIsRead(ending: String) throws {
        let text =
            Self.head.replacingOccurrences(of: "\n", with: ending)
            + Self.lines.dropLast().joined(separator: ending) + ending
        let directory = try ParserTestSupport.scratchDirectory()
        defer { ParserTestSupport.cleanUp(directory) }
        try ParserTestSupport.write(text, to: directory + "/x_carbontracker.log")
        for log in [
            LogParser.parseStandardLog(text),
            try LogParser.parseStandardLog(file: directory + "/x_carbontracker.log"),
        ] {
            #expect(log.warnings.isEmpty, "\(log.warnings)")
            #expect(log.version == "2.4.7")
            #expect(log.components == [.init(name: "cpu", devices: ["Xeon"])])
            #expect(log.epochs.map(\.durationSeconds) == [1.5])
            #expect(log.epochs.first?.components.first?.averagePowerWatts == [12.5])
        }
    }

    /// The reader splits lines the same way however its reads cut the file, `\r\n` across two reads
    /// included, and skips a line longer than its limit wherever the cut falls.
    @Test func linesAreTheSameWhateverTheReadSizes() throws {
        let directory = try ParserTestSupport.scratchDirectory()
        defer { ParserTestSupport.cleanUp(directory) }
        let path = directory + "/lines"
        let long = String(repeating: "x", count: 40)
        var random = SeededGenerator(state: 13)
        for _ in 0..<300 {
            let pieces = (0..<Int.random(in: 1...12, using: &random)).map { _ in
                ["a", "bc", "", long, "\u{0}", "é"].randomElement(using: &random)!
                    + ["\n", "\r\n", "\r", "\r\r", "\n\r"].randomElement(using: &random)!
            }
            let endsMidLine = Bool.random(using: &random)
            let text = pieces.joined() + (endsMidLine ? "tail" : "")
            try ParserTestSupport.write(text, to: path)
            // The in-memory reading passes the part after the last line ending on too ("" or "tail").
            var complete: [String] = []
            LogFileReader.forEachLine(text: text) { complete.append($0.string) }
            complete.removeLast()
            for capacity in [1, 2, 3, 7, 31, 32] {
                let buffer = LogFileReader.Buffer(capacity: capacity, maximumLineBytes: 32)
                var lines: [String] = []
                let fd = open(path, O_RDONLY)
                defer { close(fd) }
                let outcome = try LogFileReader.forEachLine(
                    descriptor: fd, knownBytes: 0, buffer: buffer, path: path
                ) { lines.append($0.string) }
                let context = "capacity \(capacity), \(text.debugDescription)"
                #expect(lines == complete.filter { $0.utf8.count < 32 }, "\(context)")
                #expect(outcome.longLines == complete.filter { $0.utf8.count >= 32 }.count, "\(context)")
                #expect(outcome.endedMidLine == endsMidLine, "\(context)")
            }
        }
    }

    /// A file of garbage makes a bounded number of warnings, each quoting a bounded excerpt.
    @Test func warningsAboutLinesAreBounded() {
        let garbage = "2026-01-01 00:00:01 - Duration: " + String(repeating: "z", count: 100_000) + "\n"
        let log = LogParser.parseStandardLog(String(repeating: garbage, count: 200))
        #expect(log.warnings.count == LogFileReader.lineWarningLimit + 1)
        #expect(log.warnings.allSatisfy { $0.utf8.count < 300 })
        #expect(log.warnings.last == "180 more line(s) could not be read (only the first 20 are listed).")
        #expect(log.warnings.first?.hasSuffix("…' (100000 bytes); the epoch is left out.") == true)
    }

    /// A power list that never closes is not collected for ever.
    @Test func anUnclosedPowerListIsNotKeptBeyondTheLineLimit() {
        let chunk = String(repeating: "1.0 ", count: 50_000) + "\n"
        let text =
            "2026-01-01 00:00:01 - Duration: 0:00:01\n"
            + "2026-01-01 00:00:01 - Average power usage (W) for cpu: [1.0\n"
            + String(repeating: chunk, count: 8)
        let log = LogParser.parseStandardLog(text)
        #expect(
            log.warnings.contains {
                $0.contains("goes on for more than 1048576 bytes without a closing bracket")
            })
        #expect(log.epochs.first?.components.isEmpty == true)
    }
}
