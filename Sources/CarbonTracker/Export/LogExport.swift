import Foundation

/// A parsed log directory in the formats other tools read: JSON per run, CodeCarbon CSV rows, and
/// the Hugging Face model-card `co2_eq_emissions:` block (`carbontracker --parse DIR --format ...`).
///
/// ```swift
/// let parse = try LogParser.parseAllLogs(logDir: "logs")
/// print(LogExport.json(parse))
/// print(LogExport.codeCarbonCSV(parse), terminator: "")
/// print(LogExport.modelCard(parse, trainingType: "fine-tuning"), terminator: "")
/// ```
///
/// Works on logs written by Python carbontracker too; figures those logs do not hold are left out
/// (JSON `null`, empty CSV fields), never guessed.
public enum LogExport {
    /// Every run's figures and the totals, as one JSON document (schema `carbontracker.parse/1`).
    ///
    /// Each run has its files, version, first and last timestamps (local time, as logged), epochs,
    /// measured duration, energy (kWh, with PUE) and CO2eq (g), PUE, location, average intensity,
    /// per-component energy (J per device, without PUE) with its method, the actual and predicted
    /// reports, and which of them the totals used (`aggregated`). `total` adds the runs as
    /// ``LogParser/aggregateConsumption(logDir:)`` does; `warnings` lists what was skipped.
    /// - Parameter parse: A directory's runs.
    /// - Returns: The JSON text with a final newline.
    public static func json(_ parse: LogParser.DirectoryParse) -> String {
        json(Directory(parse))
    }

    /// The JSON document of `json(_:)` of a parse for a directory read in one streaming pass.
    /// - Parameter directory: A directory's runs and totals.
    /// - Returns: The JSON text with a final newline.
    package static func json(_ directory: Directory) -> String {
        let aggregate = directory.aggregate
        var json = JSONWriter()
        json.object { json in
            json.field("schema", "carbontracker.parse/1")
            json.array("runs", directory.runs) { json, run in self.run(run, &json) }
            json.object("total") { json in
                json.field("runs", aggregate.runsCounted)
                json.field("energy_kwh", aggregate.energyKilowattHours)
                json.field("co2eq_grams", aggregate.co2eqGrams)
                bounds(aggregate.energyKilowattHoursRange, aggregate.co2eqGramsRange, &json)
                json.field("runs_without_range", aggregate.runsWithoutRange)
                json.equivalents(
                    aggregate.equivalentUnits.map {
                        .init(unit: $0, amount: aggregate.equivalents[$0] ?? .nan)
                    })
                json.array("jobs", aggregate.jobs) { json, job in self.job(job, &json) }
            }
            json.array("warnings", aggregate.warnings) { json, warning in
                json.object { json in
                    json.field("file", warning.file)
                    json.field("message", warning.message)
                }
            }
        }
        json.newline()
        return json.text
    }

    private static func run(_ run: Run, _ json: inout JSONWriter) {
        let figures = run.figures
        let used = run.aggregated
        json.object { json in
            json.field("run", figures.runID)
            json.field("standard_log", run.standardFile.isEmpty ? nil : run.standardFile)
            json.field("output_log", run.outputFile.isEmpty ? nil : run.outputFile)
            json.field("event_log", run.eventLogFile)
            json.field("version", figures.version)
            json.field("first_timestamp", figures.startTimestamp)
            json.field("last_timestamp", figures.endTimestamp)
            json.field("complete", figures.isComplete)
            json.field("early_stop", figures.earlyStop)
            json.field("epochs", figures.epochs)
            json.field("duration_seconds", figures.durationSeconds)
            json.field("energy_kwh", figures.energyKilowattHours)
            json.field("co2eq_grams", figures.co2eqGrams)
            bounds(run.energyKilowattHoursRange, run.co2eqGramsRange, &json)
            json.field("pue", figures.powerUsageEffectiveness)
            json.field("location", figures.location)
            json.field("country_code", figures.countryCode)
            json.field("intensity_g_per_kwh", run.intensityGramsPerKilowattHour)
            json.array("components", figures.components) { json, component in
                json.object { json in
                    json.field("component", component.kind)
                    json.field("devices", strings: component.devices)
                    json.field("energy_joules", numbers: component.joules)
                    json.field("method", component.method)
                }
            }
            json.key("actual")
            consumption(run.actual, &json)
            json.key("predicted")
            consumption(run.predicted, &json)
            json.field("aggregated", used == nil ? nil : used == run.actual ? "actual" : "predicted")
        }
    }

    private static func consumption(_ report: LogParser.Consumption?, _ json: inout JSONWriter) {
        guard let report else { return json.null() }
        json.object { json in
            json.field("epochs", report.epochs)
            json.field("duration_seconds", report.durationSeconds)
            json.field("energy_kwh", report.energyKilowattHours)
            json.field("co2eq_grams", report.co2eqGrams)
            bounds(report.energyKilowattHoursRange, report.co2eqGramsRange, &json)
        }
    }

    /// A CodeCarbon `emissions.csv`: its header, then one row per run.
    ///
    /// Rows hold the measured figures (the actual report, else the epochs logged); fields that depend
    /// on the machine that ran (OS, processor count, memory) are empty, as logs do not record them.
    /// - Parameter parse: A directory's runs.
    /// - Returns: The CSV text.
    public static func codeCarbonCSV(_ parse: LogParser.DirectoryParse) -> String {
        codeCarbonCSV(parse.entries.lazy.map(RunFigures.init(entry:)))
    }

    /// The CodeCarbon CSV of `codeCarbonCSV(_:)` of a parse for a directory read in one
    /// streaming pass.
    /// - Parameter directory: A directory's runs and totals.
    /// - Returns: The CSV text.
    package static func codeCarbonCSV(_ directory: Directory) -> String {
        codeCarbonCSV(directory.runs.lazy.map(\.figures))
    }

    private static func codeCarbonCSV(_ runs: some Sequence<RunFigures>) -> String {
        var text = CodeCarbonCSV.headerLine
        for figures in runs { text += CodeCarbonCSV.line(CodeCarbonCSV.row(figures, host: nil)) }
        return text
    }

    /// The Hugging Face model-card metadata block for the directory's training:
    ///
    /// ```yaml
    /// co2_eq_emissions:
    ///   emissions: 70.089761311
    ///   source: "carbontracker"
    ///   training_type: "pre-training"
    ///   geographical_location: "Copenhagen, Capital Region, DK"
    ///   hardware_used: "1 x NVIDIA A100-SXM4-40GB, 1 x AMD EPYC 7763 64-Core Processor"
    /// ```
    ///
    /// `emissions` is the directory's total CO2eq in grams (as ``LogParser/aggregateConsumption(logDir:)``);
    /// when the logs give bounds, comment lines after it state them and the energy with its bounds
    /// (`# emissions range: 65.1–75.3 g`), as comments, which the Hub's metadata schema does not read.
    /// `training_type` is written when given (carbontracker cannot know it; a comment says so otherwise);
    /// `geographical_location` and `hardware_used` when the logs name them (device models, most per run).
    /// - Parameters:
    ///   - parse: A directory's runs.
    ///   - trainingType: "pre-training", "fine-tuning", ..., or `nil`.
    /// - Returns: The YAML block with a final newline.
    public static func modelCard(_ parse: LogParser.DirectoryParse, trainingType: String?) -> String {
        modelCard(Directory(parse), trainingType: trainingType)
    }

    /// The model-card block of `modelCard(_:trainingType:)` of a parse for a directory
    /// read in one streaming pass.
    /// - Parameters:
    ///   - directory: A directory's runs and totals.
    ///   - trainingType: "pre-training", "fine-tuning", ..., or `nil`.
    /// - Returns: The YAML block with a final newline.
    package static func modelCard(_ directory: Directory, trainingType: String?) -> String {
        let aggregate = directory.aggregate
        var locations: [String] = []
        var hardware: [String] = []
        var counts: [String: Int] = [:]
        for run in directory.runs {
            let figures = run.figures
            if let location = figures.location, !locations.contains(location) { locations.append(location) }
            var perRun: [String: Int] = [:]
            for kind in ["gpu", "cpu"] {
                for device in figures.devices(kind) where !CodeCarbonCSV.modelNames([device]).isEmpty {
                    if counts[device] == nil && perRun[device] == nil { hardware.append(device) }
                    perRun[device, default: 0] += 1
                }
            }
            for (device, count) in perRun { counts[device] = max(counts[device] ?? 0, count) }
        }
        var lines = ["co2_eq_emissions:", "  emissions: \(plainDecimal(aggregate.co2eqGrams))"]
        lines += rangeComments(aggregate)
        lines.append("  source: \"carbontracker\"")
        if let trainingType {
            lines.append("  training_type: \(yamlString(trainingType))")
        } else {
            lines.append("  # training_type: \"pre-training\" or \"fine-tuning\" (carbontracker cannot tell)")
        }
        if !locations.isEmpty {
            lines.append("  geographical_location: \(yamlString(locations.joined(separator: "; ")))")
        }
        if !hardware.isEmpty {
            let used = hardware.map { "\(counts[$0] ?? 1) x \($0)" }.joined(separator: ", ")
            lines.append("  hardware_used: \(yamlString(used))")
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// A YAML double-quoted scalar (JSON string escapes are valid YAML escapes).
    static func yamlString(_ text: String) -> String {
        var bytes: [UInt8] = []
        JSONWriter.appendEscaped(text, to: &bytes)
        return String(decoding: bytes, as: UTF8.self)
    }

    /// A number in plain decimal notation (`0.0000123`, never `1.23e-05`): YAML 1.1 readers such as
    /// PyYAML take an exponent without a dot for a string.
    static func plainDecimal(_ value: Double) -> String {
        guard value.isFinite else { return value.isNaN ? ".nan" : (value > 0 ? ".inf" : "-.inf") }
        let text = value.description
        guard let e = text.firstIndex(where: { $0 == "e" || $0 == "E" }),
            let exponent = Int(text[text.index(after: e)...])
        else { return text }
        var mantissa = String(text[..<e])
        let negative = mantissa.hasPrefix("-")
        if negative { mantissa.removeFirst() }
        let parts = mantissa.split(separator: ".", omittingEmptySubsequences: false)
        let integer = String(parts[0])
        let fraction = parts.count > 1 ? String(parts[1]) : ""
        var digits = integer + fraction
        var point = integer.count + exponent
        if point <= 0 {
            digits = String(repeating: "0", count: 1 - point) + digits
            point = 1
        }
        if point >= digits.count { digits += String(repeating: "0", count: point - digits.count + 1) }
        var result = String(digits.prefix(point)) + "." + String(digits.dropFirst(point))
        while result.hasSuffix("0") && !result.hasSuffix(".0") { result.removeLast() }
        return (negative ? "-" : "") + result
    }
}
