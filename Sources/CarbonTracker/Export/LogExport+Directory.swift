extension LogExport {
    /// One run as the export formats write it: its files, figures, bounds and reports, without its epochs.
    struct Run: Sendable {
        /// Path of the standard log; empty when the directory has none.
        var standardFile: String
        /// Path of the output log; empty when the directory has none.
        var outputFile: String
        /// Path of the event log the run was read from, if it was.
        var eventLogFile: String?
        /// The run's measured figures.
        var figures: RunFigures
        /// Bounds of ``RunFigures/energyKilowattHours``, in kilowatt-hours; `nil` when the logs gave none.
        var energyKilowattHoursRange: ClosedRange<Double>?
        /// Bounds of ``RunFigures/co2eqGrams``, in grams; `nil` when the logs gave none.
        var co2eqGramsRange: ClosedRange<Double>?
        /// The average carbon intensity during training, in gCO2eq/kWh, when logged.
        var intensityGramsPerKilowattHour: Double?
        /// The actual report, when the run has one.
        var actual: LogParser.Consumption?
        /// The predicted report, when the run has one.
        var predicted: LogParser.Consumption?
        /// The report the totals used, as ``LogParser/Entry/aggregatedConsumption``.
        var aggregated: LogParser.Consumption?

        /// A run read from its logs.
        /// - Parameters:
        ///   - standardFile: Path of the standard log, or empty.
        ///   - outputFile: Path of the output log, or empty.
        ///   - eventLogFile: Path of the event log the run was read from, if it was.
        ///   - log: The run's log, for what it says besides its epochs.
        ///   - epochs: The summary of all the run's epochs.
        ///   - actual: The actual report, if any.
        ///   - predicted: The predicted report, if any.
        init(
            standardFile: String, outputFile: String, eventLogFile: String?, log: LogParser.StandardLog,
            epochs: LogParser.EpochSummary, actual: LogParser.Consumption?, predicted: LogParser.Consumption?
        ) {
            self.standardFile = standardFile
            self.outputFile = outputFile
            self.eventLogFile = eventLogFile
            figures = RunFigures(
                runID: EventLogExporter.runID(logPath: eventLogFile ?? standardFile), log: log,
                epochs: epochs,
                actual: actual, earlyStop: log.earlyStop)
            (energyKilowattHoursRange, co2eqGramsRange) = LogExport.runBounds(actual: actual, epochs: epochs)
            intensityGramsPerKilowattHour = log.intensity?.averageGramsPerKilowattHour
            self.actual = actual
            self.predicted = predicted
            aggregated = LogParser.Entry.aggregatedConsumption(
                actual: actual, predicted: predicted, earlyStop: log.earlyStop)
        }

        /// A run of ``LogParser/parseAllLogs(logDir:)``.
        /// - Parameter entry: The run.
        init(_ entry: LogParser.Entry) {
            self.init(
                standardFile: entry.standardFile, outputFile: entry.outputFile,
                eventLogFile: entry.eventLogFile,
                log: entry.standardLog, epochs: entry.standardLog.epochSummary, actual: entry.actual,
                predicted: entry.predicted)
            // The entry's own flag, which its owner may have changed.
            figures.earlyStop = entry.earlyStop
            aggregated = entry.aggregatedConsumption
        }
    }

    /// A log directory's runs and totals, as the export formats need them.
    ///
    /// ```swift
    /// let directory = try LogExport.Directory(logDir: "logs")
    /// print(LogExport.json(directory), terminator: "")
    /// ```
    ///
    /// Read in one streaming pass (``LogParser/streamRuns(logDir:keeping:)``): memory grows with the
    /// number of runs, not with their epochs, and the formats come out as from ``LogParser/parseAllLogs(logDir:)``.
    package struct Directory: Sendable {
        /// The runs, ordered by standard-log path.
        var runs: [Run]
        /// The totals, as ``LogParser/Aggregate/init(_:)`` adds up the runs.
        package var aggregate: LogParser.Aggregate
        /// Files skipped or partly read (``LogParser/DirectoryParse/warnings``).
        package var warnings: [LogParser.Warning]

        /// Reads a directory for the export formats.
        /// - Parameter logDir: The directory the tracker wrote to.
        /// - Throws: ``CarbonTrackerError`` with code `.logParseFailed` when the directory is missing or
        ///   cannot be listed.
        package init(logDir: String) throws {
            (aggregate, warnings, runs) = try LogParser.streamRuns(logDir: logDir) {
                files, log, reports, epochs in
                Run(
                    standardFile: files.standard ?? "", outputFile: files.output ?? "",
                    eventLogFile: files.events,
                    log: log, epochs: epochs, actual: reports.actual, predicted: reports.predicted)
            }
        }

        /// The runs of a parse and their totals.
        /// - Parameter parse: A directory's runs.
        init(_ parse: LogParser.DirectoryParse) {
            runs = parse.entries.map(Run.init)
            aggregate = LogParser.Aggregate(parse)
            warnings = parse.warnings
        }
    }
}
