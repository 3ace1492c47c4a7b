import Foundation
import Testing

@testable import CarbonTracker
@testable import CarbonTrackerMonitor
@testable import CarbonTrackerSources

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Whether a tmpfs can be mounted here (root on Linux).
enum TinyDiskSupport {
    static let canMount: Bool = {
        #if os(Linux)
            return geteuid() == 0
        #else
            return false
        #endif
    }()
}

/// A full disk: the standard and output logs (the pair Python's parser reads) have priority, every
/// file holds whole lines only, a failed file is named once and stopped, and the parsers read what is
/// whole. On a 2 MB tmpfs, so it needs root (`mount`); skipped otherwise.
@Suite(
    .serialized,
    .enabled(
        if: TinyDiskSupport.canMount, "skipped: needs root to mount a 2 MB tmpfs (mount -t tmpfs -o size=2m)")
)
struct FullDiskTests {
    /// A 2 MB tmpfs, unmounted at the end.
    final class TinyDisk {
        let path: String

        init() throws {
            path = CoreTest.temporaryDirectory()
            let result = try TestProcess.run("/bin/mount", ["-t", "tmpfs", "-o", "size=2m", "tmpfs", path])
            try #require(result.status == 0, "mount failed: \(result.error)")
        }

        deinit {
            // Lazily: the tracker may still hold its log files open while this is released.
            _ = try? TestProcess.run("/bin/umount", ["-l", path])
            try? FileManager.default.removeItem(atPath: path)
        }

        /// Writes a file until the disk is full.
        func fill() {
            let descriptor = open(path + "/filler", O_WRONLY | O_CREAT | O_APPEND, 0o600)
            defer { close(descriptor) }
            let chunk = [UInt8](repeating: 0x41, count: 4096)
            while FileWriting.writeAll(descriptor, chunk).error == 0 {}
            var byte: UInt8 = 0x41
            while write(descriptor, &byte, 1) == 1 {}
        }

        /// Every file in `directory` that does not end with a newline (an empty file is whole).
        func partialFiles(in directory: String) -> [String] {
            let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
            return names.filter { name in
                let data = FileManager.default.contents(atPath: directory + "/" + name) ?? Data()
                return !data.isEmpty && data.last != 0x0A
            }
        }
    }

    static func tracker(_ directory: String, epochs: Int, console: CapturedConsole) throws -> CarbonTracker {
        try CarbonTracker(
            epochs: epochs, epochsBeforePred: 0, updateInterval: 0.01, logDir: directory, simCPU: "Sim CPU",
            simCPUTDP: 100, simGPU: "Sim GPU", simGPUWatts: 300, options: CoreTest.options(console))
    }

    /// Waits until the event log has its first lines (an empty one is no news to the parser), so the
    /// disk fills after it started.
    static func eventLogStarted(_ logs: String) -> Bool {
        CoreTest.eventually(within: 10) {
            ((try? FileManager.default.contentsOfDirectory(atPath: logs)) ?? []).contains { name in
                name.hasSuffix("_events.jsonl")
                    && ((try? FileManager.default.attributesOfItem(atPath: logs + "/" + name)[.size]) as? Int
                        ?? 0) > 0
            }
        }
    }

    /// Runs `body` and prints Python carbontracker's verdict on `directory` when CARBONTRACKER_PYTHON
    /// names it: it must read the directory without an exception.
    static func checkPython(_ directory: String) throws {
        guard let python = ProcessInfo.processInfo.environment["CARBONTRACKER_PYTHON"] else {
            print("FullDiskTests: CARBONTRACKER_PYTHON not set; Python's parser not run")
            return
        }
        let result = try TestProcess.run(
            python,
            [
                "-c",
                "import sys; from carbontracker import parser; print(len(parser.parse_all_logs(sys.argv[1])))",
                directory,
            ])
        #expect(result.status == 0, "Python's parser failed: \(result.error)")
    }

    @Test func theStandardLogOutlastsTheOtherOutputsOnAFullDisk() throws {
        let disk = try TinyDisk()
        let logs = disk.path + "/logs"
        let console = CapturedConsole()
        let tracker = try Self.tracker(logs, epochs: 20, console: console)
        #expect(Self.eventLogStarted(logs))
        disk.fill()
        try CoreTest.train(tracker, epochs: 20, seconds: 0.01)
        try tracker.stop()
        #expect(disk.partialFiles(in: logs).isEmpty, "files ending in a partial line")
        let sizes = ((try? FileManager.default.contentsOfDirectory(atPath: logs)) ?? []).map {
            "\($0): \((try? FileManager.default.attributesOfItem(atPath: logs + "/" + $0)[.size]) ?? 0)"
        }
        let parse = try LogParser.parseAllLogs(logDir: logs)
        let entry = try #require(parse.entries.first, "\(sizes) \(console.warnings)")
        // The event log was cut short: the complete text logs are read, and the parser says so.
        #expect(parse.warnings.contains { $0.file.hasSuffix("_events.jsonl") }, "\(parse.warnings)")
        #expect(
            entry.components.first?.epochDurationsSeconds?.count == 20,
            "every epoch in the standard log: \(sizes) \(console.warnings)")
        #expect(entry.actual != nil, "the final report in the output log")
        let warnings = console.warnings
        let eventLogWarnings = warnings.components(separatedBy: "Cannot write the event log").count - 1
        #expect(eventLogWarnings == 1, "the event log's failure is named once: \(warnings)")
        #expect(!warnings.contains("not affected"))
        try Self.checkPython(logs)
    }

    @Test func whenTheStandardLogFailsItKeepsWholeLinesAndSaysSo() throws {
        let disk = try TinyDisk()
        let logs = disk.path + "/logs"
        let console = CapturedConsole()
        // More epochs than the reservation ahead of the standard log holds.
        let epochs = 1500
        let tracker = try Self.tracker(logs, epochs: epochs, console: console)
        #expect(Self.eventLogStarted(logs))
        disk.fill()
        // Short epochs, so the sampling thread logs them in many batches, as in a real run.
        try CoreTest.train(tracker, epochs: epochs, seconds: 0.001)
        try tracker.stop()
        #expect(disk.partialFiles(in: logs).isEmpty, "files ending in a partial line")
        let standard = try #require(
            try FileManager.default.contentsOfDirectory(atPath: logs).first {
                $0.hasSuffix("_carbontracker.log")
            })
        let warnings = console.warnings
        #expect(
            warnings.components(separatedBy: "Cannot write '\(logs)/\(standard)'").count - 1 == 1,
            "the standard log's failure is named once: \(warnings)")
        // The parsers read what is whole: no error, the epochs that were written.
        let parse = try LogParser.parseAllLogs(logDir: logs)
        let logged = parse.entries.first?.components.first?.epochDurationsSeconds?.count ?? 0
        let sizes = ((try? FileManager.default.contentsOfDirectory(atPath: logs)) ?? []).map {
            "\($0): \((try? FileManager.default.attributesOfItem(atPath: logs + "/" + $0)[.size]) ?? 0)"
        }
        #expect(
            logged > 0 && logged < epochs,
            "\(logged) of \(epochs) epochs logged: \(sizes) \(parse.entries.map(\.standardFile)) \(parse.warnings)"
        )
        #expect(!parse.warnings.isEmpty, "the parser warns about the cut logs")
        #expect(parse.entries.first?.actual != nil, "the output log has the final report")
        let cli = try CLIEndToEndTests.run(["--parse", logs])
        #expect(cli.status == 0 && cli.standardError.contains("WARNING"), "\(cli.standardError)")
        print("Full disk: the standard log kept \(logged) of \(epochs) epochs, whole lines only")
        try Self.checkPython(logs)
    }
}
