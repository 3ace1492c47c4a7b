import Foundation

@testable import CarbonTracker
@testable import CarbonTrackerMonitor
@testable import CarbonTrackerSources

/// Runs a program to completion from a test and captures what it printed.
enum TestProcess {
    /// How a program ended and what it printed.
    struct Result {
        var status: Int32
        var output: String
        var error: String
    }

    /// Runs `executable` with `arguments`. Both pipes are drained at once (standard error on a thread
    /// of its own) before waiting, so a chatty child never blocks on a full pipe.
    static func run(_ executable: String, _ arguments: [String]) throws -> Result {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let output = Pipe()
        let error = Pipe()
        process.standardOutput = output
        process.standardError = error
        try process.run()
        let errorData = LockedBox(Data())
        let errorDrained = Latch()
        Thread {
            let data = error.fileHandleForReading.readDataToEndOfFile()
            errorData.withLock { $0 = data }
            errorDrained.open()
        }.start()
        let outputData = output.fileHandleForReading.readDataToEndOfFile()
        errorDrained.wait(seconds: 60)
        process.waitUntilExit()
        return Result(
            status: process.terminationStatus, output: String(decoding: outputData, as: UTF8.self),
            error: String(decoding: errorData.withLock { $0 }, as: UTF8.self))
    }
}
