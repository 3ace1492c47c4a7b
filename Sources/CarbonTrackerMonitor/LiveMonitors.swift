import CarbonTrackerSources
import Foundation

/// The monitors of this process that have not finished, so that a program that returns from `main`
/// or calls `exit()` without `stop()` still gets its logs completed, as Python writes them inside
/// each `epoch_end`.
///
/// The package's one piece of process-wide state: `atexit` can only call a plain function, so the
/// monitors it must drain have to be reachable from one. A handler is installed on first use.
enum LiveMonitors {
    private static let registry = LockedBox<[ObjectIdentifier: MonitorCore]>([:])
    private static let installed: Bool = {
        atexit { LiveMonitors.drainAtExit() }
        return true
    }()
    /// The longest an exiting process waits for its monitors, in seconds.
    static let exitWaitSeconds = 1.0

    /// Registers a running monitor.
    static func add(_ core: MonitorCore) {
        _ = installed
        registry.withLock { $0[ObjectIdentifier(core)] = core }
    }

    /// Forgets a finished monitor.
    static func remove(_ core: MonitorCore) {
        registry.withLock { $0[ObjectIdentifier(core)] = nil }
    }

    /// Stops every live monitor as `stop()` would and waits at most ``exitWaitSeconds`` in all for
    /// the logs, then at most the sinks' bound for what they finish after the run (a Pushgateway's final
    /// push: its time-out and one second), of these monitors and of those stopped earlier whose final
    /// work is still going.
    static func drainAtExit() {
        let cores = registry.withLock { Array($0.values) }
        guard !cores.isEmpty else { return }
        let clock = MonotonicTime()
        for core in cores { core.requestStop(.interrupted) }
        for core in cores {
            let left = exitWaitSeconds - clock.now()
            if left <= 0 { break }
            _ = core.waitForSampler(core.finished, limitSeconds: left)
        }
        let finalStart = clock.now()
        let finalLimit = cores.map(\.sink.finalWorkBoundSeconds).max() ?? 0
        for core in cores {
            core.awaitSinkFinish(limitSeconds: finalLimit - (clock.now() - finalStart))
        }
    }
}
