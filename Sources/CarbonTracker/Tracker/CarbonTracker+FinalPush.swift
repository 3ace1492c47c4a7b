extension CarbonTracker {
    /// Waits until the run's final push to the Prometheus Pushgateway is made, or its failure is one
    /// line in the error log; at most the push time-out and one second (4 s by default).
    ///
    /// `stop()` returns before that push, so training never waits on the gateway; a program that
    /// exits waits for it in its exit handler, and a released tracker in its `deinit`. The CLI calls
    /// this after `stop()` so that it exits with the command's status only once the push is made.
    /// Returns at once without a Pushgateway, or while the run has not ended.
    /// - Returns: Whether the final push finished (made or reported) within the wait.
    @discardableResult
    package func awaitFinalPush() -> Bool { monitor.awaitFinalPush() }
}
