extension LogParser {
    /// Reads every run in a directory as ``parseAllLogs(logDir:)`` does, but keeps only what `keep`
    /// takes of each run, with its epochs summarised instead of kept, and adds the runs up as
    /// ``Aggregate/init(_:)`` adds up that parse: the memory needed does not grow with the runs' length.
    ///
    /// Each log keeps its latest epoch and folds the others into an ``EpochSummary`` and a
    /// ``JobTotal/RunFold`` as it is read. A run without a final report (killed, or its output log cut
    /// short) is counted from that fold and its checkpoint, as ``parseAllLogs(logDir:)`` counts it from
    /// every epoch; it is read again with its epochs only where the fold cannot stand for them (see
    /// ``StandardLog/countsFromItsFold(_:)``).
    /// - Parameters:
    ///   - logDir: The directory the tracker wrote to.
    ///   - keep: What to keep of a run: its files, its log (all its epochs only when it was read again),
    ///     its reports and the summary of all its epochs.
    /// - Returns: The totals, the warnings of ``DirectoryParse/warnings``, and what `keep` returned for
    ///   each run, ordered by standard-log path.
    /// - Throws: ``CarbonTrackerError`` with code `.logParseFailed` when the directory is missing or
    ///   cannot be listed.
    static func streamRuns<Kept>(
        logDir: String, keeping keep: (LogDirectory.RunFiles, StandardLog, OutputLog, EpochSummary) -> Kept
    ) throws -> (aggregate: Aggregate, warnings: [Warning], kept: [Kept]) {
        var killedRunWarnings: [Warning] = []
        let directory = try LogDirectory(logDir)
        let (runs, warnings) = try directory.readRuns(keepsFigures: true, foldsEpochs: true) {
            files, folded, reports in
            var log = folded
            if reports.actual == nil, log.foldedEpochs.epochs > 0, !log.countsFromItsFold(files),
                let full = directory.readAgain(files)
            {
                log = full
            }
            return (
                outputFile: files.figuresFile,
                consumption: Entry.aggregatedConsumption(
                    actual: reports.actual, predicted: reports.predicted, earlyStop: log.earlyStop)
                    ?? Aggregate.killedRun(
                        standardFile: files.standard ?? "", log: log, warnings: &killedRunWarnings),
                job: log.distributed.map { _ in
                    JobRun(standardFile: files.standard ?? "", log: log, actual: reports.actual)
                },
                kept: keep(files, log, reports, log.epochSummary)
            )
        }
        let aggregate = Aggregate(
            combining: runs.map { ($0.outputFile, $0.consumption, $0.job) },
            warnings: warnings + killedRunWarnings)
        return (aggregate, warnings, runs.map(\.kept))
    }
}

extension LogDirectory {
    /// A run's log read again with every epoch, from the files a streaming read took it from: its event
    /// log with the bounds and the distributed identity its text logs add, else its standard log.
    /// - Parameter files: The run's files, as ``readRuns(keepsFigures:foldsEpochs:_:)`` named them.
    /// - Returns: The log, or `nil` when the file can no longer be read.
    func readAgain(_ files: RunFiles) -> LogParser.StandardLog? {
        let text = files.standard.flatMap { try? LogParser.parseStandardLog(file: $0) }
        guard let events = files.events else { return text }
        var scanner = EventLogScanner()
        guard let end = try? LogFileReader.forEachLine(path: events, { scanner.consume($0) }) else {
            return nil
        }
        var (log, output) = scanner.finish(end)
        if let text { log.distributed = text.distributed }
        Self.fillRanges(
            &log, &output, text: text,
            textOutput: files.output.flatMap { try? LogParser.parseOutputLog(file: $0) })
        return log
    }
}

extension LogParser.StandardLog {
    /// Whether a run without a final report, read by a streaming read, is counted from what the read
    /// folded, without reading it again: not when it is a distributed job's rank (its job rebuilds its
    /// total from every epoch), not when its log named its PUE factor only after its first epochs,
    /// and not when its event log has an epoch with a duration but no bounds beside a text log, whose
    /// bounds a read of every epoch fills in (event logs of older versions give none).
    /// - Parameter files: The files the run was read from.
    /// - Returns: `true` when the folded figures are those a read of every epoch gives.
    func countsFromItsFold(_ files: LogDirectory.RunFiles) -> Bool {
        guard distributed == nil, foldedEnergy.counts(underLogged: powerUsageEffectiveness) else {
            return false
        }
        guard files.events != nil, files.standard != nil else { return true }
        let summary = epochSummary
        return summary.timedEpochs == 0 || summary.bounds != nil
    }
}
