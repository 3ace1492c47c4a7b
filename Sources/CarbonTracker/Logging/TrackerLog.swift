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
/// Any thread may add lines; they are queued with their wall-clock time and written by
/// ``flush()``, which the sampling thread calls after every sample, so a line reaches its file
/// within one update interval and the training thread never waits on a file.
/// Cost of adding a line: one lock and an array append.
final class TrackerLog: DiagnosticsReporter {
    private enum Stream: Sendable {
        case standard, output
        case error(ErrorLevel)
    }

    private struct Entry: Sendable {
        var stream: Stream
        var time: Date
        var thread: String
        var message: String
    }

    private let pending = LockedBox<[Entry]>([])
    private let writerWake = LockedBox<(@Sendable () -> Void)?>(nil)
    private let files: LockedBox<LogFiles?>
    private let verbose: Int
    private let console: ConsoleOutput

    /// The files written, or `nil` when logging to files is off.
    let paths: LogPaths?

    /// Opens the log files (when `directory` is set) and queues Python's two opening lines.
    /// - Throws: ``CarbonTrackerError`` with code `.logWriteFailed` when the files cannot be created.
    init(directory: String?, prefix: String, verbose: Int, console: ConsoleOutput) throws {
        self.verbose = verbose
        self.console = console
        if let directory {
            let opened = try LogFiles.create(directory: directory, prefix: prefix)
            self.files = LockedBox(opened)
            self.paths = opened.paths
        } else {
            self.files = LockedBox(nil)
            self.paths = nil
        }
    }

    // MARK: Adding lines

    /// Queues a line for the standard log.
    func info(_ message: String) { enqueue(.standard, message) }
    /// Queues a line for the output log, printed to standard output when verbose.
    func output(_ message: String) { enqueue(.output, "CarbonTracker: " + message) }
    /// Queues a DEBUG line for the error log.
    func debug(_ message: String) { enqueue(.error(.debug), message) }
    /// Queues an INFO line for the error log.
    func errorInfo(_ message: String) { enqueue(.error(.info), message) }
    /// Queues a WARNING line for the error log.
    func warning(_ message: String) { enqueue(.error(.warning), message) }
    /// Queues a CRITICAL line for the error log.
    func critical(_ message: String) { enqueue(.error(.critical), message) }

    private func enqueue(_ stream: Stream, _ message: String) {
        let entry = Entry(
            stream: stream, time: Date(), thread: BackgroundThread.currentName, message: message)
        pending.withLock { $0.append(entry) }
        writerWake.withLock { $0 }?()
    }

    /// Sets what wakes the writing thread when a line is queued, so a line reaches its file promptly
    /// even while that thread sleeps between epochs.
    /// - Parameter wake: Called after every queued line; must be cheap and must not block.
    func setWriterWake(_ wake: @escaping @Sendable () -> Void) {
        writerWake.withLock { $0 = wake }
    }

    // MARK: Writing

    /// Writes every queued line to its file and to the console.
    func flush() {
        let entries = pending.withLock { queue -> [Entry] in
            defer { queue.removeAll(keepingCapacity: true) }
            return queue
        }
        guard !entries.isEmpty else { return }
        files.withLock { files in
            var standard = ""
            var output = ""
            var error = ""
            var printed = ""
            var errPrinted = ""
            for entry in entries {
                switch entry.stream {
                case .standard:
                    standard += LogTime.line(entry.time) + " - " + entry.message + "\n"
                case .output:
                    output += LogTime.line(entry.time) + " - " + entry.message + "\n"
                    if verbose > 0 { printed += entry.message + "\n" }
                case .error(let level):
                    error +=
                        LogTime.lineWithMilliseconds(entry.time) + " - " + entry.thread + " - "
                        + level.rawValue + " - " + entry.message + "\n"
                    if verbose > 0 && level != .debug {
                        errPrinted += "CarbonTracker: \(level.rawValue) - \(entry.message)\n"
                    }
                }
            }
            if !printed.isEmpty { console.standardOutput(printed) }
            if !errPrinted.isEmpty { console.standardError(errPrinted) }
            guard var opened = files else { return }
            let failure = opened.write(standard: standard, output: output, error: error)
            files = opened
            if let failure {
                console.standardError("CarbonTracker: WARNING - \(failure) Logging to files stopped.\n")
                opened.close()
                files = nil
            }
        }
    }

    /// Prints what is queued, then closes and deletes the files: a tracker that failed to start leaves
    /// no partial run behind for log aggregation to trip over.
    func discard() {
        files.withLock { files in
            files?.close()
            if let paths = files?.paths {
                for path in [paths.standard, paths.output, paths.error] { unlink(path) }
            }
            files = nil
        }
        flush()
    }

    /// Flushes and closes the files; later lines go to the console only.
    func close() {
        flush()
        files.withLock { files in
            files?.close()
            files = nil
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

    /// The process's standard output and standard error, written unbuffered.
    public static let process = ConsoleOutput(
        standardOutput: { FileHandle.standardOutput.write(Data($0.utf8)) },
        standardError: { FileHandle.standardError.write(Data($0.utf8)) })

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
}

/// Open descriptors of the log files. Only touched under ``TrackerLog``'s lock.
private struct LogFiles {
    let paths: LogPaths
    var standard: Int32
    var output: Int32
    var error: Int32?

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

    /// Writes the three chunks; returns a description of the first failure.
    mutating func write(standard: String, output: String, error: String) -> String? {
        if !standard.isEmpty, !Self.writeAll(self.standard, standard) { return failure(paths.standard) }
        if !output.isEmpty, !Self.writeAll(self.output, output) { return failure(paths.output) }
        if !error.isEmpty {
            if self.error == nil {
                let fd = open(paths.error, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
                if fd < 0 { return failure(paths.error) }
                self.error = fd
            }
            if let fd = self.error, !Self.writeAll(fd, error) { return failure(paths.error) }
        }
        return nil
    }

    private func failure(_ path: String) -> String {
        "Cannot write '\(path)': \(String(cString: strerror(errno)))."
    }

    func close() {
        _ = Foundation.close(standard)
        _ = Foundation.close(output)
        if let error { _ = Foundation.close(error) }
    }

    private static func writeAll(_ fd: Int32, _ text: String) -> Bool {
        var bytes = Array(text.utf8)
        var offset = 0
        while offset < bytes.count {
            let written = bytes.withUnsafeMutableBytes { buffer in
                Foundation.write(fd, buffer.baseAddress! + offset, buffer.count - offset)
            }
            if written < 0 {
                if errno == EINTR { continue }
                return false
            }
            offset += written
        }
        return true
    }
}

/// Timestamps for log lines (local time, like Python's `logging`) and file names (UTC).
enum LogTime {
    /// `YYYY-MM-DD HH:MM:SS` in local time.
    static func line(_ date: Date) -> String {
        let (t, _) = components(date, utc: false)
        return String(
            format: "%04d-%02d-%02d %02d:%02d:%02d", t.tm_year + 1900, t.tm_mon + 1, t.tm_mday, t.tm_hour,
            t.tm_min, t.tm_sec)
    }

    /// `YYYY-MM-DD HH:MM:SS,mmm` in local time.
    static func lineWithMilliseconds(_ date: Date) -> String {
        let (_, millis) = components(date, utc: false)
        return line(date) + String(format: ",%03d", millis)
    }

    /// `YYYY-MM-DDTHHMMSSZ` in UTC, as the `Z` says.
    static func fileStamp(_ date: Date) -> String {
        let (t, _) = components(date, utc: true)
        return String(
            format: "%04d-%02d-%02dT%02d%02d%02dZ", t.tm_year + 1900, t.tm_mon + 1, t.tm_mday, t.tm_hour,
            t.tm_min, t.tm_sec)
    }

    private static func components(_ date: Date, utc: Bool) -> (tm, Int32) {
        let seconds = date.timeIntervalSince1970.rounded(.down)
        var time = time_t(seconds)
        var result = tm()
        if utc { gmtime_r(&time, &result) } else { localtime_r(&time, &result) }
        let millis = Int32(((date.timeIntervalSince1970 - seconds) * 1000).rounded(.down))
        return (result, min(max(millis, 0), 999))
    }
}
