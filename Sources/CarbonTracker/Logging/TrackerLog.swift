import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The severity of a line in the error log, spelled as Python's `logging` does.
enum ErrorLevel: String, Sendable {
    case debug = "DEBUG"
    case info = "INFO"
    case warning = "WARNING"
    case critical = "CRITICAL"
}

/// The tracker's three logs (standard, output, error) in Python carbontracker's format.
///
/// Any thread may add lines: each is formatted at once into a byte buffer (one lock, a timestamp
/// cached per second, a copy) and written by ``flush()``, which the sampling thread calls after every
/// batch, so a line reaches its file within one update interval and the training thread never waits
/// on a file. Lines from other threads wake the sampling thread, so they are written promptly even
/// while it sleeps between windows. The sampling thread adds its own lines through ``write(_:)``,
/// one lock per batch and no wake-up.
final class TrackerLog: DiagnosticsReporter {
    private let buffers = LockedBox(LogBatch())
    /// Serialises writers; holds the files and the spare buffers swapped in at each flush.
    private let writer: LockedBox<Writer>
    private let wake: WakeSignal?
    private let console: ConsoleOutput

    /// The files written, or `nil` when logging to files is off.
    let paths: LogPaths?

    private struct Writer {
        var files: LogFiles?
        var spare = LogBatch()
    }

    /// Opens the log files (when `directory` is set).
    /// - Parameters:
    ///   - directory: The log directory, created if missing; `nil` for console only.
    ///   - prefix: The file-name prefix.
    ///   - verbose: 0 prints nothing; 1 or more prints output lines and warnings.
    ///   - console: Where printed text goes.
    ///   - wake: Signalled when a thread other than the writer adds a line.
    /// - Throws: ``CarbonTrackerError`` with code `.logWriteFailed` when the files cannot be created.
    init(directory: String?, prefix: String, verbose: Int, console: ConsoleOutput, wake: WakeSignal? = nil)
        throws
    {
        self.console = console
        self.wake = wake
        let files = try directory.map { try LogFiles.create(directory: $0, prefix: prefix) }
        self.paths = files?.paths
        self.writer = LockedBox(Writer(files: files))
        buffers.withLock { $0.verbose = verbose }
        writer.withLock { $0.spare.verbose = verbose }
    }

    // MARK: Adding lines from any thread

    /// Adds a line to the standard log.
    func info(_ message: String) { add { $0.standard(message) } }
    /// Adds a line to the output log, printed to standard output when verbose.
    /// - Parameters:
    ///   - message: The line, without the "CarbonTracker: " prefix.
    ///   - toConsole: `false` keeps it out of standard output (it still goes to the file).
    func output(_ message: String, toConsole: Bool = true) {
        add { $0.output(message, toConsole: toConsole) }
    }
    /// Adds a DEBUG line to the error log.
    func debug(_ message: String) { add { $0.error(.debug, message) } }
    /// Adds an INFO line to the error log.
    func errorInfo(_ message: String) { add { $0.error(.info, message) } }
    /// Adds a WARNING line to the error log.
    func warning(_ message: String) { add { $0.error(.warning, message) } }
    /// Adds a CRITICAL line to the error log.
    func critical(_ message: String) { add { $0.error(.critical, message) } }

    private func add(_ body: (inout LogBatch) -> Void) {
        buffers.withLock { batch in
            batch.stamp(Date())
            body(&batch)
            batch.endRecord()
        }
        wake?.signal()
    }

    /// Adds several lines under one lock, stamped with the current time, without waking the writer:
    /// for the sampling thread, which flushes after its batch.
    /// - Parameter body: Appends lines to the batch.
    func write(_ body: (inout LogBatch) -> Void) {
        buffers.withLock { batch in
            batch.stamp(Date())
            body(&batch)
            batch.endRecord()
        }
    }

    // MARK: Writing

    /// Writes every pending line to its file and to the console.
    func flush() {
        // The sampling thread calls this after every sample: with nothing pending it costs one lock.
        guard buffers.withLock({ !$0.isEmpty }) else { return }
        writer.withLock { writer in
            var batch = writer.spare
            buffers.withLock { current in
                batch.inheritClock(from: current)
                swap(&current, &batch)
            }
            if !batch.consoleOutput.isEmpty {
                console.standardOutput(String(decoding: batch.consoleOutput, as: UTF8.self))
            }
            if !batch.consoleError.isEmpty {
                console.standardError(String(decoding: batch.consoleError, as: UTF8.self))
            }
            if var files = writer.files {
                // Each file stops on its own failure; the warning names it and what is still written.
                for failure in files.write(
                    standard: batch.standardBytes, output: batch.outputBytes, error: batch.errorBytes,
                    recordEnds: batch.recordEnds)
                {
                    console.standardError("CarbonTracker: WARNING - \(failure)\n")
                }
                writer.files = files
            }
            batch.clear()
            writer.spare = batch
        }
    }

    /// Prints what is pending, then closes and deletes the files: a tracker that failed to start leaves
    /// no partial run behind for log aggregation to trip over.
    func discard() {
        writer.withLock { writer in
            writer.files?.close()
            if let paths = writer.files?.paths {
                for path in [paths.standard, paths.output, paths.error, paths.events] { unlink(path) }
            }
            writer.files = nil
        }
        flush()
    }

    /// Flushes and closes the files; later lines go to the console only.
    func close() {
        flush()
        writer.withLock { writer in
            writer.files?.close()
            writer.files = nil
        }
    }
}

/// Lines formatted and waiting to be written, one byte buffer per destination.
struct LogBatch {
    fileprivate(set) var standardBytes: [UInt8] = []
    fileprivate(set) var outputBytes: [UInt8] = []
    fileprivate(set) var errorBytes: [UInt8] = []
    fileprivate(set) var consoleOutput: [UInt8] = []
    fileprivate(set) var consoleError: [UInt8] = []
    fileprivate var verbose = 1
    private var prefix = LinePrefix()
    /// Where ``standardLines(count:maximumBytes:_:)`` writes before its one copy, kept between calls.
    private var scratch: [UInt8] = []
    private var now = Date(timeIntervalSince1970: 0)
    /// Whether any line was added since the last flush: checked after every sample, so it is a flag
    /// stored inline rather than five array counts (five more cache lines on a cold wake-up).
    fileprivate private(set) var hasLines = false

    fileprivate mutating func stamp(_ date: Date) {
        now = date
        hasLines = true
    }

    fileprivate var isEmpty: Bool { !hasLines }

    fileprivate mutating func inheritClock(from other: LogBatch) {
        prefix = other.prefix
        verbose = other.verbose
    }

    /// Where each call's lines end in the three files' bytes: a record (an epoch's lines, a report)
    /// is written whole or not at all.
    fileprivate private(set) var recordEnds: (standard: [Int], output: [Int], error: [Int]) = ([], [], [])

    /// Marks the end of the lines one call added.
    fileprivate mutating func endRecord() {
        if standardBytes.count > (recordEnds.standard.last ?? 0) {
            recordEnds.standard.append(standardBytes.count)
        }
        if outputBytes.count > (recordEnds.output.last ?? 0) { recordEnds.output.append(outputBytes.count) }
        if errorBytes.count > (recordEnds.error.last ?? 0) { recordEnds.error.append(errorBytes.count) }
    }

    fileprivate mutating func clear() {
        hasLines = false
        recordEnds.standard.removeAll(keepingCapacity: true)
        recordEnds.output.removeAll(keepingCapacity: true)
        recordEnds.error.removeAll(keepingCapacity: true)
        standardBytes.removeAll(keepingCapacity: true)
        outputBytes.removeAll(keepingCapacity: true)
        errorBytes.removeAll(keepingCapacity: true)
        consoleOutput.removeAll(keepingCapacity: true)
        consoleError.removeAll(keepingCapacity: true)
    }

    /// Appends a standard-log line.
    mutating func standard(_ message: String) {
        standard { $0.append(contentsOf: message.utf8) }
    }

    /// Appends a standard-log line whose message `build` writes as bytes (no intermediate String).
    mutating func standard(_ build: (inout [UInt8]) -> Void) {
        prefix.append(to: &standardBytes, for: now)
        build(&standardBytes)
        standardBytes.append(UInt8(ascii: "\n"))
    }

    /// Appends standard-log lines that `write` puts in place (the per-epoch lines): each line
    /// ``StandardLines/begin()``s with the timestamp and ``StandardLines/end()``s with a newline, into a
    /// reused buffer, then all of them are appended with one copy.
    /// - Parameters:
    ///   - lines: How many lines `write` writes at most.
    ///   - maximumBytes: The most bytes `write` writes after the timestamps, newlines included.
    ///   - write: Writes the lines; it must stay within `maximumBytes`.
    mutating func standardLines(count lines: Int, maximumBytes: Int, _ write: (inout StandardLines) -> Void) {
        let prefixBytes = prefix.bytes(for: now)
        let reserved = maximumBytes &+ lines &* prefixBytes.count
        // Taken out of `self` while it is written, so that appending to `standardBytes` is no overlapping access.
        var scratch: [UInt8] = []
        swap(&scratch, &self.scratch)
        if scratch.count < reserved {
            scratch = [UInt8](repeating: 0, count: max(reserved, 2 * scratch.count))
        }
        let written = prefixBytes.withUnsafeBufferPointer { prefixBuffer in
            scratch.withUnsafeMutableBufferPointer { buffer in
                let start = buffer.baseAddress!
                var lines = StandardLines(cursor: LineCursor(start), prefix: prefixBuffer)
                write(&lines)
                return lines.cursor.count(from: start)
            }
        }
        precondition(written <= reserved, "standard-log lines longer than their reserved space")
        scratch.withUnsafeBufferPointer {
            standardBytes.append(contentsOf: UnsafeBufferPointer(rebasing: $0[..<written]))
        }
        swap(&scratch, &self.scratch)
    }

    /// Appends an output-log line ("CarbonTracker: " + message), also for standard output when verbose.
    mutating func output(_ message: String, toConsole: Bool = true) {
        prefix.append(to: &outputBytes, for: now)
        outputBytes.append(contentsOf: "CarbonTracker: ".utf8)
        outputBytes.append(contentsOf: message.utf8)
        outputBytes.append(UInt8(ascii: "\n"))
        if verbose > 0 && toConsole {
            consoleOutput.append(contentsOf: "CarbonTracker: ".utf8)
            consoleOutput.append(contentsOf: message.utf8)
            consoleOutput.append(UInt8(ascii: "\n"))
        }
    }

    /// Appends an error-log line with the calling thread's name; printed to standard error when verbose
    /// (except DEBUG).
    mutating func error(_ level: ErrorLevel, _ message: String) {
        errorBytes.append(contentsOf: LogTime.lineWithMilliseconds(now).utf8)
        errorBytes.append(contentsOf: " - \(BackgroundThread.currentName) - \(level.rawValue) - ".utf8)
        errorBytes.append(contentsOf: message.utf8)
        errorBytes.append(UInt8(ascii: "\n"))
        if verbose > 0 && level != .debug {
            consoleError.append(contentsOf: "CarbonTracker: \(level.rawValue) - \(message)\n".utf8)
        }
    }
}

/// Where printed output goes; tests capture it, applications keep the default.
public struct ConsoleOutput: Sendable {
    /// Receives text meant for standard output (reports, "Finished monitoring.").
    public var standardOutput: @Sendable (String) -> Void
    /// Receives warnings and errors meant for standard error.
    public var standardError: @Sendable (String) -> Void

    /// Creates a console from two sinks.
    /// - Parameters:
    ///   - standardOutput: Receives report text.
    ///   - standardError: Receives warnings.
    public init(
        standardOutput: @escaping @Sendable (String) -> Void,
        standardError: @escaping @Sendable (String) -> Void
    ) {
        self.standardOutput = standardOutput
        self.standardError = standardError
    }

    /// The process's standard output and standard error. C stdio is flushed first (every stream:
    /// `stdout` itself cannot be named from Swift 6 code), so text the program printed with `print`
    /// before a tracker call comes before the tracker's text about it, also when standard output is a
    /// file and fully buffered.
    public static let process = ConsoleOutput(
        standardOutput: { text in ConsoleOutput.write(text, to: 1) },
        standardError: { text in ConsoleOutput.write(text, to: 2) })

    private static func write(_ text: String, to descriptor: Int32) {
        fflush(nil)
        _ = FileWriting.writeAll(descriptor, Array(text.utf8))
    }

    /// Discards everything.
    public static let silent = ConsoleOutput(standardOutput: { _ in }, standardError: { _ in })
}

/// The paths of one tracker's log files.
public struct LogPaths: Sendable, Equatable {
    /// `..._carbontracker.log`: components, epochs, power, intensity.
    public var standard: String
    /// `..._carbontracker_output.log`: everything printed.
    public var output: String
    /// `..._carbontracker_err.log`: warnings and errors; created only when one is written.
    public var error: String

    /// The common stem of the file names: the standard log's path without `.log`.
    var base: String { String(standard.dropLast(4)) }
    /// `..._carbontracker_progress.json`: the running epoch's energy so far, rewritten in place each
    /// update interval and deleted when the run ends normally, so a killed run loses at most one interval.
    var progress: String { base + "_progress.json" }
}

/// Open descriptors of the log files. Only touched under ``TrackerLog``'s lock.
///
/// A full disk never leaves a partial record: each file gets whole records (an epoch's lines, a
/// report) or nothing (``FileWriting/appendRecords(_:_:recordEnds:)``), and a file that fails is
/// stopped there while the others go on. The standard and output logs (the pair Python's parser reads) keep disk space reserved ahead
/// of their ends, so the other outputs (the error log, the event log, the emissions CSV, the
/// checkpoint) run out of space first.
private struct LogFiles {
    let paths: LogPaths
    var standard: Int32
    var output: Int32
    var error: Int32?
    /// Where the reservation ahead of the standard and output logs ends, in bytes from the start.
    private var reservedUpTo: (standard: off_t, output: off_t) = (0, 0)
    /// Whether the error log failed (it is then never reopened).
    private var errorStopped = false

    /// The space kept ahead of the standard log, and of the output log.
    static let reserve = (standard: 64 * 1024, output: 32 * 1024)

    init(paths: LogPaths, standard: Int32, output: Int32, error: Int32?) {
        self.paths = paths
        self.standard = standard
        self.output = output
        self.error = error
        renewReservations()
    }

    static func create(directory: String, prefix: String) throws -> LogFiles {
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        } catch {
            throw CarbonTrackerError(
                .logWriteFailed,
                "Cannot create the log directory '\(directory)': \(error.localizedDescription). "
                    + "Pass a writable logDir, or logDir: nil to log to the console only.")
        }
        let pid = ProcessInfo.processInfo.processIdentifier
        let stamp = LogTime.fileStamp(Date())
        let namePrefix = prefix.isEmpty ? "" : prefix + "_"
        // A random id like Python's; O_EXCL makes two trackers in one process never share a file.
        for _ in 0..<64 {
            let base =
                "\(directory)/\(namePrefix)\(pid).\(Int.random(in: 1...999_999))_\(stamp)_carbontracker"
            let paths = LogPaths(
                standard: base + ".log", output: base + "_output.log", error: base + "_err.log")
            // Close-on-exec: commands the CLI runs, and other children, must not inherit the logs.
            let flags = O_WRONLY | O_CREAT | O_EXCL | O_APPEND | O_CLOEXEC
            let standard = open(paths.standard, flags, 0o644)
            if standard < 0 {
                if errno == EEXIST { continue }
                throw openError(paths.standard)
            }
            let output = open(paths.output, flags, 0o644)
            if output < 0 {
                let taken = errno == EEXIST
                let failure = openError(paths.output)
                _ = Foundation.close(standard)
                unlink(paths.standard)
                if taken { continue }
                throw failure
            }
            return LogFiles(paths: paths, standard: standard, output: output, error: nil)
        }
        throw CarbonTrackerError(.logWriteFailed, "Could not find an unused log file name in '\(directory)'.")
    }

    private static func openError(_ path: String) -> CarbonTrackerError {
        CarbonTrackerError(
            .logWriteFailed,
            "Cannot create the log file '\(path)': \(String(cString: strerror(errno))). "
                + "Pass a writable logDir, or logDir: nil to log to the console only.")
    }

    /// Writes the three chunks, the standard log first; a file that fails is stopped.
    /// - Returns: One warning per file that failed now, naming it and the files still written.
    mutating func write(
        standard: [UInt8], output: [UInt8], error: [UInt8],
        recordEnds: (standard: [Int], output: [Int], error: [Int])
    ) -> [String] {
        var failed: [(path: String, code: Int32)] = []
        if !standard.isEmpty, self.standard >= 0 {
            let code = FileWriting.appendRecords(self.standard, standard, recordEnds: recordEnds.standard)
            if code != 0 {
                failed.append((paths.standard, code))
                _ = Foundation.close(self.standard)
                self.standard = -1
            }
        }
        if !output.isEmpty, self.output >= 0 {
            let code = FileWriting.appendRecords(self.output, output, recordEnds: recordEnds.output)
            if code != 0 {
                failed.append((paths.output, code))
                _ = Foundation.close(self.output)
                self.output = -1
            }
        }
        if !error.isEmpty, !errorStopped {
            if self.error == nil {
                let fd = open(paths.error, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
                if fd < 0 {
                    failed.append((paths.error, errno))
                    errorStopped = true
                } else {
                    self.error = fd
                }
            }
            if let fd = self.error {
                let code = FileWriting.appendRecords(fd, error, recordEnds: recordEnds.error)
                if code != 0 {
                    failed.append((paths.error, code))
                    _ = Foundation.close(fd)
                    self.error = nil
                    errorStopped = true
                }
            }
        }
        renewReservations()
        guard !failed.isEmpty else { return [] }
        var still: [String] = []
        if self.standard >= 0 { still.append(paths.standard) }
        if self.output >= 0 { still.append(paths.output) }
        if self.error != nil { still.append(paths.error) }
        let remaining =
            still.isEmpty
            ? "No log file is written any more."
            : "Still written: " + still.map { "'\($0)'" }.joined(separator: ", ") + "."
        return failed.map {
            "Cannot write '\($0.path)': \(String(cString: strerror($0.code))). It was stopped at its last whole "
                + "line; later lines are missing from it. \(remaining)"
        }
    }

    /// Keeps disk space reserved ahead of the standard and output logs; a failure (a nearly full
    /// disk, a file system that cannot reserve) only means the next writes may fail.
    private mutating func renewReservations() {
        if standard >= 0 {
            let end = lseek(standard, 0, SEEK_END)
            if end >= 0, reservedUpTo.standard - end < off_t(Self.reserve.standard / 2),
                FileWriting.reserve(standard, bytes: Self.reserve.standard) == 0
            {
                reservedUpTo.standard = end + off_t(Self.reserve.standard)
            }
        }
        if output >= 0 {
            let end = lseek(output, 0, SEEK_END)
            if end >= 0, reservedUpTo.output - end < off_t(Self.reserve.output / 2),
                FileWriting.reserve(output, bytes: Self.reserve.output) == 0
            {
                reservedUpTo.output = end + off_t(Self.reserve.output)
            }
        }
    }

    func close() {
        // Cutting each file at its end gives back the space reserved beyond it.
        for fd in [standard, output] where fd >= 0 {
            let end = lseek(fd, 0, SEEK_END)
            if end >= 0 { _ = ftruncate(fd, end) }
            _ = Foundation.close(fd)
        }
        if let error { _ = Foundation.close(error) }
    }
}
