import Foundation
import Testing

@testable import CarbonTracker
@testable import CarbonTrackerMonitor
@testable import CarbonTrackerSources

#if canImport(FoundationXML)
    import FoundationXML
#endif

/// `--report DIR`: the runs and jobs of a log directory, their totals (each job once), and charts.
@Suite struct DirectoryReportTests {
    /// Two single runs and a job of two ranks on one node, in `scratch.logs`.
    static func directoryWithRunsAndAJob(_ scratch: JobScratch) throws {
        _ = try ParserTestSupport.runSimulatedTracker(logDir: scratch.logs, epochs: 2, prefix: "a")
        _ = try ParserTestSupport.runSimulatedTracker(logDir: scratch.logs, epochs: 3, prefix: "b")
        _ = try DistributedJobsParserTests.runJob(
            "77", nodes: 1, epochs: 1, seconds: 0.1, logDir: scratch.logs, locks: scratch.locks)
    }

    @Test func aDirectoryReportHasItsRunsJobsTotalsAndCharts() throws {
        let scratch = try JobScratch()
        try Self.directoryWithRunsAndAJob(scratch)
        let report = try DirectoryReport(logDirectory: scratch.logs)
        let aggregate = try LogParser.aggregateConsumption(logDir: scratch.logs)
        #expect(report.runs.count == 4)
        #expect(report.aggregate == aggregate)
        #expect(report.entries.count == 3, "two runs and the job once")
        let entriesEnergy = report.entries.reduce(0) { $0 + ($1.energyKilowattHours ?? 0) }
        #expect(abs(entriesEnergy - aggregate.energyKilowattHours) <= 1e-12, "the charts add up to the total")
        #expect(
            report.runs.filter { $0.jobKey == "slurm:77" }.map(\.rankLabel).sorted() == [
                "node1 rank 0", "node1 rank 1",
            ])

        let html = report.render()
        HTMLReportTests.expectSelfContained(html)
        #expect(html.contains(ReportFormat.energy(kilowattHours: aggregate.energyKilowattHours)))
        #expect(html.contains(ReportFormat.mass(grams: aggregate.co2eqGrams)))
        #expect(html.contains("<h2>Distributed jobs</h2>") && html.contains("77 (slurm)"))
        #expect(html.contains("1 node × 2 ranks"))
        let svgs = HTMLReportTests.svgElements(html)
        #expect(svgs.count == 3, "energy per entry, cumulative CO2eq, the job's ranks")
        for svg in svgs {
            #expect(XMLParser(data: Data(svg.utf8)).parse(), "each chart is well-formed SVG")
        }
        #expect(HTMLReportTests.count("</title></rect>", in: svgs[0]) == 3, "a bar per entry")
        let spread = report.entries.contains { entry in
            entry.energyRange.map { $0.upperBound > $0.lowerBound } ?? false
        }
        #expect(
            HTMLReportTests.count("fill-opacity=\"0.35\"/>", in: svgs[0]) == (spread ? 1 : 0),
            "the range band's legend entry only where an entry's energy has a spread")
        #expect(svgs[2].contains("Job 77: energy per rank"))
        #expect(HTMLReportTests.count("</title></rect>", in: svgs[2]) == 2, "a bar per rank")
        #expect(HTMLReportTests.count("<tr><td class=\"num\">", in: html) == 4, "a row per run")
        #expect(report.warnings.isEmpty, "\(report.warnings)")

        let empty = scratch.locks + "/empty"
        try FileManager.default.createDirectory(atPath: empty, withIntermediateDirectories: true)
        #expect(throws: CarbonTrackerError.self) { try DirectoryReport(logDirectory: empty) }
    }

    @Test func manyRunsAreBinnedAndTheTableListsItsEnds() throws {
        var runs: [DirectoryReport.Run] = []
        for index in 0..<1_500 {
            let kilowattHours = index == 900 ? 5.0 : 0.01 + Double(index % 5) * 0.001
            runs.append(
                DirectoryReport.Run(
                    file: "/l/\(index)_carbontracker.log", jobKey: nil, rankLabel: "", epochs: 1,
                    durationSeconds: 1,
                    energyKilowattHours: kilowattHours, co2eqGrams: kilowattHours * 100,
                    energyKilowattHoursRange: (kilowattHours * 0.9)...(kilowattHours * 1.1),
                    co2eqGramsRange: nil))
        }
        var aggregate = LogParser.Aggregate(LogParser.DirectoryParse(entries: [], warnings: []))
        aggregate.energyKilowattHours = runs.reduce(0) { $0 + $1.energyKilowattHours! }
        let report = DirectoryReport(logDirectory: "/l", aggregate: aggregate, runs: runs, warnings: [])
        let html = report.render()
        let svgs = HTMLReportTests.svgElements(html)
        let bins = DirectorySections.binned(runs.count)
        #expect(bins.count <= ReportModel.maximumPoints && bins.reduce(0) { $0 + $1.count } == runs.count)
        #expect(HTMLReportTests.count("<rect x=", in: svgs[0]) == bins.count + 3, "bars, legend of three")
        #expect(HTMLReportTests.count("<line class=\"band envelope\"", in: svgs[0]) == bins.count)
        #expect(HTMLReportTests.count("<line class=\"band range\"", in: svgs[0]) == bins.count)
        #expect(svgs[0].contains("–5 kWh</title>"), "the 5 kWh run stays visible as its bin's maximum")
        #expect(HTMLReportTests.count("<tr><td class=\"num\">", in: html) == DirectoryReport.maximumRows)
        #expect(html.contains("… \(runs.count - DirectoryReport.maximumRows) runs not listed …"))
        #expect(html.utf8.count < 1_000_000)
    }

    @Test(.enabled(if: CLIEndToEndTests.binary != nil, "build the carbontracker product first"))
    func theCLIWritesTheReportOfADirectory() throws {
        let scratch = try JobScratch()
        try Self.directoryWithRunsAndAJob(scratch)
        let output = scratch.locks + "/directory.html"
        let run = try CLIEndToEndTests.run(["--report", scratch.logs, "--output", output])
        #expect(run.status == 0, "\(run.standardError)")
        #expect(run.standardOutput == "Report generated: \(output)\n")
        let html = try ParserTestSupport.read(output)
        #expect(html == (try DirectoryReport(logDirectory: scratch.logs)).render())

        // Opened in Chromium: the DOM keeps the charts, and the page is far from blank.
        guard ChromiumRenderTests.chromium != nil else { return }
        let dom = try ChromiumRenderTests.runChromium(
            ["--dump-dom", "file://" + output], scratch: scratch.locks)
        #expect(HTMLReportTests.count("<svg", in: dom) == 3)
        #expect(dom.contains("Distributed jobs"))
        let blank = scratch.locks + "/blank.html"
        try ParserTestSupport.write("<!DOCTYPE html><html><body></body></html>\n", to: blank)
        let window = ["--window-size=1000,2400"]
        _ = try ChromiumRenderTests.runChromium(
            window + ["--screenshot=\(scratch.locks)/report.png", "file://" + output], scratch: scratch.locks)
        _ = try ChromiumRenderTests.runChromium(
            window + ["--screenshot=\(scratch.locks)/blank.png", "file://" + blank], scratch: scratch.locks)
        let page = try Data(contentsOf: URL(fileURLWithPath: scratch.locks + "/report.png"))
        let empty = try Data(contentsOf: URL(fileURLWithPath: scratch.locks + "/blank.png"))
        #expect(ChromiumRenderTests.pngSize(page).map { $0.width == 1000 && $0.height == 2400 } == true)
        #expect(page.count > 5 * empty.count, "report \(page.count) bytes, blank page \(empty.count) bytes")
    }
}
