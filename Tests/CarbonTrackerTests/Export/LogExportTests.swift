import Foundation
import Testing

@testable import CarbonTracker
@testable import CarbonTrackerMonitor
@testable import CarbonTrackerSources

@Suite struct LogExportTests {
    @Test func jsonHasEveryRunOfPythonLogsWithItsFigures() throws {
        let parse = try LogParser.parseAllLogs(logDir: ParserTestSupport.pythonLogs)
        let text = LogExport.json(parse)
        #expect(text.hasSuffix("}\n"))
        let object = try #require(JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
        #expect(object["schema"] as? String == "carbontracker.parse/1")
        let runs = try #require(object["runs"] as? [[String: Any]])
        #expect(runs.count == parse.entries.count)
        let aggregate = LogParser.Aggregate(parse)
        let total = try #require(object["total"] as? [String: Any])
        #expect(total["energy_kwh"] as? Double == aggregate.energyKilowattHours)
        #expect(total["co2eq_grams"] as? Double == aggregate.co2eqGrams)
        #expect(total["runs"] as? Int == aggregate.runsCounted)

        let first = try #require(runs.first { ($0["run"] as? String) == "7441.593662_2026-11-21T063448Z" })
        #expect(first["version"] as? String == "2.4.7")
        #expect(first["epochs"] as? Int == 3)
        #expect(first["event_log"] is NSNull)
        #expect(first["pue"] as? Double == 1.58)
        #expect(first["energy_kwh"] as? Double == 0.000157505082)
        #expect(first["aggregated"] as? String == "predicted", "3 of 6 predicted epochs and no early stop")
        #expect(first["location"] is NSNull, "\"Unknown\" is no location")
        let components = try #require(first["components"] as? [[String: Any]])
        #expect(components.map { $0["component"] as? String } == ["gpu", "cpu"])
        #expect(components[0]["method"] is NSNull, "Python logs do not say how energy was measured")
        let gpuJoules = try #require(components[0]["energy_joules"] as? [Double])
        #expect(approximatelyEqual(gpuJoules.first, 248 * 0.4 * 3))
        let predicted = try #require(first["predicted"] as? [String: Any])
        #expect(predicted["epochs"] as? Int == 6)
    }

    @Test func csvHasARowPerRunOfPythonLogs() throws {
        let parse = try LogParser.parseAllLogs(logDir: ParserTestSupport.pythonLogs)
        let lines = LogExport.codeCarbonCSV(parse).split(separator: "\n").map(String.init)
        #expect(lines.first == CodeCarbonCSV.fields.joined(separator: ","))
        #expect(lines.count == parse.entries.count + 1)
        let row = CodeCarbonCSV.split(lines[1])
        #expect(row.count == CodeCarbonCSV.fields.count)
        func value(_ field: String) -> String { row[CodeCarbonCSV.fields.firstIndex(of: field)!] }
        #expect(value("run_id") == "7441.593662_2026-11-21T063448Z")
        #expect(value("timestamp") == "2026-11-21T06:34:49")
        #expect(Double(value("emissions")) == 0.070089761311 / 1000)
        #expect(approximatelyEqual(Double(value("duration")), 1.2))
        #expect(value("gpu_model") == "1 x Sim A100")
        #expect(value("cpu_model") == "Sim Xeon 1")
        #expect(value("os").isEmpty && value("cpu_count").isEmpty, "the machine that ran is unknown")
        let prefixed = try #require(lines.first { $0.contains("run-a_7588") })
        #expect(CodeCarbonCSV.split(prefixed)[1] == "run-a", "project_name is the log prefix")
    }

    @Test func modelCardBlockSumsTheDirectory() throws {
        let parse = try LogParser.parseAllLogs(logDir: ParserTestSupport.pythonLogs)
        let block = LogExport.modelCard(parse, trainingType: "fine-tuning")
        let lines = block.split(separator: "\n").map(String.init)
        #expect(lines[0] == "co2_eq_emissions:")
        #expect(lines[1] == "  emissions: \(LogExport.plainDecimal(LogParser.Aggregate(parse).co2eqGrams))")
        #expect(lines[2] == "  source: \"carbontracker\"")
        #expect(lines[3] == "  training_type: \"fine-tuning\"")
        #expect(lines.contains { $0.hasPrefix("  hardware_used: \"1 x Sim A100") })
        #expect(!LogExport.modelCard(parse, trainingType: nil).contains("\n  training_type:"))
    }

    @Test func plainDecimalsNeverUseExponents() {
        #expect(LogExport.plainDecimal(1.5e-05) == "0.000015")
        #expect(LogExport.plainDecimal(-2.5e-7) == "-0.00000025")
        #expect(LogExport.plainDecimal(1e16) == "10000000000000000.0")
        #expect(LogExport.plainDecimal(70.0897) == "70.0897")
        #expect(LogExport.plainDecimal(0) == "0.0")
        #expect(LogExport.yamlString("a \"b\"\n") == #""a \"b\"\n""#)
    }

    @Test func eventLogRunsExportTheirExactFigures() throws {
        let directory = try ParserTestSupport.scratchDirectory()
        defer { ParserTestSupport.cleanUp(directory) }
        _ = try EventLogTests.writeRun(in: directory)
        let parse = try LogParser.parseAllLogs(logDir: directory)
        let block = LogExport.modelCard(parse, trainingType: nil)
        #expect(block.contains("  geographical_location: \"Copenhagen, Capital Region, DK\""))
        #expect(block.contains("  hardware_used: \"1 x Sim A100\""), "RAPL zones are not hardware models")
        let row = CodeCarbonCSV.split(String(LogExport.codeCarbonCSV(parse).split(separator: "\n")[1]))
        #expect(row[CodeCarbonCSV.fields.firstIndex(of: "country_name")!] == "Denmark")
        #expect(row[CodeCarbonCSV.fields.firstIndex(of: "duration")!] == "6.0")
    }
}

/// The model-card block is YAML that PyYAML (installed by `.ci/run`) reads as the Hub expects.
@Suite(
    .enabled(
        if: ExportTest.python(with: ["yaml"]) != nil,
        "skipped: set CARBONTRACKER_PYTHON to a Python with PyYAML (pip install pyyaml) to parse the model card"
    ))
struct ModelCardYAMLTests {
    @Test func theBlockParsesAsYAML() throws {
        let python = try #require(ExportTest.python(with: ["yaml"]))
        let directory = try ParserTestSupport.scratchDirectory()
        defer { ParserTestSupport.cleanUp(directory) }
        try ParserTestSupport.copyPythonLogs(to: directory)
        _ = try EventLogTests.writeRun(in: directory)
        let parse = try LogParser.parseAllLogs(logDir: directory)
        for trainingType in ["pre-training", "odd: \"value\" #x", nil] as [String?] {
            let block = LogExport.modelCard(parse, trainingType: trainingType)
            let output = try ExportTest.runPython(
                python,
                """
                import json, sys, yaml
                card = yaml.safe_load(sys.argv[1])
                print(json.dumps(card))
                """, [block])
            let card = try #require(JSONSerialization.jsonObject(with: Data(output.utf8)) as? [String: Any])
            let emissions = try #require(card["co2_eq_emissions"] as? [String: Any])
            #expect(emissions["emissions"] as? Double == LogParser.Aggregate(parse).co2eqGrams)
            #expect(emissions["source"] as? String == "carbontracker")
            #expect(emissions["training_type"] as? String == trainingType)
            #expect(emissions["geographical_location"] as? String == "Copenhagen, Capital Region, DK")
            #expect((emissions["hardware_used"] as? String)?.contains("1 x Sim A100") == true)
        }
    }
}
