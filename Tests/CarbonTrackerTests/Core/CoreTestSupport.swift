import Foundation

@testable import CarbonTracker
@testable import CarbonTrackerMonitor
@testable import CarbonTrackerSources

/// Collects what a tracker prints.
final class CapturedConsole: Sendable {
    private let stdout = LockedBox("")
    private let stderr = LockedBox("")

    var console: ConsoleOutput {
        ConsoleOutput(
            standardOutput: { text in self.stdout.withLock { $0 += text } },
            standardError: { text in self.stderr.withLock { $0 += text } })
    }
    var printed: String { stdout.withLock { $0 } }
    var warnings: String { stderr.withLock { $0 } }
}

enum CoreTest {
    /// An environment that keeps every test off the network and off real GPUs.
    static let offline = [
        "CARBONTRACKER_OFFLINE": "1", "CARBONTRACKER_NVML_LIBRARY": "/nonexistent/libnvidia-ml.so.1",
    ]

    static func options(
        _ console: CapturedConsole = CapturedConsole(), components: [any PowerComponent]? = nil,
        readLine: @escaping @Sendable () -> String? = { nil }
    ) -> TrackerOptions {
        TrackerOptions(
            customComponents: components, console: console.console, readLine: readLine, environment: offline)
    }

    static func temporaryDirectory() -> String {
        let path = NSTemporaryDirectory() + "carbontracker-tests-" + UUID().uuidString
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    static func read(_ path: String) -> String {
        (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
    }

    /// Runs `epochs` epochs of `seconds` each.
    static func train(_ tracker: CarbonTracker, epochs: Int, seconds: Double = 0.08) throws {
        for _ in 0..<epochs {
            try tracker.epochStart()
            Thread.sleep(forTimeInterval: seconds)
            try tracker.epochEnd()
        }
    }

    /// Polls `condition` for up to `seconds`.
    static func eventually(within seconds: Double = 2, _ condition: () -> Bool) -> Bool {
        let deadline = Date(timeIntervalSinceNow: seconds)
        while Date() < deadline {
            if condition() { return true }
            Thread.sleep(forTimeInterval: 0.01)
        }
        return condition()
    }

    /// The message part of each line of a standard or output log.
    static func messages(_ log: String) -> [String] {
        log.split(separator: "\n").map { line in
            guard let range = line.range(of: " - ") else { return String(line) }
            return String(line[range.upperBound...])
        }
    }
}

/// A power source with scripted failures, for error-handling tests.
final class ScriptedComponent: PowerComponent {
    let kind: ComponentKind
    let handlerName = "scripted"
    private let watts: Double
    private let failure: CarbonTrackerError?
    private let failAfterReads: Int
    private let readDelaySeconds: Double
    private let reads = LockedBox(0)
    let shutdowns = LockedBox(0)

    init(
        kind: ComponentKind, watts: Double, failure: CarbonTrackerError? = nil, failAfterReads: Int = 0,
        readDelaySeconds: Double = 0
    ) {
        self.kind = kind
        self.watts = watts
        self.failure = failure
        self.failAfterReads = failAfterReads
        self.readDelaySeconds = readDelaySeconds
    }

    func devices() -> [String] { ["scripted \(kind.rawValue)"] }
    func isAvailable() -> Bool { true }
    func start(diagnostics: any DiagnosticsReporter) throws {}
    func measurementMethod() -> MeasurementMethod { .sampled }
    func read() throws -> [DeviceReading] {
        let count = reads.withLock { count -> Int in
            count += 1
            return count
        }
        if readDelaySeconds > 0 { Thread.sleep(forTimeInterval: readDelaySeconds) }
        if let failure, count > failAfterReads { throw failure }
        return [.watts(watts)]
    }
    func shutdown() { shutdowns.withLock { $0 += 1 } }
}
