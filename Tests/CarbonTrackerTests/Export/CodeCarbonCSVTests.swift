import Foundation
import Testing

@testable import CarbonTracker
@testable import CarbonTrackerMonitor
@testable import CarbonTrackerSources

@Suite struct CodeCarbonCSVTests {
    static let host = CodeCarbonCSV.HostFacts(
        operatingSystem: "Linux-6.1.0-x86_64", processorCount: 16, memoryGibibytes: 62.5,
        processorModel: "Xeon Test")

    static func figures() -> RunFigures {
        var accumulator = RunFigures.Accumulator()
        for event in ExportTest.run() { accumulator.apply(event) }
        return accumulator.result(endDate: Date())
    }

    static func value(_ row: [String], _ field: String) -> String {
        row[CodeCarbonCSV.fields.firstIndex(of: field)!]
    }

    @Test func aRunsRowHoldsCodeCarbonUnitsAndLeavesTheUnknownEmpty() {
        let row = CodeCarbonCSV.row(Self.figures(), host: Self.host)
        #expect(row.count == CodeCarbonCSV.fields.count)
        let kilowattHours = ExportTest.report(.actual, epochs: 3).energyKilowattHours
        #expect(Self.value(row, "run_id") == "run-a_4242.17_2026-09-21T120000Z")
        #expect(Self.value(row, "project_name") == "run-a")
        #expect(
            Self.value(row, "timestamp")
                == LogTime.line(ExportTest.start.addingTimeInterval(6.5)).replacingOccurrences(
                    of: " ", with: "T"))
        #expect(Double(Self.value(row, "duration")) == 6)
        #expect(Double(Self.value(row, "emissions")) == kilowattHours * 445 / 1000, "kg")
        #expect(Double(Self.value(row, "emissions_rate")) == kilowattHours * 445 / 1000 / 6, "kg/s")
        #expect(Double(Self.value(row, "energy_consumed")) == kilowattHours, "kWh with PUE")
        let perKilowattHour = 6 * 1.58 / 3_600_000
        #expect(approximatelyEqual(Double(Self.value(row, "gpu_energy")), 248 * perKilowattHour))
        #expect(approximatelyEqual(Double(Self.value(row, "cpu_energy")), 50.5 * perKilowattHour))
        #expect(
            approximatelyEqual(Double(Self.value(row, "gpu_power")), 248 * 1.58), "W with PUE, as CodeCarbon")
        #expect(approximatelyEqual(Double(Self.value(row, "cpu_power")), 50.5 * 1.58))
        #expect(Self.value(row, "country_name") == "Denmark")
        #expect(Self.value(row, "gpu_count") == "1")
        #expect(Self.value(row, "gpu_model") == "1 x Sim A100")
        #expect(Self.value(row, "cpu_model") == "Xeon Test", "RAPL zones are no model name; the host's is")
        #expect(Self.value(row, "cpu_count") == "16")
        #expect(Self.value(row, "ram_total_size") == "62.5")
        #expect(Self.value(row, "pue") == "1.58")
        for unknown in [
            "experiment_id", "ram_power", "ram_energy", "water_consumed", "country_iso_code", "region",
            "cloud_provider", "cloud_region", "python_version", "codecarbon_version", "longitude", "latitude",
            "tracking_mode", "cpu_utilization_percent", "gpu_utilization_percent", "ram_utilization_percent",
            "ram_used_gb", "on_cloud", "wue",
        ] {
            #expect(Self.value(row, unknown) == "", "\(unknown) is not known and must stay empty")
        }
    }

    @Test func rowsAreAppendedAndAForeignHeaderIsLeftAlone() throws {
        let directory = try ParserTestSupport.scratchDirectory()
        defer { ParserTestSupport.cleanUp(directory) }
        let path = directory + "/emissions.csv"
        let row = CodeCarbonCSV.row(Self.figures(), host: nil)
        #expect(try CodeCarbonCSV.append(row, to: path) == .init(path: path, warning: nil))
        #expect(try CodeCarbonCSV.append(row, to: path) == .init(path: path, warning: nil))
        let lines = try ParserTestSupport.read(path).split(separator: "\n")
        #expect(lines.count == 3)
        #expect(lines[0] == CodeCarbonCSV.fields.joined(separator: ","))

        // Same fields in another order: the row follows the file's order, as CodeCarbon does.
        let reordered = directory + "/reordered.csv"
        let order = Array(CodeCarbonCSV.fields.reversed())
        try ParserTestSupport.write(order.joined(separator: ",") + "\n", to: reordered)
        #expect(try CodeCarbonCSV.append(row, to: reordered).warning == nil)
        let written = CodeCarbonCSV.split(
            String(try ParserTestSupport.read(reordered).split(separator: "\n")[1]))
        #expect(written == Array(row.reversed()))

        let foreign = directory + "/results.csv"
        try ParserTestSupport.write("epoch,loss\n1,0.5", to: foreign)
        let outcome = try CodeCarbonCSV.append(row, to: foreign)
        #expect(outcome.path == directory + "/results-carbontracker.csv")
        #expect(outcome.warning?.contains("left untouched") == true)
        #expect(try ParserTestSupport.read(foreign) == "epoch,loss\n1,0.5")
        #expect(try CodeCarbonCSV.append(row, to: foreign).path == outcome.path, "the next run joins it")
        #expect(try ParserTestSupport.read(outcome.path).split(separator: "\n").count == 3)
    }

    @Test func theExporterWritesOnceWhenTheRunEnds() throws {
        let directory = try ParserTestSupport.scratchDirectory()
        defer { ParserTestSupport.cleanUp(directory) }
        let path = directory + "/emissions.csv"
        let diagnostics = RecordingDiagnostics()
        let exporter = CodeCarbonCSVExporter(path: path, host: Self.host, diagnostics: diagnostics)
        let events = ExportTest.run()
        exporter.record(Array(events.dropLast()))
        #expect(!FileManager.default.fileExists(atPath: path))
        exporter.record([events.last!])
        exporter.finish()
        #expect(try ParserTestSupport.read(path).split(separator: "\n").count == 2)

        // A run that never ends still gets its row at finish, from the epochs measured.
        let killed = CodeCarbonCSVExporter(path: path, host: Self.host, diagnostics: diagnostics)
        killed.record([
            .runStarted(ExportTest.description(runID: "b_1.1_2026-01-01T000000Z")), ExportTest.epoch(1),
        ])
        killed.finish()
        let rows = try ParserTestSupport.read(path).split(separator: "\n")
        #expect(rows.count == 3)
        let last = CodeCarbonCSV.split(String(rows[2]))
        #expect(Self.value(last, "run_id") == "b_1.1_2026-01-01T000000Z")
        #expect(Double(Self.value(last, "duration")) == 2)
        #expect(diagnostics.messages("warning").isEmpty)
    }

    @Test func quotingAndSplittingRoundTrip() {
        let values = ["plain", "a,b", "say \"hi\"", "two\nlines", ""]
        let line = CodeCarbonCSV.line(values)
        #expect(line == "plain,\"a,b\",\"say \"\"hi\"\"\",\"two\nlines\",\n")
        #expect(
            CodeCarbonCSV.split("plain,\"a,b\",\"say \"\"hi\"\"\",x,") == [
                "plain", "a,b", "say \"hi\"", "x", "",
            ])
    }
}

/// The real CodeCarbon package (pip, installed by `.ci/run`) defines the header; pandas reads the rows.
@Suite(
    .enabled(
        if: ExportTest.python(with: ["codecarbon", "pandas"]) != nil,
        "skipped: set CARBONTRACKER_PYTHON to a Python with codecarbon and pandas (pip install codecarbon pandas)"
    ))
struct CodeCarbonInteropTests {
    @Test func theHeaderIsCodeCarbonsAndPandasReadsNumbers() throws {
        let python = try #require(ExportTest.python(with: ["codecarbon", "pandas"]))
        let directory = try ParserTestSupport.scratchDirectory()
        defer { ParserTestSupport.cleanUp(directory) }
        let path = directory + "/emissions.csv"
        _ = try CodeCarbonCSV.append(
            CodeCarbonCSV.row(CodeCarbonCSVTests.figures(), host: CodeCarbonCSVTests.host), to: path)
        // A parsed Python run too: its machine facts are empty.
        let parse = try LogParser.parseAllLogs(logDir: ParserTestSupport.pythonLogs)
        for entry in parse.entries {
            _ = try CodeCarbonCSV.append(CodeCarbonCSV.row(RunFigures(entry: entry), host: nil), to: path)
        }

        let output = try ExportTest.runPython(
            python,
            """
            import dataclasses, json, sys
            import pandas as pd
            from codecarbon.output_methods.emissions_data import EmissionsData
            fields = dataclasses.fields(EmissionsData)
            names = [f.name for f in fields]
            numeric = [f.name for f in fields if f.type in (float, "float", int, "int")]
            frame = pd.read_csv(sys.argv[1])
            not_numeric = [n for n in numeric if not pd.api.types.is_numeric_dtype(frame[n])]
            print(json.dumps({
                "header": list(frame.columns), "fields": names, "not_numeric": not_numeric, "rows": len(frame),
                "numeric": len(numeric), "energy": frame["energy_consumed"].tolist(),
                "emissions": frame["emissions"].tolist(), "run_id": frame["run_id"].tolist(),
            }))
            """, [path])
        let result = try #require(JSONSerialization.jsonObject(with: Data(output.utf8)) as? [String: Any])
        let fields = try #require(result["fields"] as? [String])
        #expect(fields == CodeCarbonCSV.fields, "CodeCarbon's EmissionsData fields, in order")
        #expect(result["header"] as? [String] == fields)
        #expect(result["not_numeric"] as? [String] == [], "numeric columns read as numbers")
        #expect((result["numeric"] as? Int ?? 0) >= 20)
        #expect(result["rows"] as? Int == 1 + parse.entries.count)
        let energy = try #require(result["energy"] as? [Double])
        #expect(energy.first == ExportTest.report(.actual, epochs: 3).energyKilowattHours)
        let emissions = try #require(result["emissions"] as? [Double])
        for (index, entry) in parse.entries.enumerated() {
            #expect(approximatelyEqual(energy[index + 1], entry.actual?.energyKilowattHours))
            #expect(approximatelyEqual(emissions[index + 1], entry.actual.map { $0.co2eqGrams / 1000 }))
        }
    }
}
