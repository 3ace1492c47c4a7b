import Foundation
import Testing

@testable import CarbonTracker
@testable import CarbonTrackerMonitor
@testable import CarbonTrackerSources

#if canImport(FoundationXML)
    import FoundationXML
#endif

/// A report of any run length: charts bin their points (sums kept, spikes kept by the min-max band),
/// the table lists the first and last epochs with the totals, and the CLI's memory does not grow with
/// the number of epochs.
@Suite struct ReportScaleTests {
    /// A run of `count` one-second CPU epochs of 10–16 W, with one epoch of 1,000 W at `spike`.
    static func longLog(_ count: Int, spike: Int) -> LogParser.StandardLog {
        var log = LogParser.StandardLog()
        log.components = [.init(name: "cpu", devices: ["C"])]
        log.epochs = (1...count).map { number in
            let watts = number == spike ? 1_000 : Double(10 + number % 7)
            var epoch = LogParser.Epoch(number: number, durationSeconds: 1)
            epoch.components = [
                .init(
                    name: "cpu", averagePowerWatts: [watts], measuredEnergyJoules: [watts],
                    measurementMethod: .counter)
            ]
            return epoch
        }
        log.intensity = LogParser.Intensity()
        log.intensity?.averageGramsPerKilowattHour = 200
        return log
    }

    @Test func binnedChartsKeepTheTotalsAndTheSpikes() throws {
        let count = 20_000
        let spike = 12_345
        let log = Self.longLog(count, spike: spike)
        let model = ReportModel(standardLog: log, output: nil)
        let bins = model.bins.bins
        #expect(bins.count <= ReportModel.maximumPoints && bins.count > ReportModel.maximumPoints / 2)
        #expect(bins.reduce(0) { $0 + $1.epochs } == count)
        #expect(bins.first?.firstEpoch == 1 && bins.last?.lastEpoch == count)
        for (earlier, later) in zip(bins, bins.dropFirst()) {
            #expect(later.firstEpoch == earlier.lastEpoch + 1)
        }
        let joules = log.epochs.reduce(0) { $0 + ($1.components[0].measuredEnergyJoules?[0] ?? 0) }
        let binned = bins.reduce(0) { $0 + $1.joules[0] }
        #expect(abs(binned - joules) <= 1e-9 * joules, "energy is conserved by the bins")
        #expect(abs(model.kilowattHours - joules * model.pueFactor / 3_600_000) <= 1e-12)
        let spiked = try #require(bins.first { $0.firstEpoch <= spike && spike <= $0.lastEpoch })
        #expect(spiked.wattsMaximum[0] == 1_000, "the spike survives in its bin's maximum")
        #expect(bins.map { $0.wattsMinimum[0] }.min() == 10)

        let html = HTMLReport(standardLog: log, outputLog: nil, sourceName: "long").render()
        HTMLReportTests.expectSelfContained(html)
        let svgs = HTMLReportTests.svgElements(html)
        #expect(svgs.count == 3)
        for svg in svgs {
            #expect(XMLParser(data: Data(svg.utf8)).parse(), "each chart is well-formed SVG")
        }
        // One bar per bin plus the legend's swatches (CPU and the min-max band); one whisker per bin.
        #expect(HTMLReportTests.count("<rect x=", in: svgs[1]) == bins.count + 2)
        #expect(HTMLReportTests.count("<line class=\"band envelope\"", in: svgs[1]) == bins.count)
        #expect(svgs[0].contains("<polygon class=\"band envelope\""), "power min-max as an area")
        #expect(svgs[0].contains("1000"), "the power axis reaches the spike")
        #expect(html.contains("Each point is a bin of \(model.bins.width) neighbouring epochs"))
        #expect(HTMLReportTests.count("<tr><td class=\"num\">", in: html) == 2 * ReportModel.tableEdgeRows)
        #expect(html.contains("… \(count - 2 * ReportModel.tableEdgeRows) epochs not listed …"))
        #expect(html.contains("<tr class=\"total\"><th>All \(count)</th>"))
        #expect(html.contains("<td class=\"num\">\(count)</td>"), "the last epoch is listed")
        #expect(html.utf8.count < 600_000, "\(html.utf8.count) bytes")
    }

    @Test func rangesAreBandsOnTheEnergyAndCO2ChartsAndBesideTheTotals() throws {
        var log = Self.longLog(6, spike: 0)
        for index in log.epochs.indices {
            let kilowattHours = log.epochs[index].components[0].measuredEnergyJoules![0] * 1.58 / 3_600_000
            log.epochs[index].energyKilowattHoursRange = (kilowattHours * 0.9)...(kilowattHours * 1.2)
            log.epochs[index].co2eqGramsRange = (kilowattHours * 150)...(kilowattHours * 260)
        }
        var output = LogParser.OutputLog()
        output.actual = .init(epochs: 6, durationSeconds: 6, energyKilowattHours: 0.0123, co2eqGrams: 2.46)
        output.actual?.energyKilowattHoursRange = 0.0119...0.0128
        output.actual?.co2eqGramsRange = 2.1...2.9
        let html = HTMLReport(standardLog: log, outputLog: output, sourceName: "r").render()
        #expect(html.contains("<div class=\"range\">range 11.9–12.8 Wh</div>"))
        #expect(html.contains("<div class=\"range\">range 2.1–2.9 g</div>"))
        let svgs = HTMLReportTests.svgElements(html)
        #expect(HTMLReportTests.count("<line class=\"band range\"", in: svgs[1]) == 6, "a whisker per epoch")
        #expect(!svgs[1].contains("band envelope"), "no bins, no min-max band")
        #expect(
            HTMLReportTests.count("<polygon class=\"band range\"", in: svgs[2]) == 1, "cumulative CO2eq band")
        // The band's top at the last epoch is the sum of the epochs' high CO2eq bounds.
        let highGrams = log.epochs.reduce(0) { $0 + $1.co2eqGramsRange!.upperBound }
        let model = ReportModel(standardLog: log, output: nil)
        #expect(abs((model.co2eqGramsRange?.upperBound ?? 0) - highGrams) <= 1e-12 * highGrams)
        #expect(html.contains("Ranges are the bounds the log gives"))
        #expect(
            HTMLReportTests.count("<span class=\"range\">", in: html) == 6, "each epoch row gives its range")

        // Degenerate ranges (the value alone) and none at all draw nothing.
        var degenerate = Self.longLog(6, spike: 0)
        for index in degenerate.epochs.indices {
            let kilowattHours =
                degenerate.epochs[index].components[0].measuredEnergyJoules![0] * 1.58 / 3_600_000
            degenerate.epochs[index].energyKilowattHoursRange = kilowattHours...kilowattHours
        }
        for plain in [degenerate, Self.longLog(6, spike: 0)] {
            let page = HTMLReport(standardLog: plain, outputLog: nil, sourceName: "p").render()
            #expect(!page.contains("band range") && !page.contains("class=\"range\""))
        }

        // Binned, the whiskers are per bin: the mean of the bin's bounds.
        var long = Self.longLog(2_000, spike: 0)
        for index in long.epochs.indices {
            long.epochs[index].energyKilowattHoursRange = 0.001...0.002
        }
        let binned = HTMLReportTests.svgElements(
            HTMLReport(standardLog: long, outputLog: nil, sourceName: "b").render())
        let count = ReportModel(standardLog: long, output: nil).bins.bins.count
        #expect(HTMLReportTests.count("<line class=\"band range\"", in: binned[1]) == count)
        #expect(binned[1].contains("epochs 1–"))
    }

    #if os(Linux)
        /// Runs a simulated tracker for `epochs` back-to-back epochs (as the benchmark does) and
        /// returns its standard log.
        static func trackedRun(epochs: Int, in directory: String) throws -> (
            log: String, kilowattHours: Double
        ) {
            let tracker = try CarbonTracker(
                epochs: epochs, updateInterval: 1, logDir: directory, verbose: 0, simCPU: "Sim CPU",
                simCPUTDP: 100, simGPU: "Sim GPU", simGPUWatts: 300, options: CoreTest.options())
            for _ in 0..<epochs {
                try tracker.epochStart()
                try tracker.epochEnd()
            }
            let paths = try #require(tracker.logFiles)
            return (paths.standard, try #require(tracker.actualConsumption).energyKilowattHours)
        }

        @Test(
            .enabled(if: CLIEndToEndTests.binary != nil, "build the carbontracker product first"),
            .enabled(
                if: FileManager.default.isExecutableFile(atPath: "/usr/bin/time"),
                "needs GNU time (/usr/bin/time) to measure the CLI's own peak memory"))
        func theCLIsMemoryAndPageDoNotGrowWithTheEpochs() throws {
            let directory = try ParserTestSupport.scratchDirectory()
            defer { ParserTestSupport.cleanUp(directory) }
            let binary = try #require(CLIEndToEndTests.binary)
            var peaks: [Int] = []
            var sizes: [Int] = []
            for epochs in [5_000, 100_000] {
                let logs = directory + "/logs-\(epochs)"
                let (log, kilowattHours) = try Self.trackedRun(epochs: epochs, in: logs)
                let page = directory + "/report-\(epochs).html"
                let run = try BoundedFileTests.runMeasured(
                    [binary, "--report", log, "--output", page], output: directory + "/err-\(epochs)")
                #expect(run.status == 0, "\(run.output)")
                let html = try ParserTestSupport.read(page)
                #expect(html.contains("Duration of \(epochs) epoch(s)"))
                // The page sums the logged epochs (each rounded to 12 decimals), the tracker its own
                // doubles: the two may print a last digit apart, so the figure may be 0.01% either way.
                let figures = [1.0, 1 - 1e-4, 1 + 1e-4].map {
                    ReportFormat.energy(kilowattHours: kilowattHours * $0)
                }
                #expect(figures.contains { html.contains($0) }, "the run's energy, \(figures[0])")
                #expect(html.contains("<td class=\"num\">\(epochs)</td>"), "the last epoch is listed")
                peaks.append(run.maxResidentKilobytes)
                sizes.append(html.utf8.count)
                print(
                    "carbontracker --report over \(epochs) epochs: peak \(run.maxResidentKilobytes) kB, page \(html.utf8.count) bytes"
                )
            }
            // Kept epochs would cost hundreds of bytes each: 95,000 more would add tens of megabytes.
            #expect(peaks[1] < peaks[0] + 12_000, "peaks \(peaks) kB")
            #expect(sizes[1] < 1_000_000 && sizes[1] < sizes[0] * 3 / 2, "pages \(sizes) bytes")
        }
    #endif
}

extension ReportScaleTests {
    /// A text log's windows (no event log beside it): the streamed report's region shares are the
    /// whole-log parse's, though its epochs were not kept.
    @Test(.enabled(if: CLIEndToEndTests.binary != nil, "build the carbontracker product first"))
    func regionSharesOfATextLogSurviveTheStreamedRead() throws {
        let logs = try ParserTestSupport.scratchDirectory()
        defer { ParserTestSupport.cleanUp(logs) }
        let marks = """
            for i in 1 2 3; do echo epoch_start; echo "begin step"; sleep 0.05; echo "end step"; \
            echo epoch_end; done >&"$CARBONTRACKER_CONTROL_FD"
            """
        let run = try CLIEndToEndTests.run(
            ["--log_dir", logs, "--epochs", "3", "--update-interval", "0.02"] + CLIControlTests.simulated
                + ["sh", "-c", marks])
        #expect(run.status == 0, "\(run.standardError)")
        let names = try FileManager.default.contentsOfDirectory(atPath: logs)
        for name in names where name.hasSuffix(LogDirectory.eventsSuffix) {
            try FileManager.default.removeItem(atPath: logs + "/" + name)
        }
        let standard = try #require(names.first { $0.hasSuffix(LogDirectory.standardSuffix) })
        let whole = try LogParser.parseStandardLog(file: logs + "/" + standard)
        #expect(whole.epochs.count == 3 && whole.windows.count == 3)
        let profile = whole.regionProfile()
        let share = try #require(profile.roots.first?.shareOfRun)
        #expect(share > 0 && share <= 1)
        let html = try HTMLReport(standardLogFile: logs + "/" + standard).render()
        #expect(html.contains(ReportTimeline.regions(profile)), "the same regions, shares included")
    }
}
