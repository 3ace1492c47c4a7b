import Foundation

/// Rows in the format of CodeCarbon's `emissions.csv`, which dashboards and papers read: the fields
/// of CodeCarbon 3's `EmissionsData`, in its order and units (kg, kWh, W, seconds).
///
/// ```swift
/// let text = CodeCarbonCSV.headerLine + CodeCarbonCSV.line(CodeCarbonCSV.row(figures, host: .current()))
/// ```
///
/// A field this package cannot know (RAM, water, cloud, utilisation, Python version, ...) is left
/// empty, never guessed. Energy and power include the PUE factor, as CodeCarbon's do.
enum CodeCarbonCSV {
    /// CodeCarbon's `EmissionsData` fields, in order.
    static let fields = [
        "timestamp", "project_name", "run_id", "experiment_id", "duration", "emissions", "emissions_rate",
        "cpu_power", "gpu_power", "ram_power", "cpu_energy", "gpu_energy", "ram_energy", "energy_consumed",
        "water_consumed", "country_name", "country_iso_code", "region", "cloud_provider", "cloud_region",
        "os",
        "python_version", "codecarbon_version", "cpu_count", "cpu_model", "gpu_count", "gpu_model",
        "longitude",
        "latitude", "ram_total_size", "tracking_mode", "cpu_utilization_percent", "gpu_utilization_percent",
        "ram_utilization_percent", "ram_used_gb", "on_cloud", "pue", "wue",
    ]

    /// The header line, with its newline.
    static var headerLine: String { fields.joined(separator: ",") + "\n" }

    /// Facts about the machine a tracker runs on, for the fields CodeCarbon fills from the host.
    struct HostFacts: Sendable, Equatable {
        /// `Linux-6.1.0-18-amd64-x86_64`: system, release and machine, as Python's `platform.platform()`
        /// begins.
        var operatingSystem: String
        /// Logical processors.
        var processorCount: Int
        /// Memory in GiB, as CodeCarbon's `ram_total_size`.
        var memoryGibibytes: Double
        /// The processor's model name, when known.
        var processorModel: String?

        /// This machine's facts.
        static func current() -> HostFacts {
            var name = utsname()
            uname(&name)
            func field<T>(_ value: T) -> String {
                withUnsafeBytes(of: value) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            }
            let model = CPUModel.detect(cpuinfoPath: PlatformPaths.cpuinfo)
            return HostFacts(
                operatingSystem: "\(field(name.sysname))-\(field(name.release))-\(field(name.machine))",
                processorCount: ProcessInfo.processInfo.processorCount,
                memoryGibibytes: Double(ProcessInfo.processInfo.physicalMemory) / 1_073_741_824,
                processorModel: model)
        }
    }

    /// One run's values, in ``fields`` order.
    /// - Parameters:
    ///   - figures: The run's figures.
    ///   - host: The machine's facts, when the row is written on the machine that ran (tracking);
    ///     `nil` when reading logs, whose machine is unknown.
    /// - Returns: Text per field; empty where unknown.
    static func row(_ figures: RunFigures, host: HostFacts?) -> [String] {
        var values: [String: String] = [:]
        values["timestamp"] = figures.endTimestamp.map { $0.replacingOccurrences(of: " ", with: "T") }
        values["project_name"] = figures.prefix
        values["run_id"] = figures.runID
        values["duration"] = number(figures.durationSeconds)
        let kilograms = figures.co2eqGrams.map { $0 / 1000 }
        values["emissions"] = number(kilograms)
        if let kilograms, let duration = figures.durationSeconds, duration > 0 {
            values["emissions_rate"] = number(kilograms / duration)
        }
        values["cpu_power"] = number(figures.averageWatts("cpu"))
        values["gpu_power"] = number(figures.averageWatts("gpu"))
        values["cpu_energy"] = number(figures.kilowattHours("cpu"))
        values["gpu_energy"] = number(figures.kilowattHours("gpu"))
        values["energy_consumed"] = number(figures.energyKilowattHours)
        values["country_name"] = figures.countryCode.flatMap { ReferenceData.countryIntensities[$0]?.name }
        let cpuModels = modelNames(figures.devices("cpu"))
        values["cpu_model"] = cpuModels.isEmpty ? host?.processorModel : cpuModels.joined(separator: ", ")
        let gpus = figures.devices("gpu")
        if figures.components.contains(where: { $0.kind == "gpu" }) {
            values["gpu_count"] = String(gpus.count)
            values["gpu_model"] = countedNames(gpus)
        }
        if let host {
            values["os"] = host.operatingSystem
            values["cpu_count"] = String(host.processorCount)
            values["ram_total_size"] = number(host.memoryGibibytes)
        }
        values["pue"] = number(figures.powerUsageEffectiveness)
        return fields.map { values[$0] ?? "" }
    }

    /// A CSV line with RFC 4180 quoting where needed (as pandas writes), with its newline.
    static func line(_ values: [String]) -> String {
        values.map(quoted).joined(separator: ",") + "\n"
    }

    /// `value`, quoted if it holds a comma, quote or line break.
    static func quoted(_ value: String) -> String {
        guard value.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else {
            return value
        }
        return "\"" + value.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    /// Shortest round-trip decimal; empty for `nil` or a non-finite value.
    static func number(_ value: Double?) -> String? {
        guard let value, value.isFinite else { return nil }
        return value.description
    }

    /// Device names that are models (not RAPL zones such as `cpu:0` or `dram:0`), without repeats.
    static func modelNames(_ devices: [String]) -> [String] {
        var names: [String] = []
        for device in devices where !isZoneName(device) && !names.contains(device) { names.append(device) }
        return names
    }

    /// `2 x NVIDIA A100, 1 x NVIDIA T4`, as CodeCarbon counts GPU models.
    static func countedNames(_ devices: [String]) -> String {
        var names: [String] = []
        var counts: [String: Int] = [:]
        for device in devices {
            if counts[device] == nil { names.append(device) }
            counts[device, default: 0] += 1
        }
        return names.map { "\(counts[$0] ?? 0) x \($0)" }.joined(separator: ", ")
    }

    private static func isZoneName(_ device: String) -> Bool {
        let parts = device.split(separator: ":")
        guard parts.count == 2, parts[1].allSatisfy(\.isNumber) else { return false }
        return ["cpu", "dram", "package", "core", "uncore", "psys", "gpu"].contains(parts[0].lowercased())
    }

    // MARK: Files

    /// Where a row went and what to tell the user.
    struct AppendOutcome: Equatable {
        /// The file written.
        var path: String
        /// A warning when the row went to another file than asked.
        var warning: String?
    }

    /// Appends a row to a CodeCarbon CSV, writing the header first into a new or empty file.
    ///
    /// A file whose header has the same fields in another order gets the row in its order, as
    /// CodeCarbon does. A file with another header is left untouched: the row goes to
    /// `NAME-carbontracker.csv` beside it (or `-2`, `-3`, ... if that is taken by another header too).
    /// - Parameters:
    ///   - values: The row, in ``fields`` order.
    ///   - path: The CSV file.
    /// - Returns: The file written, and a warning if it is not `path`.
    /// - Throws: ``CarbonTrackerError`` with code `.logWriteFailed` when no file can be written.
    static func append(_ values: [String], to path: String) throws -> AppendOutcome {
        var candidate = path
        for attempt in 0..<100 {
            if let order = try header(of: candidate) {
                guard Set(order) == Set(fields), order.count == fields.count else {
                    candidate = alternative(path, attempt + 1)
                    continue
                }
                let byField = Dictionary(uniqueKeysWithValues: zip(fields, values))
                try write(line(order.map { byField[$0] ?? "" }), to: candidate, newFile: false)
            } else {
                try write(headerLine + line(values), to: candidate, newFile: true)
            }
            let warning =
                candidate == path
                ? nil
                : "'\(path)' has a header other than CodeCarbon's EmissionsData fields, so it was left untouched; "
                    + "this run's row was written to '\(candidate)'."
            return AppendOutcome(path: candidate, warning: warning)
        }
        throw CarbonTrackerError(
            .logWriteFailed,
            "No file beside '\(path)' can take a CodeCarbon row; pass another emissions CSV path.")
    }

    /// `emissions.csv` → `emissions-carbontracker.csv`, then `-2`, `-3`, ...
    static func alternative(_ path: String, _ attempt: Int) -> String {
        let url = URL(fileURLWithPath: path)
        let stem = url.deletingPathExtension().lastPathComponent
        let suffix = url.pathExtension.isEmpty ? "" : "." + url.pathExtension
        let name = stem + "-carbontracker" + (attempt > 1 ? "-\(attempt)" : "") + suffix
        return url.deletingLastPathComponent().appendingPathComponent(name).path
    }

    /// The field names of a file's first line; `nil` when the file is missing or empty.
    private static func header(of path: String) throws -> [String]? {
        guard let handle = FileHandle(forReadingAtPath: path) else {
            if FileManager.default.fileExists(atPath: path) {
                throw CarbonTrackerError(
                    .logWriteFailed, "Cannot read the emissions CSV '\(path)'; check its permissions.")
            }
            return nil
        }
        defer { try? handle.close() }
        let start = (try? handle.read(upToCount: 64 * 1024)) ?? Data()
        guard !start.isEmpty else { return nil }
        let firstLine = start.prefix { $0 != 0x0A && $0 != 0x0D }
        return split(String(decoding: firstLine, as: UTF8.self))
    }

    /// A CSV line's fields, with quotes removed.
    static func split(_ line: String) -> [String] {
        let characters = Array(line)
        var fields: [String] = []
        var current = ""
        var inQuotes = false
        var index = 0
        while index < characters.count {
            let character = characters[index]
            index += 1
            if inQuotes {
                if character != "\"" {
                    current.append(character)
                } else if index < characters.count && characters[index] == "\"" {
                    current.append("\"")
                    index += 1
                } else {
                    inQuotes = false
                }
            } else if character == "\"" {
                inQuotes = true
            } else if character == "," {
                fields.append(current)
                current = ""
            } else {
                current.append(character)
            }
        }
        fields.append(current)
        return fields
    }

    /// Appends `text`, starting on a new line if the file does not end with one.
    private static func write(_ text: String, to path: String, newFile: Bool) throws {
        let flags = O_WRONLY | O_APPEND | O_CLOEXEC | (newFile ? O_CREAT : 0)
        let descriptor = open(path, flags, 0o644)
        guard descriptor >= 0 else { throw failure(path) }
        defer { _ = close(descriptor) }
        var bytes = Array(text.utf8)
        var info = stat()
        if fstat(descriptor, &info) == 0, info.st_size > 0 {
            var last: UInt8 = 0
            if pread(descriptor, &last, 1, off_t(info.st_size - 1)) == 1, last != 0x0A {
                bytes.insert(0x0A, at: 0)
            }
        }
        // Whole rows or nothing: a full disk leaves no partial row.
        let error = FileWriting.appendRecords(descriptor, bytes)
        guard error == 0 else { throw failure(path, error) }
    }

    private static func failure(_ path: String, _ error: Int32 = errno) -> CarbonTrackerError {
        CarbonTrackerError(
            .logWriteFailed,
            "Cannot write the emissions CSV '\(path)': \(String(cString: strerror(error))). "
                + "Check that its directory exists and is writable.")
    }
}
