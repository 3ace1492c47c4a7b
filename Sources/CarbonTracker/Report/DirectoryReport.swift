import Foundation

/// A self-contained HTML report of a log directory: its runs and distributed jobs, their totals,
/// and charts over them.
///
/// ```swift
/// let report = try DirectoryReport(logDirectory: "logs")
/// try report.write(toFile: "report.html")
/// ```
///
/// Totals are ``LogParser/aggregateConsumption(logDir:)``'s, so each distributed job counts once,
/// as `carbontracker --parse` counts it. The page is inline HTML and SVG like ``HTMLReport``'s.
/// Cost: the directory is read twice without per-epoch figures (once for the totals, once for the
/// runs); charts bin their points beyond 600 runs and jobs, the tables list at
/// most ``maximumRows`` runs and the first ``maximumJobCharts`` jobs get a chart of their own.
public struct DirectoryReport: Sendable {
    /// One run of the directory, as its reports give it.
    public struct Run: Sendable, Equatable {
        /// The run's standard log (or its event log when it has no standard log).
        public var file: String
        /// The distributed job it belongs to (`slurm:4711`), or `nil` for a single process.
        public var jobKey: String?
        /// "node1 rank 3" for a rank of a job; empty for a single process.
        public var rankLabel: String
        /// The epochs its report covers, when it says.
        public var epochs: Int?
        /// Its duration in seconds, when its report gives one.
        public var durationSeconds: Double?
        /// Its energy in kilowatt-hours with PUE, the figure ``LogParser/aggregateConsumption(logDir:)``
        /// counts; `nil` without a report.
        public var energyKilowattHours: Double?
        /// Its CO2-equivalent in grams; `nil` without a report.
        public var co2eqGrams: Double?
        /// Bounds of its energy in kilowatt-hours, when the log gives them.
        public var energyKilowattHoursRange: ClosedRange<Double>?
        /// Bounds of its CO2-equivalent in grams, when the log gives them.
        public var co2eqGramsRange: ClosedRange<Double>?
    }

    /// Tables list at most this many runs (the first and last half).
    public static let maximumRows = 200
    /// Jobs with a chart of their own, at most.
    public static let maximumJobCharts = 20

    /// The directory.
    public var logDirectory: String
    /// The directory's totals, with its jobs (each counted once).
    public var aggregate: LogParser.Aggregate
    /// Every run, ordered by standard-log path.
    public var runs: [Run]
    /// What could not be read, one sentence each.
    public var warnings: [String]

    /// Reads every run of a log directory.
    /// - Parameter logDirectory: The directory the tracker wrote to.
    /// - Throws: ``CarbonTrackerError`` with code `.logParseFailed` when the directory is missing,
    ///   cannot be listed or holds no run.
    public init(logDirectory: String) throws {
        // One read of the directory gives the totals and the rows.
        let (aggregate, runs) = try LogParser.aggregate(logDir: logDirectory) { files, log, reports in
            let consumption = LogParser.Entry.aggregatedConsumption(
                actual: reports.actual, predicted: reports.predicted, earlyStop: log.earlyStop)
            var rank = ""
            if let run = log.distributed {
                rank = [run.nodeName, run.rank.map { "rank \($0)" } ?? ""].filter { !$0.isEmpty }
                    .joined(separator: " ")
            }
            return Run(
                file: files.standard ?? files.events ?? files.output ?? "", jobKey: log.distributed?.jobKey,
                rankLabel: rank, epochs: consumption?.epochs, durationSeconds: consumption?.durationSeconds,
                energyKilowattHours: consumption?.energyKilowattHours, co2eqGrams: consumption?.co2eqGrams,
                energyKilowattHoursRange: consumption?.energyKilowattHoursRange,
                co2eqGramsRange: consumption?.co2eqGramsRange)
        }
        guard !runs.isEmpty else {
            throw CarbonTrackerError(
                .logParseFailed,
                "'\(logDirectory)' holds no carbontracker run (no pair of ..._carbontracker.log and "
                    + "..._carbontracker_output.log files, nor an event log). Pass the directory the tracker "
                    + "wrote its logs to.")
        }
        self.logDirectory = logDirectory
        self.aggregate = aggregate
        self.runs = runs
        warnings = aggregate.warnings.map(\.description)
    }

    /// A report of runs already read.
    init(logDirectory: String, aggregate: LogParser.Aggregate, runs: [Run], warnings: [String]) {
        self.logDirectory = logDirectory
        self.aggregate = aggregate
        self.runs = runs
        self.warnings = warnings
    }

    /// Writes the report.
    /// - Parameter path: Where to write; must not end in `.pdf`.
    /// - Throws: ``CarbonTrackerError`` with code `.invalidConfiguration` for a `.pdf` path and
    ///   `.logWriteFailed` when the file cannot be written.
    public func write(toFile path: String) throws {
        try HTMLReport.write(render(), toFile: path)
    }

    /// The report as one HTML document.
    /// - Returns: A complete HTML page.
    public func render() -> String {
        var html = HTMLReport.head(title: "Carbon report – \((logDirectory as NSString).lastPathComponent)")
        html += "<h1>Carbon emissions report</h1>\n<p class=\"subtitle\">"
        html += ReportFormat.escape("Log directory \(logDirectory) · \(runs.count) run(s)") + "</p>\n"
        html += DirectorySections.summary(self)
        html += DirectorySections.charts(self)
        html += DirectorySections.jobs(self)
        html += DirectorySections.runTable(self)
        if !warnings.isEmpty {
            html += "<h2>Warnings</h2>\n<ul class=\"warnings\">\n"
            for warning in warnings.prefix(100) { html += "<li>\(ReportFormat.escape(warning))</li>\n" }
            if warnings.count > 100 { html += "<li>… and \(warnings.count - 100) more</li>\n" }
            html += "</ul>\n"
        }
        return html + "</body>\n</html>\n"
    }

    /// The entries the directory's total adds up: each single-process run, and each job once at its
    /// first run's place (as ``LogParser/aggregateConsumption(logDir:)`` adds them).
    var entries: [Entry] {
        var result: [Entry] = []
        var seen: Set<String> = []
        let jobs = Dictionary(
            aggregate.jobs.map { (Self.key($0), $0) }, uniquingKeysWith: { first, _ in first })
        for run in runs {
            guard let key = run.jobKey else {
                result.append(.run(run))
                continue
            }
            if seen.insert(key).inserted, let job = jobs[key] { result.append(.job(job)) }
        }
        return result
    }

    /// A single-process run, or a distributed job.
    enum Entry {
        case run(Run)
        case job(LogParser.JobTotal)

        var name: String {
            switch self {
            case .run(let run): return (run.file as NSString).lastPathComponent
            case .job(let job): return "Job \(job.jobID) (\(job.jobSource))"
            }
        }
        var energyKilowattHours: Double? {
            switch self {
            case .run(let run): return run.energyKilowattHours
            case .job(let job): return job.energyKilowattHours
            }
        }
        var co2eqGrams: Double? {
            switch self {
            case .run(let run): return run.co2eqGrams
            case .job(let job): return job.co2eqGrams
            }
        }
        var energyRange: ClosedRange<Double>? {
            switch self {
            case .run(let run): return run.energyKilowattHoursRange
            case .job(let job): return job.energyKilowattHoursRange
            }
        }
        var co2Range: ClosedRange<Double>? {
            switch self {
            case .run(let run): return run.co2eqGramsRange
            case .job(let job): return job.co2eqGramsRange
            }
        }
    }

    /// A job's key as its runs' ``LogParser/DistributedRun/jobKey`` spells it.
    static func key(_ job: LogParser.JobTotal) -> String {
        job.jobSource.isEmpty ? job.jobID : "\(job.jobSource):\(job.jobID)"
    }
}
