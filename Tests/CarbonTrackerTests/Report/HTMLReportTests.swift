import Foundation
import Testing

@testable import CarbonTracker
@testable import CarbonTrackerMonitor
@testable import CarbonTrackerSources

#if canImport(FoundationXML)
    import FoundationXML
#endif

/// Structural checks of the HTML report; they always run.
@Suite struct HTMLReportTests {
    static func svgElements(_ html: String) -> [String] {
        var result: [String] = []
        var rest = html[...]
        while let start = rest.range(of: "<svg"),
            let end = rest.range(of: "</svg>", range: start.upperBound..<rest.endIndex)
        {
            result.append(String(rest[start.lowerBound..<end.upperBound]))
            rest = rest[end.upperBound...]
        }
        return result
    }

    static func count(_ needle: String, in text: String) -> Int {
        text.components(separatedBy: needle).count - 1
    }

    /// Nothing in the page reaches outside it.
    static func expectSelfContained(_ html: String) {
        #expect(html.hasPrefix("<!DOCTYPE html>"))
        #expect(html.contains("<meta charset=\"utf-8\">"))
        #expect(html.hasSuffix("</html>\n"))
        #expect(!html.contains("<script"))
        #expect(!html.contains("<link"))
        #expect(!html.contains("src="))
        #expect(!html.contains("url("))
        #expect(!html.contains("@import"))
        let external = html.replacingOccurrences(of: "xmlns=\"http://www.w3.org/2000/svg\"", with: "")
        #expect(!external.contains("http://") && !external.contains("https://"))
    }

    @Test func swiftLogReportHasSummaryChartsAndTable() throws {
        let directory = try ParserTestSupport.scratchDirectory()
        defer { ParserTestSupport.cleanUp(directory) }
        let tracker = try ParserTestSupport.runSimulatedTracker(logDir: directory, epochs: 4)
        let paths = try #require(tracker.logFiles)
        let report = try HTMLReport(standardLogFile: paths.standard)
        #expect(report.warnings.isEmpty, "\(report.warnings)")
        let html = report.render()
        Self.expectSelfContained(html)

        let svgs = Self.svgElements(html)
        #expect(svgs.count == 7, "three charts over epochs, then four over time (the event log's)")
        for svg in svgs {
            let parser = XMLParser(data: Data(svg.utf8))
            #expect(
                parser.parse(), "each chart is well-formed SVG: \(parser.parserError.map { "\($0)" } ?? "")")
        }
        #expect(svgs[0].contains("Average power per epoch"))
        #expect(Self.count("<circle", in: svgs[0]) == 8, "4 epochs × GPU and CPU")
        #expect(Self.count("<path class=\"line\"", in: svgs[0]) == 2)
        #expect(svgs[1].contains("Energy per epoch"))
        #expect(Self.count("<rect x=", in: svgs[1]) == 8 + 2, "stacked bars plus two legend swatches")
        #expect(svgs[2].contains("Cumulative CO2-equivalent"))

        let actual = try #require(tracker.actualConsumption)
        #expect(html.contains(ReportFormat.energy(kilowattHours: actual.energyKilowattHours)))
        #expect(html.contains(ReportFormat.mass(grams: actual.co2eqGrams)))
        #expect(html.contains("Sim A100") && html.contains("Sim Xeon 2.20GHz"))
        #expect(Self.count("simulated hardware", in: html) == 2)
        #expect(html.contains("<dt>Location</dt><dd>Unknown</dd>"))
        #expect(html.contains("445 gCO2eq/kWh"))
        #expect(html.contains("<dt>PUE</dt><dd>1.58"))
        #expect(html.contains("km travelled by car"))
        let tableRows = Self.count("<tr><td class=\"num\">", in: html)
        #expect(tableRows == 4)

        try report.write(toFile: directory + "/report.html")
        #expect(try ParserTestSupport.read(directory + "/report.html") == html)
    }

    @Test func pythonLogReportSaysMethodsWereNotRecorded() throws {
        let log = ParserTestSupport.pythonLogs + "/7569.321381_2026-11-21T063454Z_carbontracker.log"
        let html = try HTMLReport(standardLogFile: log).render()
        Self.expectSelfContained(html)
        #expect(html.contains("not recorded (Python carbontracker log)"))
        #expect(html.contains("87.19 mWh"), "actual report's energy, 0.000087190693 kWh")
        #expect(Self.count("<circle", in: html) == 4 + 4, "power of 4 GPU epochs + 4 cumulative CO2 points")
        // The output log's path names the same run.
        let fromOutput = try HTMLReport(
            standardLogFile: ParserTestSupport.pythonLogs
                + "/7569.321381_2026-11-21T063454Z_carbontracker_output.log")
        #expect(fromOutput.render() == html)
    }

    @Test func logTextIsEscaped() {
        var log = LogParser.StandardLog()
        log.version = "2.4.7"
        log.components = [.init(name: "gpu", devices: ["<b>GPU & \"co\"</b>"])]
        var epoch = LogParser.Epoch(number: 1, durationSeconds: 2)
        epoch.components = [.init(name: "gpu", averagePowerWatts: [100])]
        log.epochs = [epoch]
        var intensity = LogParser.Intensity()
        intensity.location = "<script>alert(1)</script>"
        intensity.averageGramsPerKilowattHour = 100
        log.intensity = intensity
        let html = HTMLReport(standardLog: log, outputLog: nil, sourceName: "x<y>_carbontracker.log").render()
        Self.expectSelfContained(html)
        #expect(html.contains("&lt;b&gt;GPU &amp; &quot;co&quot;&lt;/b&gt;"))
        #expect(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"))
        #expect(html.contains("x&lt;y&gt;_carbontracker.log"))
        #expect(html.contains("the epochs in the standard log"), "no output log: totals from epochs")
        #expect(html.contains("87.78 mWh"), "100 W × 2 s × 1.58")
    }

    @Test func emptyTruncatedAndForeignLogs() throws {
        let directory = try ParserTestSupport.scratchDirectory()
        defer { ParserTestSupport.cleanUp(directory) }
        let started = directory + "/s_carbontracker.log"
        try ParserTestSupport.write(
            "2026-11-21 06:34:48 - carbontracker version 2.4.7\n2026-11-21 06:34:48 - Epoch 1:\n", to: started
        )
        let report = try HTMLReport(standardLogFile: started)
        #expect(report.warnings.contains { $0.contains("no duration line") })
        #expect(report.warnings.contains { $0.contains("No output log") })
        let html = report.render()
        #expect(Self.count("No epochs recorded", in: html) == 3)
        #expect(html.contains("Log complete"))

        let foreign = directory + "/notes_carbontracker.log"
        try ParserTestSupport.write("just some text\n", to: foreign)
        #expect(throws: CarbonTrackerError.self) { try HTMLReport(standardLogFile: foreign) }
        #expect(throws: CarbonTrackerError.self) {
            try HTMLReport(standardLogFile: directory + "/missing.log")
        }
        #expect {
            try report.write(toFile: directory + "/r.PDF")
        } throws: { error in
            (error as? CarbonTrackerError)?.code == .invalidConfiguration && "\(error)".contains(".html")
        }
    }

    @Test func longRunsStayCompact() {
        var log = LogParser.StandardLog()
        log.components = [.init(name: "cpu", devices: ["C"])]
        log.epochs = (1...2_000).map { number in
            var epoch = LogParser.Epoch(number: number, durationSeconds: 10)
            epoch.components = [.init(name: "cpu", averagePowerWatts: [Double(number % 50)])]
            return epoch
        }
        let html = HTMLReport(standardLog: log, outputLog: nil, sourceName: "long").render()
        #expect(Self.count("<circle", in: html) == 0, "no markers beyond 60 epochs")
        #expect(Self.count("class=\"xtick\"", in: html) <= 3 * 13)
        #expect(html.utf8.count < 2_000_000)
    }

    @Test(arguments: [
        (0.0, "0"), (248.0, "248"), (50.5, "50.5"), (0.000118, "0.000118"), (1234.5678, "1235"),
        (0.00001, "1.000e-05"),
    ])
    func numberFormatting(value: Double, text: String) {
        #expect(ReportFormat.number(value) == text)
    }
}
