import Foundation
import Testing

@testable import CarbonTracker
@testable import CarbonTrackerMonitor
@testable import CarbonTrackerSources

/// A fresh directory under the system's temporary directory, removed when released.
final class TemporaryDirectory: Sendable {
    let path: String

    init() throws {
        path = NSTemporaryDirectory() + "carbontracker-hw-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }

    func file(_ name: String) -> String { path + "/" + name }

    /// Writes `text` through a rename, so a concurrent reader sees the old or the new content, never a mix.
    func write(_ text: String, to name: String) throws {
        try HardwareFiles.write(text, to: file(name))
    }
}

enum HardwareFiles {
    static func write(_ text: String, to path: String) throws {
        let temporary = path + ".tmp-" + UUID().uuidString
        try text.write(toFile: temporary, atomically: false, encoding: .utf8)
        guard rename(temporary, path) == 0 else { throw CocoaError(.fileWriteUnknown) }
    }

    static func read(_ path: String) -> String { (try? String(contentsOfFile: path, encoding: .utf8)) ?? "" }

    /// A file under `Fixtures/hardware`.
    static func fixture(_ name: String) -> String {
        Bundle.module.resourcePath! + "/Fixtures/hardware/" + name
    }
}

/// Builds the C fixtures with the system's C compiler.
enum CCompiler {
    /// `cc`, `clang` or `gcc` from `PATH`, or `nil` when there is none.
    static let path: String? = {
        let directories = (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(
            separator: ":")
        for name in ["cc", "clang", "gcc"] {
            for directory in directories
            where FileManager.default.isExecutableFile(atPath: "\(directory)/\(name)") {
                return "\(directory)/\(name)"
            }
        }
        return nil
    }()

    static var isAvailable: Bool { path != nil }

    private static let cache = LockedBox<[String: String]>([:])
    private static let cacheDirectory =
        NSTemporaryDirectory() + "carbontracker-hw-cache-\(getpid())-\(UUID().uuidString)"

    /// Compiles `fixture` once per set of flags and copies the result to `output`; a copy is a new
    /// file, so each test's dlopen gets its own instance.
    static func buildCached(_ fixture: String, to output: String, shared: Bool, flags: [String] = []) throws {
        let key = ([fixture, shared ? "shared" : "executable"] + flags).joined(separator: " ")
        var built = cache.withLock { $0[key] }
        if built == nil {
            // Compiled outside the lock so that different flag sets build in parallel.
            try FileManager.default.createDirectory(atPath: cacheDirectory, withIntermediateDirectories: true)
            let path = cacheDirectory + "/" + UUID().uuidString + "-" + fixture
            try build(fixture, to: path, shared: shared, flags: flags)
            built = cache.withLock { cache in
                if cache[key] == nil { cache[key] = path }
                return cache[key]
            }
        }
        guard let built else { throw CocoaError(.fileNoSuchFile) }
        try FileManager.default.copyItem(atPath: built, toPath: output)
    }

    /// Compiles `fixture` into `output` (a shared library when `shared`).
    static func build(_ fixture: String, to output: String, shared: Bool, flags: [String] = []) throws {
        guard let path else { throw CarbonTrackerError(.componentUnavailable, "no C compiler") }
        var arguments = ["-O1", "-o", output, HardwareFiles.fixture(fixture)] + flags
        if shared { arguments = ["-shared", "-fPIC"] + arguments }
        #if os(Linux)
            arguments.append("-ldl")
        #endif
        let result = try TestProcess.run(path, arguments)
        guard result.status == 0 else {
            throw CarbonTrackerError(.componentUnavailable, "cc failed: " + result.error)
        }
    }
}

/// Collects what a component reports.
final class RecordingDiagnostics: DiagnosticsReporter {
    private let lines = LockedBox<[(level: String, message: String)]>([])

    func info(_ message: String) { lines.withLock { $0.append(("info", message)) } }
    func debug(_ message: String) { lines.withLock { $0.append(("debug", message)) } }
    func warning(_ message: String) { lines.withLock { $0.append(("warning", message)) } }
    func critical(_ message: String) { lines.withLock { $0.append(("critical", message)) } }

    func messages(_ level: String) -> [String] {
        lines.withLock { $0.filter { $0.level == level }.map(\.message) }
    }
    var all: [String] { lines.withLock { $0.map(\.message) } }
}

/// Trackers for the end-to-end tests: silent, fixed intensity, logging to a temporary directory.
enum TestTracker {
    static func make(
        in directory: TemporaryDirectory, components: String = "all", updateInterval: Double = 0.02,
        environment: [String: String] = [:], custom: [any PowerComponent]? = nil, epochs: Int = 3
    ) throws -> CarbonTracker {
        let options = TrackerOptions(
            customComponents: custom, intensitySource: FixedIntensitySource(.worldAverage), console: .silent,
            readLine: { nil }, environment: environment, shutdownTimeoutSeconds: 10)
        return try CarbonTracker(
            epochs: epochs, epochsBeforePred: 0, updateInterval: updateInterval, components: components,
            logDir: directory.file("logs"), verbose: 1, options: options)
    }

    /// An environment in which no real sensor is found (no RAPL, no NVML, no powermetrics) and the
    /// CPU model comes from a fixture.
    static func isolatedEnvironment(_ directory: TemporaryDirectory) -> [String: String] {
        [
            "CARBONTRACKER_RAPL_DIR": directory.file("no-powercap"),
            "CARBONTRACKER_NVML_LIBRARY": directory.file("no-libnvidia-ml.so.1"),
            "CARBONTRACKER_IOREPORT_LIBRARY": directory.file("no-libIOReport.dylib"),
            "CARBONTRACKER_CPUINFO": HardwareFiles.fixture("cpuinfo-epyc.txt"),
            // Fake counters stand for the whole machine, wherever the tests run (a CI container's cgroup).
            "CARBONTRACKER_SCOPE": "machine",
        ]
    }

    /// The joules of `kind` in an epoch, per device.
    static func joules(_ epoch: EpochMeasurement, _ kind: ComponentKind) -> [Double]? {
        epoch.components.first { $0.kind == kind }?.joules
    }

    /// Waits until the sampling thread has started its components.
    static func waitForComponents(_ tracker: CarbonTracker, count: Int = 1) {
        let deadline = Date().addingTimeInterval(10)
        while tracker.components.count < count && Date() < deadline { Thread.sleep(forTimeInterval: 0.01) }
    }
}

func pause(_ seconds: Double) { Thread.sleep(forTimeInterval: seconds) }
