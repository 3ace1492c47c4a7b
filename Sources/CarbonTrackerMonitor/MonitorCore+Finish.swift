import CarbonTrackerSources
import Foundation

extension MonitorCore {
    /// Stops monitoring (as `stop()`), waits for the final report and, when the sampling thread is
    /// stuck in a power source, writes it from what was measured on this thread.
    /// - Parameter throwing: Whether to throw a failure not yet delivered.
    package func stopAndWait(throwing: Bool = false) throws {
        requestStop(.interrupted)
        try awaitFinish()
        if throwing { try takeFailure() }
    }

    /// Waits for the sampling thread to write the final report; see ``stopAndWait(throwing:)``.
    package func awaitFinish() throws {
        switch waitForSampler(finished) {
        case .done:
            return
        case .stuckReading(let name):
            // The claim is made while the source is still being read (activity, then queue, in lock
            // order): once the read returns, the sampling thread sees the claim and reports nothing more.
            let reason = activity.withLock { activity -> MonitorEndReason? in
                guard activity.reading == name else { return nil }
                return claimFinish(byWaitingThread: true)
            }
            guard let reason else { return try awaitFinish() }
            sink.warning(
                "The power source \(name) has not answered for \(timeoutSeconds) s; the final report was "
                    + "written from what was measured before it stopped answering. Training continues.")
            finishRun(reason, skipping: name)
        case .stalled:
            sink.warning(
                "The monitoring thread made no progress for \(timeoutSeconds) s; the final report may be "
                    + "missing. Training continues.")
        }
    }

    /// Waits until the prediction is written: wakes the sampling thread and waits while it progresses.
    package func awaitPrediction() {
        wake.signal()
        _ = waitForSampler(predictionReady)
    }

    /// Waits until the sink has finished what it does after the run (a final push), at most
    /// `limitSeconds` and the sink's own bound. `stop()` returns before that work, so training never
    /// waits on a server; the exit drain, a released tracker or monitor, and the CLI call this so the
    /// process does not go away before it. Returns at once while the run has not ended.
    /// - Returns: Whether the work finished within the wait.
    @discardableResult
    package func awaitSinkFinish(limitSeconds: Double = .infinity) -> Bool {
        guard sink.finalWorkBoundSeconds > 0 else { return true }
        guard finished.wait(seconds: 0) else { return false }
        return sink.awaitFinalWork(limitSeconds: limitSeconds)
    }
}
