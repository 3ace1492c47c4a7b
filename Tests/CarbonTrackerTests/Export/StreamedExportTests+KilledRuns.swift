import Foundation
import Testing

@testable import CarbonTracker
@testable import CarbonTrackerMonitor
@testable import CarbonTrackerSources

extension StreamedExportTests {
    /// Makes the tracked run in `logs` one killed before its final report: its event log removed, its
    /// output log cut inside its prediction (which is then incomplete and ignored) and the last
    /// twentieth of its standard log cut off.
    static func killTrackedRun(in logs: String) throws {
        let names = try FileManager.default.contentsOfDirectory(atPath: logs)
        for name in names where name.hasSuffix(LogDirectory.eventsSuffix) {
            try FileManager.default.removeItem(atPath: logs + "/" + name)
        }
        let output = logs + "/" + (try #require(names.first { $0.hasSuffix(LogDirectory.outputSuffix) }))
        let lines = try ParserTestSupport.read(output).components(separatedBy: "\n")
        let predicted = try #require(lines.firstIndex { $0.hasPrefix("Predicted consumption") })
        try ParserTestSupport.write(lines[...predicted].joined(separator: "\n") + "\n", to: output)
        let standard = logs + "/" + (try #require(names.first { $0.hasSuffix(LogDirectory.standardSuffix) }))
        let handle = try #require(FileHandle(forUpdatingAtPath: standard))
        defer { try? handle.close() }
        let size = try handle.seekToEnd()
        try handle.truncate(atOffset: size - size / 20)
    }

    /// A run whose event log is cut before its report but keeps its epochs' bounds is counted from what
    /// the streaming read folded, as the whole parse counts it from every epoch.
    @Test func aKilledRunWithBoundsInItsEventLogExportsAsFromTheWholeParse() throws {
        let logs = try ParserTestSupport.scratchDirectory()
        defer { ParserTestSupport.cleanUp(logs) }
        _ = try ParserTestSupport.runSimulatedTracker(logDir: logs, epochs: 5, prefix: "cut")
        let names = try FileManager.default.contentsOfDirectory(atPath: logs)
        let events = logs + "/" + (try #require(names.first { $0.hasSuffix(LogDirectory.eventsSuffix) }))
        let kept = try ParserTestSupport.read(events).split(separator: "\n").filter { line in
            !["prediction", "actual", "run_ended", "power_series"].contains {
                line.contains("\"event\":\"\($0)\"")
            }
        }
        try ParserTestSupport.write(kept.joined(separator: "\n") + "\n", to: events)
        let output = logs + "/" + (try #require(names.first { $0.hasSuffix(LogDirectory.outputSuffix) }))
        let lines = try ParserTestSupport.read(output).components(separatedBy: "\n")
        let predicted = try #require(lines.firstIndex { $0.hasPrefix("Predicted consumption") })
        try ParserTestSupport.write(lines[...predicted].joined(separator: "\n") + "\n", to: output)

        var read: LogParser.StandardLog?
        _ = try LogParser.streamRuns(logDir: logs) { files, log, _, _ in
            read = log
            #expect(files.events != nil, "read from its event log")
        }
        let log = try #require(read)
        #expect(log.epochs.count == 1, "counted from the fold, not read again")
        #expect(log.foldedEnergy.run != nil)
        let document = try Self.expectSameExports(logs)
        let run = try #require(Self.runs(document).first?.value)
        #expect(run["actual"] is NSNull)
        #expect(run["energy_kwh_low"] is Double)
        let warnings = document["warnings"] as? [[String: Any]] ?? []
        #expect(
            warnings.contains {
                ($0["message"] as? String)?.lowercased().contains("no final report") == true
            },
            "counted as a killed run: \(warnings)")
    }

    #if os(Linux)
        /// The CLI's peak memory for `--parse DIR` and `--parse DIR --format json` over a run killed
        /// before its report, at 10,000 and 100,000 epochs: a read that kept the epochs would grow by
        /// about 40 MB.
        @Test(
            .enabled(if: CLIEndToEndTests.binary != nil, "build the carbontracker product first"),
            .enabled(
                if: FileManager.default.isExecutableFile(atPath: "/usr/bin/time"),
                "needs GNU time (/usr/bin/time) to measure the CLI's own peak memory"))
        func aKilledRunsMemoryDoesNotGrowWithTheEpochs() throws {
            let directory = try ParserTestSupport.scratchDirectory()
            defer { ParserTestSupport.cleanUp(directory) }
            let binary = try #require(CLIEndToEndTests.binary)
            var peaks: [String: [Int]] = [:]
            for epochs in [10_000, 100_000] {
                let logs = directory + "/logs-\(epochs)"
                _ = try ReportScaleTests.trackedRun(epochs: epochs, in: logs)
                try Self.killTrackedRun(in: logs)
                let text = try BoundedFileTests.runMeasured(
                    [binary, "--parse", logs], output: directory + "/text-\(epochs)")
                #expect(text.status == 0, "\(text.output)")
                #expect(text.output.contains("no final report"), "\(text.output)")
                #expect(text.output.contains("The training of models in this work is estimated to use"))
                let json = try BoundedFileTests.runMeasured(
                    [binary, "--parse", logs, "--format", "json"], output: directory + "/json-\(epochs)")
                #expect(json.status == 0, "\(json.output)")
                let document = try #require(
                    JSONSerialization.jsonObject(with: Data(json.output.utf8)) as? [String: Any])
                let runs = try #require(document["runs"] as? [[String: Any]])
                let counted = try #require(runs.first?["epochs"] as? Int)
                #expect(counted > epochs * 9 / 10 && counted <= epochs, "\(counted) epochs read")
                peaks["--parse", default: []].append(text.maxResidentKilobytes)
                peaks["--format json", default: []].append(json.maxResidentKilobytes)
            }
            for (command, peak) in peaks {
                print(
                    "carbontracker \(command) over a killed run of 10,000 and 100,000 epochs: peaks \(peak) kB"
                )
                // Keeping every epoch took about 0.43 kB an epoch (370 MB at 857,000 epochs): 90,000 more
                // epochs would add about 40 MB.
                #expect(peak[1] < peak[0] + 4_000, "\(command): peaks \(peak) kB")
            }
        }
    #endif
}
