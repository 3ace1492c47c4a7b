import Foundation

extension LogPaths {
    /// `..._carbontracker_events.jsonl`: the JSON Lines event log beside the three logs (the standard
    /// log's path without `.log`, plus `_events.jsonl`).
    public var events: String { EventLogExporter.path(standardLog: standard) }
}

/// Writes a run's events as JSON Lines beside its logs: one object per line, schema
/// `carbontracker.events/2` (`docs/events.schema.json`).
///
/// ```swift
/// let exporter = try EventLogExporter(path: paths.events, diagnostics: log)
/// exporter.record([.runStarted(description)])
/// exporter.finish()
/// ```
///
/// Each batch is encoded into one reused buffer and written with one `write` of complete lines, so a
/// killed process leaves every line up to its last batch whole. Should a write fail part-way (a full
/// disk), the file is cut back to its last whole line and no longer written; the failure is reported
/// once to the error log. Cost per batch: one `write` system call whatever the number of events.
final class EventLogExporter: RunExporter {
    private struct State {
        var descriptor: Int32
        var encoder: EventLogEncoder
        var json = JSONWriter()
    }

    /// The file written.
    let path: String
    private let state: LockedBox<State>
    private let diagnostics: any DiagnosticsReporter
    private let now: @Sendable () -> Date

    /// The event log's path for a standard log's: `X_carbontracker.log` → `X_carbontracker_events.jsonl`.
    /// - Parameter standardLog: Path of a `..._carbontracker.log`.
    /// - Returns: The event log's path.
    static func path(standardLog: String) -> String {
        (standardLog.hasSuffix(".log") ? String(standardLog.dropLast(4)) : standardLog) + "_events.jsonl"
    }

    /// The run id in a log's file name: the name without its directory and `_carbontracker...` suffix.
    /// - Parameter path: Any of a run's log paths.
    /// - Returns: `{prefix_}{pid}.{id}_{timestamp}`.
    static func runID(logPath path: String) -> String {
        let name = (path as NSString).lastPathComponent
        guard let range = name.range(of: "_carbontracker", options: .backwards) else { return name }
        return String(name[..<range.lowerBound])
    }

    /// Creates the event log.
    /// - Parameters:
    ///   - path: Where to write; the file must not exist yet.
    ///   - diagnostics: Where a write failure is reported.
    ///   - now: The wall clock, for events without an instant of their own.
    /// - Throws: ``CarbonTrackerError`` with code `.logWriteFailed` when the file cannot be created.
    init(
        path: String, diagnostics: any DiagnosticsReporter,
        now: @escaping @Sendable () -> Date = { Date() }
    ) throws {
        let descriptor = open(path, O_WRONLY | O_CREAT | O_EXCL | O_APPEND | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else {
            throw CarbonTrackerError(
                .logWriteFailed,
                "Cannot create the event log '\(path)': \(String(cString: strerror(errno))). "
                    + "Pass a writable logDir, or logDir: nil to write no logs.")
        }
        self.path = path
        self.state = LockedBox(
            State(descriptor: descriptor, encoder: EventLogEncoder(runID: Self.runID(logPath: path))))
        self.diagnostics = diagnostics
        self.now = now
    }

    /// Appends the events as lines, with one write.
    /// - Parameter events: Events in the order they happened.
    func record(_ events: [RunEvent]) {
        guard !events.isEmpty else { return }
        let batchDate = now()
        let failure = state.withLock { state -> String? in
            guard state.descriptor >= 0 else { return nil }
            state.json.removeAll()
            for event in events { state.encoder.append(event, now: batchDate, to: &state.json) }
            // Whole lines or nothing; after a failure the file is stopped at its last whole line.
            let error = FileWriting.appendRecords(state.descriptor, state.json.bytes)
            if error == 0 { return nil }
            _ = close(state.descriptor)
            state.descriptor = -1
            return
                "Cannot write the event log '\(path)': \(String(cString: strerror(error))). It was stopped at "
                + "its last whole line; later events are missing from it (the standard log has its own warning "
                + "if it fails too)."
        }
        if let failure { diagnostics.warning(failure) }
    }

    /// Closes the file.
    func finish() {
        state.withLock { state in
            if state.descriptor >= 0 { _ = close(state.descriptor) }
            state.descriptor = -1
        }
    }

}
