import Dispatch
import Foundation

extension LogDirectory {
    /// The paths of the logs a run was read from.
    struct RunFiles: Sendable {
        /// The standard log, when the directory has it.
        var standard: String?
        /// The output log, when the directory has it.
        var output: String?
        /// The event log, when the run was read from it.
        var events: String?

        /// The file a warning about the run's figures names: the one they were read from.
        var figuresFile: String { events ?? output ?? standard ?? "" }
    }

    /// Lists the directory and reads every complete run, on every core.
    ///
    /// Logs are read while the directory is still being listed: each batch of names goes to a
    /// worker as soon as it is listed, and the listing thread joins in once it is done, so no core
    /// waits for the listing and nothing depends on a free worker thread. Each log costs `openat`,
    /// `fstat`, `read` and `close`; a log whose partner never turns up is read for nothing.
    /// A run with an event log that describes it is read from the event log (exact figures); its text
    /// logs are then not needed, and their absence is no warning.
    /// - Parameters:
    ///   - keepsFigures: `false` to read only what an aggregate needs (``StandardLogScanner``,
    ///     ``EventLogScanner``): a run's latest epoch, except for the ranks of a distributed job.
    ///   - foldsEpochs: `true`, with `keepsFigures`, to read everything but keep only each log's latest
    ///     epoch, the others added up in ``LogParser/StandardLog/foldedEpochs`` (a distributed job's
    ///     ranks keep theirs).
    ///   - makeRun: Keeps what the caller needs of a run read: its logs and what they say.
    /// - Returns: The runs read, ordered by standard-log path, and the warnings in the order of
    ///   ``LogParser/DirectoryParse/warnings``: the listing's ordered by file, then each run's.
    /// - Throws: ``CarbonTrackerError`` with code `.logParseFailed` when the directory cannot be listed.
    func readRuns<Run>(
        keepsFigures: Bool, foldsEpochs: Bool = false,
        _ makeRun: (RunFiles, LogParser.StandardLog, LogParser.OutputLog) -> Run
    ) throws -> (runs: [Run], warnings: [LogParser.Warning]) {
        let work = LogBatchQueue { files, buffer in
            files.map {
                self.read($0, buffer: buffer, keepsFigures: keepsFigures, foldsEpochs: foldsEpochs)
            }
        }
        var pairing = Pairing()
        var batch: [File] = []
        func submit() {
            work.add(.init(first: pairing.files.count - batch.count, files: batch))
            batch.removeAll(keepingCapacity: true)
        }
        try forEachLog(includesEvents: true) { file in
            pairing.add(file)
            batch.append(file)
            if batch.count == LogBatchQueue.batchFiles { submit() }
        }
        if !batch.isEmpty { submit() }
        let (complete, incomplete) = pairing.runs()
        var listingWarnings = warnings(incomplete)
        let reads = work.finish()

        var runWarnings: [LogParser.Warning] = []
        var runs: [Run] = []
        runs.reserveCapacity(complete.count)
        for run in complete {
            if let events = run.events {
                let file = pairing.files[events]
                var eventsRead = reads[events]
                if !keepsFigures || foldsEpochs, let text = run.standard,
                    case .standard(let read) = reads[text],
                    read.distributed != nil
                {
                    // A rank of a distributed job: its job's total is rebuilt from every epoch, so its
                    // event log is read again with them (only job runs cost this second read).
                    eventsRead = self.read(
                        file, buffer: LogFileReader.Buffer(), keepsFigures: true, foldsEpochs: false)
                }
                if case .events(var standardLog, var outputLog, hasRun: true) = eventsRead,
                    !Self.textLogsAreMoreComplete(
                        events: standardLog, outputLog, standard: run.standard.map { reads[$0] },
                        output: run.output.map { reads[$0] })
                {
                    // Who the run was in a distributed job is in the text log's "Distributed" lines.
                    var textLog: LogParser.StandardLog?
                    if let text = run.standard, case .standard(let read) = reads[text] {
                        standardLog.distributed = read.distributed
                        textLog = read
                    }
                    var textOutput: LogParser.OutputLog?
                    if let output = run.output, case .output(let read) = reads[output] { textOutput = read }
                    Self.fillRanges(&standardLog, &outputLog, text: textLog, textOutput: textOutput)
                    let files = RunFiles(
                        standard: run.standard.map { pairing.files[$0].path },
                        output: run.output.map { pairing.files[$0].path }, events: file.path)
                    runs.append(makeRun(files, standardLog, outputLog))
                    runWarnings += (standardLog.warnings + outputLog.warnings).map {
                        .init(file: file.path, message: $0)
                    }
                    continue
                }
                if case .events(_, _, hasRun: true) = eventsRead {
                    // Cut short (a full disk stopped it) while the text logs went on to the end.
                    runWarnings.append(
                        .init(
                            file: file.path,
                            message: "Ends before the run did (the disk may have been full); the text logs, "
                                + "which are complete, are read instead."))
                } else if let message = Self.unusableEventLog(eventsRead) {
                    runWarnings.append(.init(file: file.path, message: message))
                }
            }
            let standard = run.standard.map { pairing.files[$0] }
            let output = run.output.map { pairing.files[$0] }
            let standardRead = run.standard.map { reads[$0] }
            let outputRead = run.output.map { reads[$0] }
            if let standard, let output, case .standard(let standardLog) = standardRead,
                case .output(let outputLog) = outputRead
            {
                let files = RunFiles(standard: standard.path, output: output.path)
                runs.append(makeRun(files, standardLog, outputLog))
                runWarnings += standardLog.warnings.map { .init(file: standard.path, message: $0) }
                runWarnings += outputLog.warnings.map { .init(file: output.path, message: $0) }
                // The last epoch's number: a scanner that keeps no figures keeps only the last epoch.
                let logged = standardLog.epochs.last?.number ?? 0
                if let reported = outputLog.actual?.epochs, logged < reported {
                    runWarnings.append(
                        .init(
                            file: standard.path,
                            message: "Ends before the run did (the disk may have been full): it holds "
                                + "\(logged) of the \(reported) epochs of the output log's final "
                                + "report, whose totals are used."))
                }
                continue
            }
            let problems = Self.warnings(
                standard: standard, standardRead?.problem, output: output, outputRead?.problem)
            if !problems.isEmpty {
                listingWarnings += problems
            } else if let standard, let reason = standardRead?.failure ?? outputRead?.failure {
                runWarnings.append(.init(file: standard.path, message: "Run skipped: \(reason)"))
            }
        }
        listingWarnings.sort { $0.file < $1.file }
        return (runs, listingWarnings + runWarnings)
    }

    /// Whether the text logs hold more of a run than its event log: the event log has no final report
    /// while the output log has one, or the standard log has more epochs.
    private static func textLogsAreMoreComplete(
        events: LogParser.StandardLog, _ eventsOutput: LogParser.OutputLog, standard: FileRead?,
        output: FileRead?
    ) -> Bool {
        guard case .standard(let textLog) = standard, case .output(let textOutput) = output else {
            return false
        }
        if eventsOutput.actual == nil && textOutput.actual != nil { return true }
        return textLog.epochCount > events.epochCount
    }

    /// Why an event log gave no run, for its warning; `nil` when there is nothing to say (an empty file).
    private static func unusableEventLog(_ read: FileRead) -> String? {
        switch read {
        case .events: return "Describes no run (no run_started line); the text logs are read instead."
        case .unusable(let problem):
            if case .empty = problem { return nil }
            return problem.message
        case .failed(let reason): return "Cannot be read (\(reason)); the text logs are read instead."
        case .standard, .output: return nil
        }
    }

    /// What reading one log gave.
    enum FileRead: Sendable {
        case standard(LogParser.StandardLog)
        case output(LogParser.OutputLog)
        /// An event log's records, and whether it describes a run.
        case events(LogParser.StandardLog, LogParser.OutputLog, hasRun: Bool)
        /// Not a non-empty regular file.
        case unusable(Problem)
        /// Could not be opened or read: the reason, for the run's warning.
        case failed(String)

        var problem: Problem? {
            if case .unusable(let problem) = self { return problem }
            return nil
        }

        var failure: String? {
            if case .failed(let reason) = self { return reason }
            return nil
        }
    }

    private func read(_ file: File, buffer: LogFileReader.Buffer, keepsFigures: Bool, foldsEpochs: Bool)
        -> FileRead
    {
        guard file.mayBeRegular else { return .unusable(.notRegular) }
        let log = openLog(file)
        defer { log.close() }
        if let problem = log.problem { return .unusable(problem) }
        do {
            if file.isEvents {
                var scanner = EventLogScanner(keepsFigures: keepsFigures, foldsEpochs: foldsEpochs)
                let end = try log.forEachLine(path: file.path, buffer: buffer) { scanner.consume($0) }
                let (standardLog, outputLog) = scanner.finish(end)
                return .events(standardLog, outputLog, hasRun: scanner.hasRun)
            }
            if file.isOutput {
                var scanner = OutputLogScanner()
                let end = try log.forEachLine(path: file.path, buffer: buffer) { scanner.consume($0) }
                return .output(scanner.finish(end))
            }
            var scanner = StandardLogScanner(keepsFigures: keepsFigures, foldsEpochs: foldsEpochs)
            let end = try log.forEachLine(path: file.path, buffer: buffer) { scanner.consume($0) }
            return .standard(scanner.finish(end))
        } catch {
            return .failed((error as? CarbonTrackerError)?.message ?? "\(error)")
        }
    }

    /// A log opened for reading, or why it is not.
    struct OpenedLog {
        fileprivate var descriptor: Int32 = -1
        fileprivate var bytes = 0
        /// Why the log is unusable; `nil` when it is a non-empty regular file.
        var problem: Problem?
        /// Why `open` failed for a usable log (no permission, say).
        fileprivate var openError: Int32 = 0

        /// Calls `body` with every complete line.
        /// - Throws: ``CarbonTrackerError`` with code `.logParseFailed` when the log could not be
        ///   opened or read.
        func forEachLine(
            path: @autoclosure () -> String, buffer: LogFileReader.Buffer, _ body: (LogBytes) -> Void
        ) throws -> LogFileReader.Outcome {
            guard descriptor >= 0 else { throw LogFileReader.failure(path(), "cannot be opened", openError) }
            return try LogFileReader.forEachLine(
                descriptor: descriptor, knownBytes: bytes, buffer: buffer, path: path(), body)
        }

        func close() {
            if descriptor >= 0 { _ = closeDescriptor(descriptor) }
        }
    }

    /// Opens a log and examines it through the open descriptor, which saves the `stat` of a listing.
    /// A link or an entry of unknown type is examined first, so that no device or FIFO is opened.
    func openLog(_ file: File) -> OpenedLog {
        if !file.isRegularEntry, let problem = examine(file).problem { return OpenedLog(problem: problem) }
        let opened = openat(descriptor, file.name, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC)
        guard opened >= 0 else {
            let openError = errno
            return OpenedLog(problem: examine(file).problem, openError: openError)
        }
        var info = stat()
        if let problem = fstat(opened, &info) == 0 ? Problem(info) : Problem(errno: errno) {
            _ = closeDescriptor(opened)
            return OpenedLog(problem: problem)
        }
        return OpenedLog(descriptor: opened, bytes: Int(info.st_size))
    }
}

private func closeDescriptor(_ descriptor: Int32) -> Int32 { close(descriptor) }
