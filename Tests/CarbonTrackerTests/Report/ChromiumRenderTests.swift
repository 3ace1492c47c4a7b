import Foundation
import Testing

@testable import CarbonTracker
@testable import CarbonTrackerMonitor
@testable import CarbonTrackerSources

/// Opens the report in headless Chromium: the DOM keeps its SVG charts and the screenshot is far
/// from blank. Enabled when a Chromium binary is found (`CARBONTRACKER_CHROMIUM`, or `chromium` /
/// `chromium-browser` on PATH; on Debian: `apt-get install -y chromium`); otherwise the test is
/// reported as skipped with that reason.
@Suite struct ChromiumRenderTests {
    static let chromium: String? = {
        let environment = ProcessInfo.processInfo.environment
        if let path = environment["CARBONTRACKER_CHROMIUM"],
            FileManager.default.isExecutableFile(atPath: path)
        {
            return path
        }
        for directory in (environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":") {
            for name in ["chromium", "chromium-browser"] {
                let path = "\(directory)/\(name)"
                if FileManager.default.isExecutableFile(atPath: path) { return path }
            }
        }
        return nil
    }()

    /// Runs Chromium with a time limit; returns its standard output.
    static func runChromium(_ arguments: [String], scratch: String) throws -> String {
        let executable = try #require(chromium)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments =
            [
                "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--no-first-run",
                "--user-data-dir=\(scratch)/profile-\(UUID().uuidString.prefix(8))",
            ] + arguments
        let outputPath = scratch + "/chromium-\(UUID().uuidString.prefix(8)).out"
        #expect(FileManager.default.createFile(atPath: outputPath, contents: nil))
        process.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: outputPath))
        process.standardError = FileHandle.nullDevice
        try process.run()
        let deadline = ContinuousClock.now + .seconds(90)
        while process.isRunning && ContinuousClock.now < deadline { usleep(100_000) }
        if process.isRunning {
            process.terminate()
            Issue.record("Chromium did not finish within 90 s")
        }
        process.waitUntilExit()
        return try ParserTestSupport.read(outputPath)
    }

    /// Width and height from a PNG's IHDR chunk.
    static func pngSize(_ data: Data) -> (width: Int, height: Int)? {
        let bytes = [UInt8](data.prefix(24))
        guard bytes.count == 24, bytes[0..<8] == [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A] else {
            return nil
        }
        func integer(_ offset: Int) -> Int { bytes[offset..<(offset + 4)].reduce(0) { $0 << 8 | Int($1) } }
        return (integer(16), integer(20))
    }

    @Test(
        .enabled(
            if: chromium != nil,
            "no Chromium found: set CARBONTRACKER_CHROMIUM or apt-get install -y chromium"))
    func reportRendersWithItsCharts() throws {
        let directory = try ParserTestSupport.scratchDirectory()
        defer { ParserTestSupport.cleanUp(directory) }
        let log = ParserTestSupport.pythonLogs + "/7551.714857_2026-11-21T063449Z_carbontracker.log"
        let reportPath = directory + "/report.html"
        try HTMLReport(standardLogFile: log).write(toFile: reportPath)
        let blankPath = directory + "/blank.html"
        try ParserTestSupport.write("<!DOCTYPE html><html><body></body></html>\n", to: blankPath)

        let dom = try Self.runChromium(["--dump-dom", "file://" + reportPath], scratch: directory)
        #expect(HTMLReportTests.count("<svg", in: dom) == 3, "the parsed DOM keeps the three charts")
        #expect(HTMLReportTests.count("<circle", in: dom) == 12)
        #expect(dom.contains("<path class=\"line\""))

        let window = ["--window-size=1000,2400"]
        _ = try Self.runChromium(
            window + ["--screenshot=\(directory)/report.png", "file://" + reportPath], scratch: directory)
        _ = try Self.runChromium(
            window + ["--screenshot=\(directory)/blank.png", "file://" + blankPath], scratch: directory)
        let report = try Data(contentsOf: URL(fileURLWithPath: directory + "/report.png"))
        let blank = try Data(contentsOf: URL(fileURLWithPath: directory + "/blank.png"))
        let size = try #require(Self.pngSize(report), "the screenshot is a PNG")
        #expect(size.width == 1000 && size.height == 2400)
        #expect(
            report.count > 5 * blank.count, "report \(report.count) bytes, blank page \(blank.count) bytes")
        if let keep = ProcessInfo.processInfo.environment["CARBONTRACKER_SCREENSHOT_DIR"] {
            try? FileManager.default.copyItem(atPath: directory + "/report.png", toPath: keep + "/report.png")
        }
    }
}
