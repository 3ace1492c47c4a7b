import Foundation

extension MonitorCore {
    /// The longest the final push of a run may take, in seconds: the largest bound of the exporters
    /// that finish over the network (the Pushgateway's push time-out and one second), else 0.
    var finalPushBoundSeconds: Double {
        exporters.lazy.filter(\.finishesOverNetwork).map(\.finishBoundSeconds).max() ?? 0
    }

    /// Waits until the exporters that finish over the network have made their final push, or
    /// reported why not, and that report is in the error log.
    ///
    /// `stop()` returns before the final push, so training never waits on a server; the exit drain, a
    /// released tracker and the CLI call this so the process does not go away before the push. Costs
    /// nothing without such an exporter; returns at once while the run has not ended (nothing to wait
    /// for yet).
    /// - Parameter limitSeconds: The longest wait; at most ``finalPushBoundSeconds`` either way.
    /// - Returns: Whether every final push finished within the wait.
    @discardableResult
    func awaitFinalPush(limitSeconds: Double = .infinity) -> Bool {
        guard exporters.contains(where: \.finishesOverNetwork) else { return true }
        guard finished.wait(seconds: 0) else { return false }
        let limit = min(limitSeconds, finalPushBoundSeconds)
        let start = clock.now()
        var done = true
        for exporter in exporters where exporter.finishesOverNetwork {
            let left = limit - (clock.now() - start)
            if left <= 0 || !exporter.awaitFinish(seconds: left) {
                done = false
                break
            }
        }
        // A failed push's warning was added to the log's buffer; the sampling thread closes the log
        // right after, but the process may end first.
        log.flush()
        return done
    }
}
