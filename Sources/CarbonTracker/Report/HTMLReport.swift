import Foundation

/// A self-contained HTML report of one run: summary, charts and a table of epochs.
///
/// ```swift
/// let report = try HTMLReport(standardLogFile: "logs/1234.5_2026-01-01T000000Z_carbontracker.log")
/// try report.write(toFile: "report.html")
/// ```
///
/// The page has inline CSS and inline SVG charts only: no script, font or image is fetched, so it
/// opens offline and can be printed to PDF from any browser. It reads logs of this package and of
/// Python carbontracker. A run of any length gives a page of bounded size: charts bin their points
/// (at most a few hundred per chart, with the smallest and largest value of each bin), the epoch table
/// shows the first and last epochs and the totals. Read from a file, the logs are streamed: memory
/// does not grow with the number of epochs.
public struct HTMLReport: Sendable {
    /// The parsed standard log. A report read from a file keeps the log's header, intensity and
    /// windows here but not its epochs: those were summarised as they were read, so a run of any
    /// length fits in memory.
    public var standardLog: LogParser.StandardLog {
        didSet { summarised = nil }
    }
    /// The parsed output log of the same run, when found.
    public var outputLog: LogParser.OutputLog? {
        didSet { summarised = nil }
    }
    /// The standard log's path, shown in the report.
    public var sourceName: String
    /// What could not be read, one sentence each.
    public var warnings: [String]
    /// The run as its event log records it, when there is one next to the standard log: the power over
    /// time and the windows' times for the region profile come from it.
    public var eventLog: LogParser.StandardLog?
    /// The figures of a report read from files, whose epochs were summarised as they were read.
    private var summarised: ReportModel?

    /// Reads a run's standard log and, next to it, its output log.
    /// - Parameter standardLogFile: Path of a `..._carbontracker.log` (an `_output.log` path is
    ///   accepted and means the same run).
    /// - Throws: ``CarbonTrackerError`` with code `.logParseFailed` when the file cannot be read or
    ///   is not a carbontracker log.
    public init(standardLogFile: String) throws {
        var standardPath = standardLogFile
        if standardPath.hasSuffix(LogDirectory.outputSuffix) {
            standardPath =
                String(standardPath.dropLast(LogDirectory.outputSuffix.count)) + LogDirectory.standardSuffix
        }
        let files = try Self.read(standardPath: standardPath)
        standardLog = files.standardLog
        outputLog = files.outputLog
        sourceName = standardPath
        warnings = files.warnings
        eventLog = files.eventLog
        summarised = files.model
    }

    /// Creates a report from parsed logs; ``warnings`` lists the figures left out of its totals.
    /// - Parameters:
    ///   - standardLog: The run's standard log.
    ///   - outputLog: The run's output log, if any.
    ///   - sourceName: A name for the run shown in the report.
    public init(standardLog: LogParser.StandardLog, outputLog: LogParser.OutputLog?, sourceName: String) {
        self.standardLog = standardLog
        self.outputLog = outputLog
        self.sourceName = sourceName
        self.warnings =
            ReportModel(standardLog: standardLog, output: outputLog, sourceName: sourceName).warnings
    }

    /// Writes the report.
    /// - Parameter path: Where to write; must not end in `.pdf`.
    /// - Throws: ``CarbonTrackerError`` with code `.invalidConfiguration` for a `.pdf` path and
    ///   `.logWriteFailed` when the file cannot be written.
    public func write(toFile path: String) throws {
        try Self.write(render(), toFile: path)
    }

    /// Writes a rendered page, refusing a `.pdf` path.
    static func write(_ html: String, toFile path: String) throws {
        if path.lowercased().hasSuffix(".pdf") {
            throw CarbonTrackerError(
                .invalidConfiguration,
                "PDF reports are not supported: write an .html file instead and print it to PDF from a browser."
            )
        }
        do {
            try Data(html.utf8).write(to: URL(fileURLWithPath: path))
        } catch {
            throw CarbonTrackerError(
                .logWriteFailed, "Cannot write the report to '\(path)': \(error.localizedDescription).")
        }
    }

    /// The page's opening up to `<body>`, with its inline style.
    static func head(title: String) -> String {
        """
        <!DOCTYPE html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>\(ReportFormat.escape(title))</title>
        <style>\(style)</style>
        </head>
        <body>

        """
    }

    /// The report as one HTML document.
    /// - Returns: A complete HTML page.
    public func render() -> String {
        let model =
            summarised ?? ReportModel(standardLog: standardLog, output: outputLog, sourceName: sourceName)
        // The logs are public and may have changed since `warnings` was made.
        let warnings = self.warnings + model.warnings.filter { !self.warnings.contains($0) }
        var html = Self.head(title: "Carbon report – \((sourceName as NSString).lastPathComponent)")
        html += "<h1>Carbon emissions report</h1>\n"
        html += "<p class=\"subtitle\">\(ReportFormat.escape(subtitle))</p>\n"
        html += ReportSections.summary(model, log: standardLog, output: outputLog)
        html += ReportSections.components(model)
        html += ReportSections.charts(model)
        if let eventLog, let series = eventLog.powerSeries {
            html += ReportTimeline.section(series, log: eventLog)
        }
        html += ReportTimeline.regions(profileLog(model).regionProfile())
        html += ReportSections.epochTable(model)
        if !warnings.isEmpty {
            html += "<h2>Warnings</h2>\n<ul class=\"warnings\">\n"
            for warning in warnings { html += "<li>\(ReportFormat.escape(warning))</li>\n" }
            html += "</ul>\n"
        }
        return html + "</body>\n</html>\n"
    }

    /// The log whose windows make the region profile: the event log's, else the standard log's. Read
    /// from files, its epochs were summarised; without a power series, the run's energy for the
    /// regions' shares is then the one the model added up, as one epoch.
    private func profileLog(_ model: ReportModel) -> LogParser.StandardLog {
        var log = eventLog ?? standardLog
        guard summarised != nil, log.powerSeries == nil, !log.windows.isEmpty else { return log }
        log.epochs = []
        if let joules = model.measuredJoules {
            var run = LogParser.Epoch(number: 1, durationSeconds: model.durationSeconds)
            run.components = [.init(name: "run", averagePowerWatts: [], measuredEnergyJoules: [joules])]
            log.epochs = [run]
        }
        return log
    }

    private var subtitle: String {
        var parts = ["Log \((sourceName as NSString).lastPathComponent)"]
        if let version = standardLog.version { parts.append("carbontracker \(version)") }
        if let first = standardLog.firstTimestamp, let last = standardLog.lastTimestamp {
            parts.append("\(first) – \(last)")
        }
        return parts.joined(separator: " · ")
    }

    private static let style = """
        body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,Helvetica,Arial,sans-serif;margin:2rem auto;\
        max-width:960px;padding:0 1rem;color:#1c2331;background:#fff}
        h1{color:#1A237E;margin-bottom:.2rem}h2{color:#1A237E;border-bottom:2px solid #C5CAE9;padding-bottom:.2rem;\
        margin-top:2rem}
        .subtitle{color:#455A64;margin-top:0}
        .kpis{display:flex;flex-wrap:wrap;gap:1rem}.kpi{flex:1 1 180px;background:#E8EAF6;border:1px solid #C5CAE9;\
        border-radius:8px;padding:.8rem 1rem}.kpi .value{font-size:1.6rem;font-weight:700;color:#1A237E}\
        .kpi .label{font-size:.85rem;color:#455A64}
        table{border-collapse:collapse;width:100%;margin-top:.5rem;font-size:.9rem}th,td{border:1px solid #C5CAE9;\
        padding:.3rem .5rem;text-align:left}th{background:#E8EAF6}td.num{text-align:right;\
        font-variant-numeric:tabular-nums}
        dl.facts{display:grid;grid-template-columns:max-content 1fr;gap:.3rem 1rem}dl.facts dt{font-weight:600}\
        dl.facts dd{margin:0}
        svg.chart{width:100%;height:auto;margin:.5rem 0 1rem;background:#fff;border:1px solid #E8EAF6}
        svg .title{font-size:15px;font-weight:600;fill:#1A237E}svg .legend,svg .xtick,svg .ytick,svg .xlabel,\
        svg .ylabel,svg .empty{font-size:12px;fill:#37474F}svg .ytick{text-anchor:end}svg .xtick,svg .xlabel,\
        svg .ylabel,svg .empty{text-anchor:middle}svg .grid{stroke:#E0E3F0;stroke-width:1}\
        svg .axis{stroke:#546E7A;stroke-width:1}svg .line{fill:none;stroke-width:2.5}
        .note{color:#546E7A;font-size:.85rem}.warnings li{color:#8D3B00}
        svg .label{font-size:11px;fill:#fff}svg .area{stroke:none}
        svg line.band{stroke-width:1.5}svg polygon.band{stroke:none}.kpi .range{font-size:.85rem;color:#1A237E}\
        .range{color:#546E7A;font-size:.8rem}tr.omitted td{text-align:center;color:#546E7A}tr.total th{text-align:right}
        """
}
