import Foundation

/// Appends one row per run to a CodeCarbon-compatible `emissions.csv` when the run ends.
///
/// ```swift
/// let exporter = CodeCarbonCSVExporter(path: "emissions.csv", diagnostics: log)
/// exporter.record(events)   // adds up epochs; writes the row at runEnded
/// exporter.finish()         // writes it now if the run never ended
/// ```
///
/// See ``CodeCarbonCSV`` for the fields and for what happens to a file with another header.
/// Problems are reported to the error log, never thrown at training. Cost: one addition per device
/// per epoch, and one small append at the end.
final class CodeCarbonCSVExporter: RunExporter {
    private struct State {
        var accumulator = RunFigures.Accumulator()
        var written = false
    }

    /// The CSV asked for.
    let path: String
    private let host: CodeCarbonCSV.HostFacts
    private let state = LockedBox(State())
    private let diagnostics: any DiagnosticsReporter
    private let now: @Sendable () -> Date

    /// Creates an exporter; nothing is written before the run ends.
    /// - Parameters:
    ///   - path: The CSV file.
    ///   - host: The machine's facts for the host fields.
    ///   - diagnostics: Where problems are reported.
    ///   - now: The wall clock, for a run that never ended.
    init(
        path: String, host: CodeCarbonCSV.HostFacts = .current(), diagnostics: any DiagnosticsReporter,
        now: @escaping @Sendable () -> Date = { Date() }
    ) {
        self.path = path
        self.host = host
        self.diagnostics = diagnostics
        self.now = now
    }

    /// Adds the events up; writes the row when the run ends.
    /// - Parameter events: Events in the order they happened.
    func record(_ events: [RunEvent]) {
        let row = state.withLock { state -> [String]? in
            guard !state.written else { return nil }
            for event in events { state.accumulator.apply(event) }
            guard state.accumulator.hasEnded, state.accumulator.hasRun else { return nil }
            state.written = true
            return CodeCarbonCSV.row(state.accumulator.result(endDate: now()), host: host)
        }
        if let row { write(row) }
    }

    /// Writes the row of a run that started but never ended.
    func finish() {
        let row = state.withLock { state -> [String]? in
            guard !state.written, state.accumulator.hasRun else { return nil }
            state.written = true
            return CodeCarbonCSV.row(state.accumulator.result(endDate: now()), host: host)
        }
        if let row { write(row) }
    }

    private func write(_ row: [String]) {
        do {
            let outcome = try CodeCarbonCSV.append(row, to: path)
            if let warning = outcome.warning { diagnostics.warning(warning) }
        } catch {
            diagnostics.warning((error as? CarbonTrackerError)?.message ?? "\(error)")
        }
    }
}
