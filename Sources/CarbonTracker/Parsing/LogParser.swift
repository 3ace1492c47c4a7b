import Foundation

/// Reads the logs of this package and of Python carbontracker: Swift-named equivalents of
/// Python's `carbontracker.parser` functions, with typed results and its bugs fixed.
///
/// ```swift
/// let total = try LogParser.aggregateConsumption(logDir: "logs")
/// print(total.sentence)   // "The training of models in this work is estimated to use ..."
/// for entry in try LogParser.parseAllLogs(logDir: "logs").entries {
///     print(entry.standardFile, entry.actual?.energyKilowattHours ?? 0)
/// }
/// ```
///
/// A file that cannot be read, is empty, has no partner or ends mid-line is skipped or read in part,
/// with a ``Warning`` in the result; only a missing or unreadable directory throws. Files are read
/// as raw bytes in one pass each, on every core while the directory is still being listed:
/// aggregating 10,000 files takes about as long as merely reading them (<doc:ParserAndCLI>; `BENCHMARKS.md`).
public enum LogParser {
    // MARK: Directories

    /// Reads every run in a directory (Python's `parse_all_logs`); a run with an event log
    /// (`..._carbontracker_events.jsonl`) is read from it, for its exact figures.
    /// - Parameter logDir: The directory the tracker wrote to.
    /// - Returns: The runs ordered by standard-log path, and what was skipped.
    /// - Throws: ``CarbonTrackerError`` with code `.logParseFailed` when the directory is missing or
    ///   cannot be listed.
    public static func parseAllLogs(logDir: String) throws -> DirectoryParse {
        let (entries, warnings) = try LogDirectory(logDir).readRuns(keepsFigures: true) {
            files, log, reports in
            Entry(
                standardFile: files.standard ?? "", outputFile: files.output ?? "",
                components: ComponentLog.all(from: log), earlyStop: log.earlyStop, actual: reports.actual,
                predicted: reports.predicted, standardLog: log, eventLogFile: files.events)
        }
        return DirectoryParse(entries: entries, warnings: warnings)
    }

    /// Reads one run's per-component figures (Python's `parse_logs`).
    /// - Parameters:
    ///   - logDir: The directory the tracker wrote to.
    ///   - stdLogFile: The standard log to read (a path, or a name inside `logDir`); `nil` for the
    ///     most recent run in `logDir`.
    /// - Returns: One record per component, in log order.
    /// - Throws: ``CarbonTrackerError`` with code `.logParseFailed` when the file cannot be read or
    ///   `logDir` holds no run.
    public static func parseLogs(logDir: String, stdLogFile: String? = nil) throws -> [ComponentLog] {
        let path: String
        if let stdLogFile {
            path =
                stdLogFile.hasPrefix("/") || FileManager.default.fileExists(atPath: stdLogFile)
                ? stdLogFile : (logDir as NSString).appendingPathComponent(stdLogFile)
        } else {
            path = try getMostRecentLogs(logDir: logDir).standardLog
        }
        return ComponentLog.all(from: try parseStandardLog(file: path))
    }

    /// Lists the run pairs of a directory (Python's `get_all_logs`).
    /// - Parameter logDir: The directory the tracker wrote to.
    /// - Returns: Pairs of non-empty standard and output logs, and the files left out.
    /// - Throws: ``CarbonTrackerError`` with code `.logParseFailed` when the directory is missing or
    ///   cannot be listed.
    public static func getAllLogs(logDir: String) throws -> Listing {
        let (pairs, warnings) = try LogDirectory(logDir).list()
        return Listing(pairs: pairs.map(\.pair), warnings: warnings)
    }

    /// The most recently modified run of a directory (Python's `get_most_recent_logs`).
    /// - Parameter logDir: The directory the tracker wrote to.
    /// - Returns: The standard and output logs of the same run.
    /// - Throws: ``CarbonTrackerError`` with code `.logParseFailed` when the directory is missing or
    ///   holds no complete pair.
    public static func getMostRecentLogs(logDir: String) throws -> FilePair {
        let (pairs, _) = try LogDirectory(logDir).list()
        let latest = pairs.max { a, b in
            (a.modified.tv_sec, a.modified.tv_nsec, a.pair.standardLog)
                < (b.modified.tv_sec, b.modified.tv_nsec, b.pair.standardLog)
        }
        guard let latest else {
            throw CarbonTrackerError(
                .logParseFailed,
                "'\(logDir)' holds no pair of non-empty carbontracker.log and carbontracker_output.log files. "
                    + "Pass the directory the tracker wrote its logs to (its logDir).")
        }
        return latest.pair
    }

    // MARK: Aggregates

    /// Adds up every run in a directory (Python's `aggregate_consumption`), counting the runs of one
    /// distributed job once, as its job total (``jobs(logDir:)``).
    /// - Parameter logDir: The directory the tracker wrote to.
    /// - Returns: Total energy (kWh), CO2eq (g) and equivalents, with the warnings met.
    /// - Throws: ``CarbonTrackerError`` with code `.logParseFailed` when the directory is missing or
    ///   cannot be listed.
    public static func aggregateConsumption(logDir: String) throws -> Aggregate {
        try aggregate(logDir: logDir) { _, _, _ in () }.aggregate
    }

    /// Adds up every run in a directory as ``aggregateConsumption(logDir:)`` does, and keeps what
    /// `keep` takes of each run from the same read, so a caller needing both reads the directory once.
    /// - Parameters:
    ///   - logDir: The directory the tracker wrote to.
    ///   - keep: What to keep of a run: its files, its log (read without per-epoch figures, except
    ///     for a distributed job's ranks) and its reports.
    /// - Returns: The totals, and what `keep` returned for each run, ordered by standard-log path.
    /// - Throws: ``CarbonTrackerError`` with code `.logParseFailed` when the directory is missing or
    ///   cannot be listed.
    static func aggregate<Kept>(
        logDir: String, keeping keep: (LogDirectory.RunFiles, StandardLog, OutputLog) -> Kept
    ) throws -> (aggregate: Aggregate, kept: [Kept]) {
        // Reads only what the totals and the warnings need, without each run's per-epoch figures: a
        // single-process standard log counts its epochs as they are read, for the case its run has no
        // report. A distributed run's log keeps its epochs (the scanner sees its run line), for its
        // job's total.
        var killedRunWarnings: [Warning] = []
        let (runs, warnings) = try LogDirectory(logDir).readRuns(keepsFigures: false) {
            files, log, reports in
            (
                outputFile: files.figuresFile,
                // A run with no report is counted from its standard log's epochs and checkpoint.
                consumption: Entry.aggregatedConsumption(
                    actual: reports.actual, predicted: reports.predicted, earlyStop: log.earlyStop)
                    ?? files.standard.flatMap { standard in
                        guard log.distributed == nil,
                            let counted = killedRunLog(
                                standardFile: standard, read: files.events == nil ? log : nil)
                        else { return nil }
                        return Aggregate.killedRun(
                            standardFile: standard, log: counted, warnings: &killedRunWarnings)
                    },
                job: log.distributed.map { _ in
                    JobRun(standardFile: files.standard ?? "", log: log, actual: reports.actual)
                },
                kept: keep(files, log, reports)
            )
        }
        let aggregate = Aggregate(
            combining: runs.map { ($0.outputFile, $0.consumption, $0.job) },
            warnings: warnings + killedRunWarnings)
        return (aggregate, runs.map(\.kept))
    }

    /// The standard log a single-process run without a report is counted from, as
    /// ``Aggregate/killedRun(standardFile:log:warnings:)`` counts it.
    ///
    /// An aggregate's read of a standard log counts its epochs as they come
    /// (``StandardLog/foldedEnergy``), so the log it read serves, in the memory of one epoch. A run
    /// read from its event log is counted from its standard log, which is then read once more the same
    /// way; so is one whose log named its PUE factor only after its first epochs, and then read whole.
    /// - Parameters:
    ///   - standardFile: The run's standard log.
    ///   - read: That log as the aggregate read it, or `nil` when the run was read from its event log.
    /// - Returns: The log, or `nil` when it can no longer be read.
    static func killedRunLog(standardFile: String, read: StandardLog?) -> StandardLog? {
        if let read, read.foldedEnergy.counts(underLogged: read.powerUsageEffectiveness) { return read }
        if read == nil {
            var scanner = StandardLogScanner(keepsFigures: false)
            if let end = try? LogFileReader.forEachLine(path: standardFile, { scanner.consume($0) }) {
                let log = scanner.finish(end)
                if log.foldedEnergy.counts(underLogged: log.powerUsageEffectiveness) { return log }
            }
        }
        return try? parseStandardLog(file: standardFile)
    }

    /// The sentence Python's `print_aggregate` prints for a directory.
    /// - Parameter logDir: The directory the tracker wrote to.
    /// - Returns: "The training of models in this work is estimated to use ...".
    /// - Throws: ``CarbonTrackerError`` with code `.logParseFailed` when the directory is missing or
    ///   cannot be listed.
    public static func aggregateSentence(logDir: String) throws -> String {
        try aggregateConsumption(logDir: logDir).sentence
    }

    /// Writes the aggregate sentence to standard output and each warning to standard error
    /// (Python's `print_aggregate`).
    /// - Parameters:
    ///   - logDir: The directory the tracker wrote to.
    ///   - console: Where to write; the process's streams by default.
    /// - Throws: ``CarbonTrackerError`` with code `.logParseFailed` when the directory is missing or
    ///   cannot be listed.
    public static func printAggregate(logDir: String, console: ConsoleOutput = .process) throws {
        let aggregate = try aggregateConsumption(logDir: logDir)
        for warning in aggregate.warnings {
            console.standardError("CarbonTracker: WARNING - \(warning)\n")
        }
        console.standardOutput(aggregate.sentence + "\n")
    }

    // MARK: Log text

    /// Reads the actual and predicted reports from an output log's text (Python's `get_consumption`).
    /// - Parameter outputLogData: The text of a `..._carbontracker_output.log`.
    /// - Returns: The first complete report of each kind, or `nil`.
    public static func getConsumption(_ outputLogData: String) -> (
        actual: Consumption?, predicted: Consumption?
    ) {
        let output = parseOutputLog(outputLogData)
        return (output.actual, output.predicted)
    }

    /// Whether training stopped before all monitored epochs (Python's `get_early_stop`).
    /// - Parameter standardLogData: The text of a `..._carbontracker.log`.
    /// - Returns: `true` when the log says "Training was interrupted".
    public static func getEarlyStop(_ standardLogData: String) -> Bool {
        parseStandardLog(standardLogData).earlyStop
    }

    /// The devices of each component (Python's `get_devices`).
    /// - Parameter standardLogData: The text of a `..._carbontracker.log`.
    /// - Returns: Lower-case component name to device names; empty when the line is missing.
    public static func getDevices(_ standardLogData: String) -> [String: [String]] {
        Dictionary(
            parseStandardLog(standardLogData).components.map { ($0.name, $0.devices) },
            uniquingKeysWith: { first, _ in first })
    }

    /// Every epoch duration in seconds, in log order (Python's `get_epoch_durations`).
    /// - Parameter standardLogData: The text of a `..._carbontracker.log`.
    /// - Returns: Durations in seconds.
    public static func getEpochDurations(_ standardLogData: String) -> [Double] {
        parseStandardLog(standardLogData).epochs.compactMap(\.durationSeconds)
    }

    /// Every epoch's average power per device, by component (Python's `get_avg_power_usages`).
    /// - Parameter standardLogData: The text of a `..._carbontracker.log`.
    /// - Returns: Component name to one array of watts per epoch; an epoch logged as `None` is empty.
    public static func getAvgPowerUsages(_ standardLogData: String) -> [String: [[Double]]] {
        var result: [String: [[Double]]] = [:]
        for epoch in parseStandardLog(standardLogData).epochs {
            for component in epoch.components {
                result[component.name, default: []].append(component.averagePowerWatts)
            }
        }
        return result
    }

    // MARK: Whole files

    /// Reads a standard log's text.
    /// - Parameter text: The text of a `..._carbontracker.log`.
    /// - Returns: Everything read from it.
    public static func parseStandardLog(_ text: String) -> StandardLog {
        var scanner = StandardLogScanner()
        LogFileReader.forEachLine(text: text) { scanner.consume($0) }
        return scanner.finish()
    }

    /// Reads a standard log file in one streaming pass.
    /// - Parameter file: Path of a `..._carbontracker.log`.
    /// - Returns: Everything read from it; a partial last line is ignored with a warning.
    /// - Throws: ``CarbonTrackerError`` with code `.logParseFailed` when the file cannot be read.
    public static func parseStandardLog(file: String) throws -> StandardLog {
        var scanner = StandardLogScanner()
        let end = try LogFileReader.forEachLine(path: file) { scanner.consume($0) }
        return scanner.finish(end)
    }

    /// Reads an output log's text.
    /// - Parameter text: The text of a `..._carbontracker_output.log`.
    /// - Returns: Its reports.
    public static func parseOutputLog(_ text: String) -> OutputLog {
        var scanner = OutputLogScanner()
        LogFileReader.forEachLine(text: text) { scanner.consume($0) }
        return scanner.finish()
    }

    /// Reads an output log file in one streaming pass.
    /// - Parameter file: Path of a `..._carbontracker_output.log`.
    /// - Returns: Its reports; a partial last line is ignored with a warning.
    /// - Throws: ``CarbonTrackerError`` with code `.logParseFailed` when the file cannot be read.
    public static func parseOutputLog(file: String) throws -> OutputLog {
        var scanner = OutputLogScanner()
        let end = try LogFileReader.forEachLine(path: file) { scanner.consume($0) }
        return scanner.finish(end)
    }
}
