import Foundation
import Testing

@testable import CarbonTracker
@testable import CarbonTrackerMonitor
@testable import CarbonTrackerSources

/// The report's power over time and region icicle, read from the event log next to the standard log.
@Suite struct ReportTimelineTests {
    /// A tracked run of two epochs, each a step holding a forward and a backward pass.
    static func trackedRun(in directory: String) throws -> String {
        let tracker = try CarbonTracker(
            epochs: 2, epochsBeforePred: 0, updateInterval: 0.01, logDir: directory, simCPU: "Sim CPU",
            simCPUTDP: 100, simGPU: "Sim GPU", simGPUWatts: 300, options: CoreTest.options())
        for _ in 0..<2 {
            try tracker.epochStart()
            try tracker.monitor.beginWindow("step")
            _ = try tracker.monitor.measure("forward") { Thread.sleep(forTimeInterval: 0.05) }
            _ = try tracker.monitor.measure("backward") { Thread.sleep(forTimeInterval: 0.1) }
            _ = try tracker.monitor.endWindow("step")
            try tracker.epochEnd()
        }
        try tracker.stop()
        return try #require(tracker.logFiles?.standard)
    }

    @Test func theReportShowsPowerOverTimeAndTheRegions() throws {
        let directory = try ParserTestSupport.scratchDirectory()
        defer { ParserTestSupport.cleanUp(directory) }
        let report = try HTMLReport(standardLogFile: try Self.trackedRun(in: directory))
        let series = try #require(report.eventLog?.powerSeries)
        let html = report.render()
        #expect(html.contains("<h2>Power over time</h2>"))
        #expect(
            HTMLReportTests.count("class=\"chart timeline\"", in: html) == 4,
            "power, cumulative energy, cumulative CO2eq, intensity")
        #expect(HTMLReportTests.count("<rect class=\"band epoch\"", in: html) == 2)
        #expect(
            HTMLReportTests.count("<rect class=\"band window\"", in: html) == 6, "two steps and their passes")
        #expect(
            html.contains("<title>Epoch 2</title>") && html.contains("Cumulative CO2-equivalent over time"))
        #expect(HTMLReportTests.count("<polygon class=\"area\"", in: html) == series.components.count)
        #expect(html.contains("<title>GPU</title>") && html.contains("<title>CPU</title>"))
        #expect(html.contains("<h2>Regions</h2>"))
        #expect(HTMLReportTests.count("<g class=\"region\">", in: html) == 3, "step, backward, forward")
        #expect(html.contains("step: ") && html.contains("2 call(s)"))
        #expect(HTMLReportTests.count("<tr><td style=\"padding-left:", in: html) == 3)
        #expect(!html.contains("nan") && !html.contains("inf\""))
    }

    @Test func aLongSeriesIsBinnedToABoundedNumberOfPoints() {
        let count = 2048
        let series = PowerTimeSeries(
            startDate: Date(timeIntervalSince1970: 1_790_000_000), intervalSeconds: 64,
            coveredSeconds: Array(repeating: 64, count: count),
            components: [.init(kind: .cpu, joules: (0..<count).map { Double($0 % 100) * 64 })],
            gramsPerKilowattHour: Array(repeating: 445, count: count))
        let html = ReportTimeline.section(series)
        let area = html.components(separatedBy: "<polygon class=\"area\"").last ?? ""
        let points = area.components(separatedBy: "\"")[5].split(separator: " ").count
        // Two corners per bin along the top and two along the base; 2048 intervals in bins of 4.
        #expect(points == 4 * 512)
        #expect(points <= 4 * ReportTimeline.maximumPoints)
        #expect(html.utf8.count < 200_000)
    }

    @Test(
        .enabled(
            if: ChromiumRenderTests.chromium != nil,
            "no Chromium found: set CARBONTRACKER_CHROMIUM or apt-get install -y chromium"))
    func chromiumDrawsTheTimelineAndTheIcicle() throws {
        let directory = try ParserTestSupport.scratchDirectory()
        defer { ParserTestSupport.cleanUp(directory) }
        let reportPath = directory + "/report.html"
        try HTMLReport(standardLogFile: try Self.trackedRun(in: directory + "/logs")).write(
            toFile: reportPath)
        let dom = try ChromiumRenderTests.runChromium(
            ["--dump-dom", "file://" + reportPath], scratch: directory)
        #expect(HTMLReportTests.count("class=\"chart timeline\"", in: dom) == 4)
        #expect(HTMLReportTests.count("class=\"band epoch\"", in: dom) == 2)
        #expect(HTMLReportTests.count("<polygon class=\"area\"", in: dom) == 2)
        #expect(HTMLReportTests.count("<g class=\"region\">", in: dom) == 3)
        let blankPath = directory + "/blank.html"
        try ParserTestSupport.write("<!DOCTYPE html><html><body></body></html>\n", to: blankPath)
        let window = ["--window-size=1000,3200"]
        _ = try ChromiumRenderTests.runChromium(
            window + ["--screenshot=\(directory)/report.png", "file://" + reportPath], scratch: directory)
        _ = try ChromiumRenderTests.runChromium(
            window + ["--screenshot=\(directory)/blank.png", "file://" + blankPath], scratch: directory)
        let report = try Data(contentsOf: URL(fileURLWithPath: directory + "/report.png"))
        let blank = try Data(contentsOf: URL(fileURLWithPath: directory + "/blank.png"))
        #expect(
            report.count > 5 * blank.count, "report \(report.count) bytes, blank page \(blank.count) bytes")
    }
}
