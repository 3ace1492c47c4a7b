import Foundation

/// Builds the same records as the text logs give (``LogParser/StandardLog`` and
/// ``LogParser/OutputLog``) from a `..._carbontracker_events.jsonl` file, one line at a time.
///
/// ```swift
/// var scanner = EventLogScanner()
/// let end = try LogFileReader.forEachLine(path: path) { scanner.consume($0) }
/// let (log, output) = scanner.finish(end)
/// ```
///
/// Event logs hold exact figures where the text logs round them: each epoch's energy per device
/// and its duration to the nanosecond, the actual report's duration and epoch count, and the country
/// code. A line that is not a JSON object of schema `carbontracker.events/1` is skipped with a
/// warning; a partial last line (the process was killed while writing) is ignored with one. Windows
/// go to ``LogParser/StandardLog/windows``, as the standard log's window lines do. Cost: one
/// `JSONSerialization` pass per line.
struct EventLogScanner {
    private(set) var log = LogParser.StandardLog()
    private(set) var output = LogParser.OutputLog()
    /// Whether a `run_started` line was read: without one, the file does not describe a run.
    private(set) var hasRun = false
    private var lineNumber = 0
    /// Lines that are not events: how many, and the first few for the warning (a file of garbage must
    /// not grow a list per line).
    private var skippedCount = 0
    private var firstSkipped: [Int] = []

    /// Creates a scanner.
    init() {}

    /// Reads one line.
    /// - Parameter line: A complete line, without its newline.
    mutating func consume(_ line: LogBytes) {
        lineNumber += 1
        guard !line.trimmed.isEmpty else { return }
        guard
            let object = try? JSONSerialization.jsonObject(with: Data(line.bytes)) as? [String: Any],
            object["schema"] as? String == EventLogSchema.name, let event = object["event"] as? String
        else {
            skippedCount += 1
            if firstSkipped.count < 5 { firstSkipped.append(lineNumber) }
            return
        }
        if let time = (object["time"] as? String).flatMap(UTCTime.parse) {
            let stamp = LogTime.line(time)
            if log.firstTimestamp == nil { log.firstTimestamp = stamp }
            log.lastTimestamp = stamp
        }
        switch event {
        case "run_started": runStarted(object)
        case "intensity": intensity(object)
        case "epoch": epoch(object)
        case "window": window(object)
        case "prediction": output.predicted = Self.consumption(object)
        case "actual":
            output.actual = Self.consumption(object)
            if let average = object["intensity_g_per_kwh"] as? Double {
                log.intensity = log.intensity ?? LogParser.Intensity()
                log.intensity?.averageGramsPerKilowattHour = average
            }
        case "power_series": log.powerSeries = Self.powerSeries(object)
        case "run_ended":
            log.isComplete = true
            log.earlyStop = object["interrupted"] as? Bool ?? false
        default:
            break
        }
    }

    /// The records read, with warnings for skipped lines and a partial last line.
    /// - Parameter end: How the file ended.
    /// - Returns: The standard-log and output-log records.
    mutating func finish(_ end: LogFileReader.Outcome = .init()) -> (
        LogParser.StandardLog, LogParser.OutputLog
    ) {
        if skippedCount > 0 {
            let shown = firstSkipped.map(String.init).joined(separator: ", ")
            log.warnings.append(
                "\(skippedCount) line(s) are not carbontracker.events/1 JSON objects and were skipped "
                    + "(line \(shown)\(skippedCount > 5 ? ", ..." : ""))."
            )
        }
        if let warning = end.endedMidLineWarning { log.warnings.append(warning) }
        if let warning = end.longLinesWarning { log.warnings.append(warning) }
        return (log, output)
    }

    private mutating func runStarted(_ object: [String: Any]) {
        hasRun = true
        log.version = object["version"] as? String
        log.powerUsageEffectiveness = object["pue"] as? Double
        let components = object["components"] as? [[String: Any]] ?? []
        log.components = components.compactMap { component in
            guard let name = component["component"] as? String else { return nil }
            return LogParser.ComponentDevices(name: name, devices: component["devices"] as? [String] ?? [])
        }
        if let location = object["location"] as? String {
            log.intensity = log.intensity ?? LogParser.Intensity()
            log.intensity?.location = location
        }
    }

    private mutating func intensity(_ object: [String: Any]) {
        var intensity = log.intensity ?? LogParser.Intensity()
        if let value = object["intensity_g_per_kwh"] as? Double {
            intensity.valuesGramsPerKilowattHour.append(value)
        }
        if let location = object["location"] as? String { intensity.location = location }
        if let code = object["country_code"] as? String { intensity.countryCode = code }
        log.intensity = intensity
    }

    private mutating func epoch(_ object: [String: Any]) {
        var epoch = LogParser.Epoch(
            number: object["epoch"] as? Int ?? log.epochs.count + 1,
            durationSeconds: object["duration_seconds"] as? Double)
        epoch.startDate = (object["start"] as? String).flatMap(UTCTime.parse)
        for component in object["components"] as? [[String: Any]] ?? [] {
            guard let name = component["component"] as? String else { continue }
            let joules = Self.numbers(component["energy_joules"])
            // Epoch events leave the average power out (it is the energy over the duration); older
            // event logs have it.
            let watts =
                component["average_power_watts"] != nil
                ? Self.numbers(component["average_power_watts"])
                : joules.map { joule in
                    epoch.durationSeconds.map { $0 > 0 ? joule / $0 : 0 } ?? .nan
                }
            epoch.components.append(
                LogParser.EpochComponent(
                    name: name, averagePowerWatts: watts, measuredEnergyJoules: joules,
                    measurementMethod: (component["method"] as? String).flatMap(
                        MeasurementMethod.init(rawValue:))))
        }
        log.epochs.append(epoch)
    }

    private mutating func window(_ object: [String: Any]) {
        guard let name = object["name"] as? String else { return }
        let components = (object["components"] as? [[String: Any]] ?? []).compactMap {
            component -> LogParser.WindowComponent? in
            guard let kind = component["component"] as? String else { return nil }
            return LogParser.WindowComponent(
                name: kind, energyJoules: Self.numbers(component["energy_joules"]),
                method: component["method"] as? String ?? "")
        }
        log.windows.append(
            LogParser.Window(
                name: name, durationSeconds: object["duration_seconds"] as? Double ?? .nan,
                components: components, co2eqGrams: object["co2eq_grams"] as? Double,
                isApproximate: object["approximate"] as? Bool ?? false,
                startDate: (object["start"] as? String).flatMap(UTCTime.parse),
                endDate: (object["end"] as? String).flatMap(UTCTime.parse)))
    }

    private static func powerSeries(_ object: [String: Any]) -> PowerTimeSeries? {
        guard let start = (object["start"] as? String).flatMap(UTCTime.parse),
            let interval = object["interval_s"] as? Double
        else { return nil }
        let covered = numbers(object["covered_s"])
        let components = (object["components"] as? [[String: Any]] ?? []).compactMap {
            component -> PowerTimeSeries.Component? in
            guard let kind = (component["component"] as? String).flatMap(ComponentKind.init(rawValue:)) else {
                return nil
            }
            let joules = numbers(component["energy_j"])
            return joules.count == covered.count ? .init(kind: kind, joules: joules) : nil
        }
        let intensity = numbers(object["intensity_g_per_kwh"])
        guard intensity.count == covered.count else { return nil }
        return PowerTimeSeries(
            startDate: start, intervalSeconds: interval, coveredSeconds: covered, components: components,
            gramsPerKilowattHour: intensity)
    }

    private static func consumption(_ object: [String: Any]) -> LogParser.Consumption? {
        guard let energy = object["energy_kwh"] as? Double, let co2 = object["co2eq_grams"] as? Double else {
            return nil
        }
        let equivalents = (object["equivalents"] as? [[String: Any]] ?? []).compactMap {
            item -> ConsumptionReport.Equivalent? in
            guard let unit = item["unit"] as? String, let amount = item["amount"] as? Double else {
                return nil
            }
            return .init(unit: unit, amount: amount)
        }
        return LogParser.Consumption(
            epochs: object["epochs"] as? Int, durationSeconds: object["duration_seconds"] as? Double,
            energyKilowattHours: energy, co2eqGrams: co2, equivalents: equivalents)
    }

    /// A JSON array of numbers; `null` (a non-finite value when written) reads as NaN.
    private static func numbers(_ value: Any?) -> [Double] {
        (value as? [Any] ?? []).map { ($0 as? Double) ?? .nan }
    }
}
