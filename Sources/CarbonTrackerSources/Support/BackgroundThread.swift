import Foundation

/// Starts the package's background threads with a name the logs can show.
///
/// ```swift
/// BackgroundThread.start(name: "CarbonIntensityThread") { refreshForever() }
/// BackgroundThread.currentName   // "CarbonIntensityThread" inside the block, "MainThread" on main
/// ```
///
/// Foundation on Linux reports the process name as every thread's `name`, so the name is also kept
/// in the thread's dictionary, where ``currentName`` finds it for the error log's thread column.
package enum BackgroundThread {
    private static let key = "CarbonTracker.threadName"

    /// Starts `body` on a new thread called `name`.
    /// - Parameters:
    ///   - name: The thread's name, as Python's `threadName` would show it.
    ///   - body: The thread's work.
    package static func start(name: String, _ body: @escaping @Sendable () -> Void) {
        let thread = Thread {
            Thread.current.threadDictionary[key] = name
            body()
        }
        thread.name = name
        thread.start()
    }

    /// "MainThread" on the main thread, the name given to ``start(name:_:)`` on one of ours, else "Thread".
    package static var currentName: String {
        if Thread.isMainThread { return "MainThread" }
        return Thread.current.threadDictionary[key] as? String ?? "Thread"
    }
}
