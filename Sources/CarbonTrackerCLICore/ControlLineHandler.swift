import CarbonTracker
import Foundation

/// Applies the lines of a wrapped command's control pipe to its tracker: epochs (with `--epochs`)
/// and windows of the tracker's monitor.
///
/// Runs on the control channel's reader thread. A line that cannot be applied (malformed, unknown,
/// an `epoch_end` without `epoch_start`, a window not open) is one warning on standard error and
/// nothing more; after ``warningLimit`` warnings the rest are counted, and their number is given at
/// the end.
final class ControlLineHandler: Sendable {
    /// Warnings printed before the rest are only counted.
    static let warningLimit = 20

    private let tracker: CarbonTracker?
    private let epochsFromLines: Bool
    private let console: ConsoleOutput
    private let state = LockedBox(State())

    private struct State {
        var warnings = 0
        var epochLinesWithoutEpochsWarned = false
        var sawEpochLine = false
    }

    /// - Parameters:
    ///   - tracker: The run's tracker; `nil` when the run is not tracked (lines are then read and dropped).
    ///   - epochsFromLines: Whether `--epochs` was given, so the command's lines mark the epochs.
    ///   - console: Where warnings go.
    init(tracker: CarbonTracker?, epochsFromLines: Bool, console: ConsoleOutput) {
        self.tracker = tracker
        self.epochsFromLines = epochsFromLines
        self.console = console
    }

    /// Whether any `epoch_start` or `epoch_end` line arrived.
    var sawEpochLine: Bool { state.withLock { $0.sawEpochLine } }

    /// Applies one line.
    func handle(_ line: ControlLine) {
        guard let tracker else { return }
        do {
            switch line {
            case .blank:
                return
            case .epochStart, .epochEnd:
                state.withLock { $0.sawEpochLine = true }
                guard epochsFromLines else {
                    let first = state.withLock { state -> Bool in
                        defer { state.epochLinesWithoutEpochsWarned = true }
                        return !state.epochLinesWithoutEpochsWarned
                    }
                    if first {
                        warn(
                            "the command marks epochs, but the whole command is measured as one epoch; "
                                + "give --epochs N (the number of epochs it runs) to measure each")
                    }
                    return
                }
                if line == .epochStart { try tracker.epochStart() } else { try tracker.epochEnd() }
            case .begin(let name):
                try tracker.monitor.beginWindow(name)
            case .end(let name):
                _ = try tracker.monitor.endWindow(name)
            case .malformed(let text):
                warn(
                    "ignored the line '\(text)' on \(ControlChannel.variable): expected epoch_start, "
                        + "epoch_end, begin NAME or end NAME")
            }
        } catch {
            warn(
                "ignored a line on \(ControlChannel.variable): \((error as? CarbonTrackerError)?.message ?? "\(error)")"
            )
        }
    }

    /// Says how many warnings were not shown, if any.
    func finish() {
        let hidden = state.withLock { $0.warnings - Self.warningLimit }
        if hidden > 0 {
            console.standardError(
                "carbontracker: warning: \(hidden) more lines on \(ControlChannel.variable) were ignored\n")
        }
    }

    private func warn(_ message: String) {
        let shown = state.withLock { state -> Bool in
            state.warnings += 1
            return state.warnings <= Self.warningLimit
        }
        if shown { console.standardError("carbontracker: warning: \(message)\n") }
    }
}
