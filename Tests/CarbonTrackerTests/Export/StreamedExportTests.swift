import Foundation
import Testing

@testable import CarbonTracker
@testable import CarbonTrackerMonitor
@testable import CarbonTrackerSources

/// `--parse DIR --format json|csv|model-card` reads the directory in one streaming pass
/// (``LogExport/Directory``): its output must be, byte for byte, what the whole-directory parse gives.
@Suite struct StreamedExportTests {
    /// Every format and the warnings, streamed and from ``LogParser/parseAllLogs(logDir:)``.
    static func expectSameExports(_ logDir: String, sourceLocation: SourceLocation = #_sourceLocation) throws
        -> [String: Any]
    {
        let parse = try LogParser.parseAllLogs(logDir: logDir)
        let streamed = try LogExport.Directory(logDir: logDir)
        let json = LogExport.json(parse)
        #expect(LogExport.json(streamed) == json, sourceLocation: sourceLocation)
        #expect(
            LogExport.codeCarbonCSV(streamed) == LogExport.codeCarbonCSV(parse),
            sourceLocation: sourceLocation)
        for trainingType in [nil, "fine-tuning"] {
            #expect(
                LogExport.modelCard(streamed, trainingType: trainingType)
                    == LogExport.modelCard(parse, trainingType: trainingType), sourceLocation: sourceLocation)
        }
        #expect(streamed.warnings == parse.warnings, sourceLocation: sourceLocation)
        #expect(streamed.aggregate == LogParser.Aggregate(parse), sourceLocation: sourceLocation)
        return try #require(JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
    }

    /// The runs of a JSON document, by run id.
    static func runs(_ document: [String: Any]) -> [String: [String: Any]] {
        let runs = document["runs"] as? [[String: Any]] ?? []
        return Dictionary(
            runs.map { ($0["run"] as? String ?? "", $0) }, uniquingKeysWith: { first, _ in first })
    }

    @Test func pythonLogsExportAsFromTheWholeParse() throws {
        let document = try Self.expectSameExports(ParserTestSupport.pythonLogs)
        #expect(Self.runs(document).count == 8)
    }

    @Test func trackedRunsWithEventLogsExportAsFromTheWholeParse() throws {
        let logs = try ParserTestSupport.scratchDirectory()
        defer { ParserTestSupport.cleanUp(logs) }
        _ = try EventLogTests.writeRun(in: logs)
        _ = try ParserTestSupport.runSimulatedTracker(logDir: logs, epochs: 4, prefix: "sim")
        _ = try ParserTestSupport.runSimulatedTracker(
            logDir: logs, epochs: 3, prefix: "cpu", gpuDevices: false)
        let runs = Self.runs(try Self.expectSameExports(logs))
        #expect(runs.count == 3)
        let sim = try #require(runs.first { $0.key.hasPrefix("sim_") }?.value)
        #expect(sim["epochs"] as? Int == 4)
        #expect(sim["event_log"] is String)
        #expect((sim["components"] as? [[String: Any]])?.count == 2)
    }

    @Test func aDistributedJobExportsAsFromTheWholeParse() throws {
        let logs = try ParserTestSupport.scratchDirectory()
        let locks = try ParserTestSupport.scratchDirectory("locks")
        defer {
            ParserTestSupport.cleanUp(logs)
            ParserTestSupport.cleanUp(locks)
        }
        _ = try DistributedJobsParserTests.runJob("77", epochs: 3, seconds: 0.05, logDir: logs, locks: locks)
        try DistributedJobsParserTests.writeKilledRank(
            in: logs, name: "k", job: "78", rank: 0, node: "node1", progressEpoch: 2)
        let document = try Self.expectSameExports(logs)
        #expect(Self.runs(document).count == 5)
        let jobs = (document["total"] as? [String: Any])?["jobs"] as? [[String: Any]]
        #expect(Set(jobs?.compactMap { $0["job"] as? String } ?? []) == ["77", "78"])
    }

    /// Runs without a final report are read again with their epochs: one whose event log is cut before
    /// its report and whose epochs lost their bounds (its text log fills them in), one with text logs
    /// only, and one whose event log stops early beside complete text logs.
    @Test func killedRunsExportAsFromTheWholeParse() throws {
        let logs = try ParserTestSupport.scratchDirectory()
        defer { ParserTestSupport.cleanUp(logs) }
        for prefix in ["killed", "text", "cut"] {
            _ = try ParserTestSupport.runSimulatedTracker(logDir: logs, epochs: 4, prefix: prefix)
        }
        let names = try FileManager.default.contentsOfDirectory(atPath: logs)
        func path(_ prefix: String, _ suffix: String) throws -> String {
            logs + "/" + (try #require(names.first { $0.hasPrefix(prefix + "_") && $0.hasSuffix(suffix) }))
        }
        for prefix in ["killed", "text"] {
            let output = try path(prefix, LogDirectory.outputSuffix)
            let lines = try ParserTestSupport.read(output).components(separatedBy: "\n")
            let actual = try #require(lines.firstIndex { $0.hasPrefix("Actual consumption") })
            try ParserTestSupport.write(lines[..<(actual - 1)].joined(separator: "\n") + "\n", to: output)
        }
        try FileManager.default.removeItem(atPath: try path("text", LogDirectory.eventsSuffix))
        let killed = try path("killed", LogDirectory.eventsSuffix)
        var kept: [String] = []
        for line in try ParserTestSupport.read(killed).split(separator: "\n") {
            var object = try #require(JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            let event = object["event"] as? String
            if ["actual", "run_ended", "power_series"].contains(event) { continue }
            guard event == "epoch" else {
                kept.append(String(line))
                continue
            }
            for key in ["energy_kwh_low", "energy_kwh_high", "co2eq_grams_low", "co2eq_grams_high"] {
                object[key] = nil
            }
            kept.append(String(decoding: try JSONSerialization.data(withJSONObject: object), as: UTF8.self))
        }
        try ParserTestSupport.write(kept.joined(separator: "\n") + "\n", to: killed)
        let cut = try path("cut", LogDirectory.eventsSuffix)
        let cutLines = try ParserTestSupport.read(cut).split(separator: "\n")
        let secondEpoch = try #require(
            cutLines.indices.filter { cutLines[$0].contains("\"event\":\"epoch\"") }.dropFirst().first)
        try ParserTestSupport.write(cutLines[...secondEpoch].joined(separator: "\n") + "\n", to: cut)

        let document = try Self.expectSameExports(logs)
        let runs = Self.runs(document)
        #expect(runs.count == 3)
        for prefix in ["killed", "text"] {
            let run = try #require(runs.first { $0.key.hasPrefix(prefix + "_") }?.value)
            #expect(run["actual"] is NSNull, "\(prefix)")
            #expect(run["epochs"] as? Int == 4, "\(prefix)")
            #expect(run["energy_kwh_low"] is Double, "\(prefix): the epochs' bounds, added up")
        }
        let warnings = document["warnings"] as? [[String: Any]] ?? []
        #expect(
            warnings.contains { ($0["message"] as? String)?.hasPrefix("Ends before the run did") == true })
    }
}

extension StreamedExportTests {
    #if os(Linux)
        /// The CLI's peak memory for `--parse DIR --format json` at 10,000 and 100,000 epochs: a parse that
        /// kept the epochs would grow by about 100 MB.
        @Test(
            .enabled(if: CLIEndToEndTests.binary != nil, "build the carbontracker product first"),
            .enabled(
                if: FileManager.default.isExecutableFile(atPath: "/usr/bin/time"),
                "needs GNU time (/usr/bin/time) to measure the CLI's own peak memory"))
        func theJSONParsesMemoryDoesNotGrowWithTheEpochs() throws {
            let directory = try ParserTestSupport.scratchDirectory()
            defer { ParserTestSupport.cleanUp(directory) }
            let binary = try #require(CLIEndToEndTests.binary)
            var peaks: [Int] = []
            for epochs in [10_000, 100_000] {
                let logs = directory + "/logs-\(epochs)"
                _ = try ReportScaleTests.trackedRun(epochs: epochs, in: logs)
                let run = try BoundedFileTests.runMeasured(
                    [binary, "--parse", logs, "--format", "json"], output: directory + "/out-\(epochs)")
                #expect(run.status == 0, "\(run.output)")
                let document = try #require(
                    JSONSerialization.jsonObject(with: Data(run.output.utf8)) as? [String: Any])
                let runs = try #require(document["runs"] as? [[String: Any]])
                #expect(runs.map { $0["epochs"] as? Int } == [epochs])
                peaks.append(run.maxResidentKilobytes)
                print(
                    "carbontracker --parse --format json over \(epochs) epochs: peak \(run.maxResidentKilobytes) kB"
                )
            }
            // The whole parse kept about 1.2 kB an epoch (1.18 GB at 1,000,000 epochs): 90,000 more epochs
            // would add about 100 MB.
            #expect(peaks[1] < peaks[0] + 4_000, "peaks \(peaks) kB")
        }
    #endif
}
