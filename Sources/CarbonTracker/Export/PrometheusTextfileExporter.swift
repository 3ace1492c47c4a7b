import Foundation

/// Keeps a Prometheus textfile (`*.prom`) up to date for node_exporter's textfile collector.
///
/// ```swift
/// let exporter = PrometheusTextfileExporter(path: "/var/lib/node_exporter/textfile/train.prom", diagnostics: log)
/// exporter.record(events)   // rewrites the file once if an epoch, window, intensity or prediction came
/// exporter.finish()         // writes the final figures
/// ```
///
/// The file is replaced atomically: the text goes to a hidden temporary file in the same directory
/// (whose name does not end in `.prom`, so the collector never reads it half-written), which is then
/// renamed over the target. A failure is reported once to the error log; later batches try again.
/// Cost: at most one file write and one `rename` per batch, however many events it holds.
final class PrometheusTextfileExporter: RunExporter {
    private struct State {
        var metrics = PrometheusMetrics(includesRunLabel: true)
        var buffer: [UInt8] = []
        var changed = false
        var reportedFailure = false
        var finished = false
    }

    /// The textfile.
    let path: String
    private let temporaryPath: String
    private let state = LockedBox(State())
    private let diagnostics: any DiagnosticsReporter

    /// Creates an exporter; nothing is written before the first event.
    /// - Parameters:
    ///   - path: The `.prom` file to keep up to date.
    ///   - diagnostics: Where a write failure is reported.
    init(path: String, diagnostics: any DiagnosticsReporter) {
        self.path = path
        let url = URL(fileURLWithPath: path)
        temporaryPath =
            url.deletingLastPathComponent().appendingPathComponent(
                ".\(url.lastPathComponent).\(ProcessInfo.processInfo.processIdentifier).tmp"
            ).path
        self.diagnostics = diagnostics
    }

    /// Applies the events and rewrites the file if an exported figure changed.
    /// - Parameter events: Events in the order they happened.
    func record(_ events: [RunEvent]) {
        let failure = state.withLock { state -> String? in
            guard !state.finished else { return nil }
            for event in events where state.metrics.apply(event) { state.changed = true }
            return write(&state)
        }
        if let failure { diagnostics.warning(failure) }
    }

    /// Writes the final figures.
    func finish() {
        let failure = state.withLock { state -> String? in
            guard !state.finished else { return nil }
            defer { state.finished = true }
            return write(&state)
        }
        if let failure { diagnostics.warning(failure) }
    }

    /// Rewrites the file if needed; returns the message of a first failure.
    private func write(_ state: inout State) -> String? {
        guard state.changed else { return nil }
        state.buffer.removeAll(keepingCapacity: true)
        state.metrics.render(into: &state.buffer)
        guard let error = Self.replace(path, temporary: temporaryPath, with: state.buffer) else {
            state.changed = false
            return nil
        }
        guard !state.reportedFailure else { return nil }
        state.reportedFailure = true
        return "Cannot write the Prometheus textfile '\(path)': \(error). "
            + "Check that its directory exists and is writable; training continues."
    }

    /// Writes `bytes` to `temporary`, then renames it to `path`.
    /// - Returns: Why it failed, or `nil`.
    static func replace(_ path: String, temporary: String, with bytes: [UInt8]) -> String? {
        let descriptor = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { return String(cString: strerror(errno)) }
        let error = FileWriting.writeAll(descriptor, bytes).error
        var failure = error == 0 ? nil : String(cString: strerror(error))
        _ = close(descriptor)
        if failure == nil, rename(temporary, path) != 0 { failure = String(cString: strerror(errno)) }
        if failure != nil { unlink(temporary) }
        return failure
    }
}
