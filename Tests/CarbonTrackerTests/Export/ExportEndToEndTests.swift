import Foundation
import Testing

@testable import CarbonTracker
@testable import CarbonTrackerCLICore
@testable import CarbonTrackerMonitor
@testable import CarbonTrackerSources

/// A tracker run with every output on: the event log, the Prometheus textfile, a real Pushgateway
/// (where installed), the CodeCarbon CSV, and the model card from `--parse`. Each agrees with the
/// standard log, and the Python-format logs look exactly as they do with no output on.
@Suite struct ExportEndToEndTests {
    private static func train(logDir: String, options: TrackerOptions) throws -> CarbonTracker {
        let tracker = try CarbonTracker(
            epochs: 3, updateInterval: 0.02, logDir: logDir, simCPU: "Sim Xeon", simCPUTDP: 101,
            simGPU: "Sim A100",
            simGPUWatts: 496, options: options)
        try CoreTest.train(tracker, epochs: 3, seconds: 0.1)
        return tracker
    }

    /// The standard log's "Measured energy (J)" values per epoch and component.
    static func measuredJoules(_ standard: String) -> [[String: [Double]]] {
        var epochs: [[String: [Double]]] = []
        for message in CoreTest.messages(standard) {
            if message.hasPrefix("Epoch ") { epochs.append([:]) }
            guard let rest = message.split(separator: "Measured energy (J) for ", maxSplits: 1).last,
                message.hasPrefix("Measured energy"), let colon = rest.firstIndex(of: ":")
            else { continue }
            let values = rest[rest.index(after: colon)...].split(separator: "[method")[0]
                .trimmingCharacters(in: CharacterSet(charactersIn: " []")).split(separator: " ")
                .compactMap { Double($0) }
            epochs[epochs.count - 1][String(rest[..<colon])] = values
        }
        return epochs
    }

    @Test func everyOutputAgreesWithTheStandardLog() throws {
        let root = CoreTest.temporaryDirectory()
        let logs = root + "/logs"
        var options = CoreTest.options()
        options.prometheusTextfile = root + "/train.prom"
        options.emissionsCSV = root + "/emissions.csv"
        var gateway: Process?
        var gatewayURL: URL?
        if ExportTest.pushgateway != nil {
            let (process, base) = try RealPushgatewayTests.startGateway()
            gateway = process
            gatewayURL = base
            options.prometheusPushgateway = base.absoluteString
        }
        defer {
            gateway?.terminate()
            gateway?.waitUntilExit()
        }
        let tracker = try Self.train(logDir: logs, options: options)
        let paths = try #require(tracker.logFiles)
        let standard = CoreTest.read(paths.standard)
        let measured = Self.measuredJoules(standard)
        #expect(measured.count == 3)

        // Event log: one epoch event per epoch, with the standard log's energies to the micro-joule the
        // log is rounded to; every line is a complete JSON object.
        let lines = CoreTest.read(paths.events).split(separator: "\n")
        let events = try lines.map {
            try #require(JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])
        }
        #expect(events.first?["event"] as? String == "run_started")
        #expect(events.last?["event"] as? String == "run_ended")
        let epochs = events.filter { $0["event"] as? String == "epoch" }
        #expect(epochs.compactMap { $0["epoch"] as? Int } == [1, 2, 3])
        // Compact epoch lines give each component's energy in run_started's order: a number for one
        // device, a list for several.
        let declared = try #require(events.first?["components"] as? [[String: Any]])
        let names = try declared.map { try #require($0["component"] as? String) }
        var totalJoules = 0.0
        for (event, logged) in zip(epochs, measured) {
            let energy = try #require(event["j"] as? [Any])
            #expect(energy.count == names.count)
            for (name, value) in zip(names, energy) {
                let joules = try #require((value as? [Double]) ?? (value as? Double).map { [$0] })
                let fromLog = try #require(logged[name])
                #expect(joules.count == fromLog.count)
                for (value, expected) in zip(joules, fromLog) { #expect(abs(value - expected) <= 5e-7) }
                totalJoules += joules.reduce(0, +)
            }
        }
        #expect(events.contains { $0["event"] as? String == "prediction" })
        #expect(events.contains { $0["event"] as? String == "actual" })
        let actual = try #require(tracker.actualConsumption)
        // The event log rounds each energy to the microjoule, as the standard log does.
        #expect(abs(totalJoules - actual.energyKilowattHours * 3_600_000 / 1.58) <= 6 * 5e-7 + 1e-9)

        if let python = ExportTest.python(with: ["jsonschema"]) {
            let schema = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
                .deletingLastPathComponent()
                .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent(
                    "docs/events.schema.json")
            let output = try ExportTest.runPython(
                python,
                """
                import json, sys, jsonschema
                validator = jsonschema.Draft202012Validator(json.load(open(sys.argv[1])), format_checker=jsonschema.FormatChecker())
                lines = open(sys.argv[2]).read().splitlines()
                for line in lines:
                    validator.validate(json.loads(line))
                print(len(lines))
                """, [schema.path, paths.events])
            #expect(output == "\(lines.count)\n")
        }

        // Prometheus textfile: the run's energy per device, accepted by promtool.
        let textfile = CoreTest.read(root + "/train.prom")
        #expect(textfile.contains("# TYPE carbontracker_energy_joules_total counter"))
        #expect(textfile.contains("carbontracker_epochs_total"))
        if let promtool = ExportTest.promtool {
            let result = try TestProcess.run(
                "/bin/sh", ["-c", "\"$0\" check metrics < \"$1\"", promtool, root + "/train.prom"])
            #expect(result.status == 0, "promtool: \(result.output) \(result.error)")
        }

        // Pushgateway: the series with the run's total energy.
        if let gatewayURL {
            // The final push is made after the tracker returned (a slow gateway never delays training);
            // awaitFinalPush waits for it, as the exit handler and the CLI do.
            try tracker.stop()
            #expect(tracker.awaitFinalPush())
            let run = "run=\"\(EventLogExporter.runID(logPath: paths.standard))\""
            let metrics = try #require(RealPushgatewayTests.get(gatewayURL.appendingPathComponent("metrics")))
            let pushed = metrics.body.split(separator: "\n").filter {
                $0.hasPrefix("carbontracker_energy_joules_total{") && $0.contains(run)
            }.compactMap { $0.split(separator: " ").last.flatMap { Double($0) } }
            #expect(pushed.count == 2)
            #expect(abs(pushed.reduce(0, +) - totalJoules) <= 1e-6 * totalJoules)
        }

        // CodeCarbon CSV: CodeCarbon's header and one row with this run's energy in kWh.
        let csv = CoreTest.read(root + "/emissions.csv").split(separator: "\n")
        #expect(csv.count == 2)
        #expect(csv.first.map { String($0) + "\n" } == CodeCarbonCSV.headerLine)

        // Model card from the log directory.
        let console = CapturedConsole()
        #expect(
            CarbonTrackerCommand.main(
                arguments: ["--parse", logs, "--format", "model-card"], console: console.console) == 0)
        #expect(console.printed.contains("co2_eq_emissions:"))
        #expect(
            console.printed.contains("source: \"carbontracker\"")
                || console.printed.contains("source: carbontracker"))
    }

    @Test func pythonFormatLogsAreTheSameWithEveryOutputOn() throws {
        let root = CoreTest.temporaryDirectory()
        var options = CoreTest.options()
        options.prometheusTextfile = root + "/train.prom"
        options.emissionsCSV = root + "/emissions.csv"
        let plain = try Self.train(logDir: root + "/plain", options: CoreTest.options())
        let exported = try Self.train(logDir: root + "/exported", options: options)
        // Same lines in the same order; only times and measured numbers may differ.
        func shape(_ path: String) -> [String] {
            CoreTest.messages(CoreTest.read(path)).map {
                $0.replacingOccurrences(of: #"[0-9][0-9.e+-]*"#, with: "#", options: .regularExpression)
            }
        }
        let a = try #require(plain.logFiles)
        let b = try #require(exported.logFiles)
        #expect(shape(a.standard) == shape(b.standard))
        #expect(shape(a.output) == shape(b.output))
        #expect(shape(a.error) == shape(b.error))
        #expect(FileManager.default.fileExists(atPath: b.events))
    }

    @Test func theEventLogCanBeTurnedOff() throws {
        let root = CoreTest.temporaryDirectory()
        var byOption = CoreTest.options()
        byOption.eventLog = false
        var byVariable = CoreTest.options()
        byVariable.environment["CARBONTRACKER_EVENT_LOG"] = "0"
        for (name, options) in [
            ("option", byOption), ("variable", byVariable), ("default", CoreTest.options()),
        ] {
            let tracker = try Self.train(logDir: root + "/" + name, options: options)
            let paths = try #require(tracker.logFiles)
            #expect(FileManager.default.fileExists(atPath: paths.events) == (name == "default"), "\(name)")
            #expect(CoreTest.read(paths.standard).contains("Epoch 3:"))
        }
    }
}
