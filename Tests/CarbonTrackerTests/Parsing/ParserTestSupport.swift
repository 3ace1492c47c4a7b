import Foundation
import Testing

@testable import CarbonTracker
@testable import CarbonTrackerMonitor
@testable import CarbonTrackerSources

/// Fixtures and scratch directories shared by the parser, report and CLI tests.
enum ParserTestSupport {
    /// The directory of Python-written logs.
    static var pythonLogs: String {
        Bundle.module.resourceURL!.appendingPathComponent("Fixtures/python-logs").path
    }

    /// Python's `parse_all_logs` and `aggregate_consumption` output on ``pythonLogs``.
    static func pythonExpected() throws -> [String: Any] {
        let url = Bundle.module.resourceURL!.appendingPathComponent("Fixtures/python-logs-expected.json")
        return try #require(JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any])
    }

    /// A fresh empty directory, removed by `cleanUp`.
    static func scratchDirectory(_ name: String = #function) throws -> String {
        let safe = name.filter { $0.isLetter || $0.isNumber }
        let path = NSTemporaryDirectory() + "ct-\(safe)-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    static func cleanUp(_ path: String) {
        try? FileManager.default.removeItem(atPath: path)
    }

    /// Copies every Python fixture log into `directory`.
    static func copyPythonLogs(to directory: String) throws {
        for name in try FileManager.default.contentsOfDirectory(atPath: pythonLogs) {
            try FileManager.default.copyItem(atPath: pythonLogs + "/" + name, toPath: directory + "/" + name)
        }
    }

    /// Runs a simulated tracker for `epochs` short epochs and returns it once its logs are written.
    static func runSimulatedTracker(
        logDir: String, epochs: Int, stopAfter: Int? = nil, prefix: String = "", gpuDevices: Bool = true
    ) throws -> CarbonTracker {
        let tracker = try CarbonTracker(
            epochs: epochs, updateInterval: 0.05, logDir: logDir, logFilePrefix: prefix,
            simCPU: "Sim Xeon 2.20GHz", simCPUTDP: 100, simGPU: gpuDevices ? "Sim A100" : nil,
            simGPUWatts: gpuDevices ? 300 : nil,
            options: TrackerOptions(console: .silent, environment: ["CARBONTRACKER_OFFLINE": "1"]))
        for _ in 0..<(stopAfter ?? epochs) {
            try tracker.epochStart()
            usleep(60_000)
            try tracker.epochEnd()
        }
        try tracker.stop()
        return tracker
    }

    static func write(_ text: String, to path: String) throws {
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
    }

    static func read(_ path: String) throws -> String {
        try String(decoding: Data(contentsOf: URL(fileURLWithPath: path)), as: UTF8.self)
    }
}

/// `a ≈ b` to a relative 1e-9 (logs round to 12 decimals, JSON to 12 significant digits).
func approximatelyEqual(_ a: Double?, _ b: Double?, tolerance: Double = 1e-9) -> Bool {
    guard let a, let b else { return a == nil && b == nil }
    if a == b { return true }
    return abs(a - b) <= tolerance * max(abs(a), abs(b), 1e-12)
}
