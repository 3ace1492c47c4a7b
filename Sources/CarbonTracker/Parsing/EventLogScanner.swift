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
/// Reads both formats: `carbontracker.events/1`, where every line names its schema and run, and
/// `carbontracker.events/2`, where the `run_started` line does and the lines after it are compact
/// (epoch lines give their energy by position in `run_started`'s components). Event logs hold exact
/// figures where the text logs round them: each epoch's energy per device and its duration to the
/// nanosecond, the energy and CO2 bounds, the actual report's duration and epoch count, and the
/// country code. A line that is not an event of either schema is skipped with a warning; a partial
/// last line (the process was killed while writing) is ignored with one. Windows go to
/// ``LogParser/StandardLog/windows``, as the standard log's window lines do. Cost: one
/// `JSONSerialization` pass per line, except the window lines the encoder writes, which are read on their
/// bytes (``compactWindow(_:)``). A scanner that does not keep figures
/// (``init(keepsFigures:foldsEpochs:)``) keeps only the latest epoch, so an aggregate's memory does not
/// grow with the run's length; one that folds epochs adds up the earlier ones, and reads plain compact
/// epoch lines in place (``CompactEpochFields``).
struct EventLogScanner {
    private(set) var log = LogParser.StandardLog()
    /// Whether every epoch is kept; otherwise only the latest.
    private let keepsFigures: Bool
    /// Whether each epoch before the latest is added to ``LogParser/StandardLog/foldedEpochs`` and let go of.
    private let foldsEpochs: Bool
    /// The epochs read, kept or not: an epoch line without a number is numbered by its position.
    private var epochCount = 0
    private(set) var output = LogParser.OutputLog()
    /// Whether a `run_started` line was read: without one, the file does not describe a run.
    private(set) var hasRun = false
    private var lineNumber = 0
    /// Lines that are not events: how many, and the first few for the warning (a file of garbage must
    /// not grow a list per line).
    private var skippedCount = 0
    private var firstSkipped: [Int] = []
    /// The schema of the last line that named one: a version 2 line without a schema follows it.
    private var schema: EventLogSchema.Version?
    /// Version 2: the run's start, from which epoch lines count, and its components in order.
    private var runStart: Date?
    private var declared: [(name: String, devices: [String], method: MeasurementMethod?)] = []
    /// The first and latest instants the events give, turned into text once at the end.
    private var firstInstant: Date?
    private var lastInstant: Date?

    /// Creates a scanner.
    /// - Parameters:
    ///   - keepsFigures: `false` to keep only the latest epoch, for an aggregate that needs the
    ///     reports and not each epoch.
    ///   - foldsEpochs: `true` to add every epoch but the latest to ``LogParser/StandardLog/foldedEpochs``
    ///     instead of keeping it, so a full read's memory does not grow with the run's length.
    init(keepsFigures: Bool = true, foldsEpochs: Bool = false) {
        self.keepsFigures = keepsFigures
        self.foldsEpochs = foldsEpochs
    }

    /// The latest epoch line passed over undecoded (``isPlainEpochLine(_:)``), decoded once a line of
    /// another kind or the end of the file shows it was the latest.
    private var heldEpochLine: [UInt8] = []
    private var holdsEpochLine = false

    /// Reads one line.
    /// - Parameter line: A complete line, without its newline.
    mutating func consume(_ line: LogBytes) {
        lineNumber += 1
        if !keepsFigures, schema == .compact, !log.epochs.isEmpty, Self.isPlainEpochLine(line) {
            // The line held before is not the latest: it counts, and nothing else of it is kept.
            if holdsEpochLine { epochCount += 1 }
            heldEpochLine.removeAll(keepingCapacity: true)
            heldEpochLine.append(contentsOf: line.bytes)
            holdsEpochLine = true
            return
        }
        decodeHeldEpochLine()
        if foldsEpochs, schema == .compact, Self.isPlainEpochLine(line),
            let fields = CompactEpochFields(plainLine: line)
        {
            // Read without `JSONSerialization`, which costs most of the time of a long run's event log.
            return compactEpoch(fields)
        }
        handle(line)
    }

    private mutating func decodeHeldEpochLine() {
        guard holdsEpochLine else { return }
        holdsEpochLine = false
        let held = heldEpochLine
        held.withUnsafeBufferPointer { handle(LogBytes($0)) }
    }

    private mutating func handle(_ line: LogBytes) {
        guard !line.trimmed.isEmpty else { return }
        // Version 2 window lines as the encoder writes them, without a dictionary per line.
        if schema == .compact, let (time, window) = Self.compactWindow(line) {
            if let time { saw(time) }
            log.windows.append(window)
            return
        }
        guard
            let object = try? JSONSerialization.jsonObject(with: Data(line.bytes)) as? [String: Any],
            accepts(object), let event = object["event"] as? String
        else {
            skippedCount += 1
            if firstSkipped.count < 5 { firstSkipped.append(lineNumber) }
            return
        }
        if let time = (object["time"] as? String).flatMap(UTCTime.parse) { saw(time) }
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
        decodeHeldEpochLine()
        log.firstTimestamp = firstInstant.map(LogTime.line)
        log.lastTimestamp = lastInstant.map(LogTime.line)
        if skippedCount > 0 {
            let shown = firstSkipped.map(String.init).joined(separator: ", ")
            log.warnings.append(
                "\(skippedCount) line(s) are not carbontracker.events/1 or /2 JSON objects and were skipped "
                    + "(line \(shown)\(skippedCount > 5 ? ", ..." : ""))."
            )
        }
        if let warning = end.endedMidLineWarning { log.warnings.append(warning) }
        if let warning = end.longLinesWarning { log.warnings.append(warning) }
        return (log, output)
    }

    /// Whether `object` is an event: it names a schema this scanner reads, or follows a version 2
    /// `run_started` line.
    private mutating func accepts(_ object: [String: Any]) -> Bool {
        guard let name = object["schema"] else { return schema == .compact }
        guard let version = (name as? String).flatMap(EventLogSchema.Version.init(name:)) else {
            return false
        }
        schema = version
        return true
    }

    private mutating func saw(_ instant: Date) {
        if firstInstant == nil { firstInstant = instant }
        lastInstant = instant
    }

    private mutating func runStarted(_ object: [String: Any]) {
        hasRun = true
        log.version = object["version"] as? String
        log.powerUsageEffectiveness = object["pue"] as? Double
        runStart = (object["start"] as? String).flatMap(UTCTime.parse)
        let components = object["components"] as? [[String: Any]] ?? []
        declared = components.compactMap { component in
            guard let name = component["component"] as? String else { return nil }
            return (
                name, component["devices"] as? [String] ?? [],
                (component["method"] as? String).flatMap(MeasurementMethod.init(rawValue:))
            )
        }
        log.components = declared.map { LogParser.ComponentDevices(name: $0.name, devices: $0.devices) }
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
        if let joules = object["j"] as? [Any] {
            return compactEpoch(CompactEpochFields(object, joules: joules))
        }
        epochCount += 1
        var epoch = LogParser.Epoch(
            number: object["epoch"] as? Int ?? epochCount,
            durationSeconds: object["duration_seconds"] as? Double)
        epoch.startDate = (object["start"] as? String).flatMap(UTCTime.parse)
        epoch.components = Self.epochComponents(object["components"], epoch.durationSeconds)
        epoch.energyKilowattHoursRange = Self.range(object, "energy_kwh_low", "energy_kwh_high")
        epoch.co2eqGramsRange = Self.range(object, "co2eq_grams_low", "co2eq_grams_high")
        store(epoch)
    }

    private mutating func store(_ epoch: LogParser.Epoch) {
        if keepsFigures || log.epochs.isEmpty {
            if foldsEpochs, let finished = log.epochs.last {
                log.foldedEpochs.add(finished)
                log.foldedEnergy.add(finished, powerUsageEffectiveness: log.powerUsageEffectiveness)
                log.epochs.removeAll(keepingCapacity: true)
            }
            log.epochs.append(epoch)
        } else {
            log.epochs[log.epochs.count - 1] = epoch
        }
    }

    /// A version 2 epoch line: `t` after the run's start, `s` long, `j` by position in `run_started`'s
    /// components, `methods` where they differ from the declared ones.
    private mutating func compactEpoch(_ fields: CompactEpochFields) {
        epochCount += 1
        let duration = fields.seconds
        var epoch = LogParser.Epoch(number: fields.number ?? epochCount, durationSeconds: duration)
        if let runStart, let offset = fields.offsetSeconds {
            let start = runStart.addingTimeInterval(offset)
            epoch.startDate = start
            saw(start.addingTimeInterval(duration ?? 0))
        }
        for (index, component) in declared.enumerated() where index < fields.joules.count {
            let energy = fields.joules[index]
            let method =
                (fields.methods.flatMap { index < $0.count ? $0[index] : nil })
                .flatMap(MeasurementMethod.init(rawValue:)) ?? component.method
            epoch.components.append(
                LogParser.EpochComponent(
                    name: component.name, averagePowerWatts: Self.compactWatts(energy, duration),
                    measuredEnergyJoules: energy, measurementMethod: method))
        }
        epoch.energyKilowattHoursRange = Self.range(
            fields.energyLowKilowattHours, fields.energyHighKilowattHours)
        epoch.co2eqGramsRange = Self.range(fields.co2eqLowGrams, fields.co2eqHighGrams)
        store(epoch)
    }

    private static func epochComponents(_ value: Any?, _ duration: Double?) -> [LogParser.EpochComponent] {
        (value as? [[String: Any]] ?? []).compactMap { component in
            guard let name = component["component"] as? String else { return nil }
            let joules = numbers(component["energy_joules"])
            // Older epoch events have the average power; it is the energy over the duration.
            let watts =
                component["average_power_watts"] != nil
                ? numbers(component["average_power_watts"]) : Self.watts(joules, duration)
            return LogParser.EpochComponent(
                name: name, averagePowerWatts: watts, measuredEnergyJoules: joules,
                measurementMethod: (component["method"] as? String).flatMap(MeasurementMethod.init(rawValue:))
            )
        }
    }

    /// The average power from a compact epoch's energy and duration, to the 6 significant digits that
    /// their rounding (a microjoule, a nanosecond) leaves exact: a steady 50 W reads as 50, not 49.9999967.
    private static func compactWatts(_ joules: [Double], _ duration: Double?) -> [Double] {
        watts(joules, duration).map { LogNumber.significant($0, 6) }
    }

    private static func watts(_ joules: [Double], _ duration: Double?) -> [Double] {
        joules.map { joule in duration.map { $0 > 0 ? joule / $0 : 0 } ?? .nan }
    }

    /// `low...high` from two members, `nil` where either is missing or they are not ordered.
    private static func range(_ object: [String: Any], _ low: String, _ high: String) -> ClosedRange<Double>?
    {
        range(object[low] as? Double, object[high] as? Double)
    }

    /// `low...high`, `nil` where either is missing or they are not ordered.
    private static func range(_ low: Double?, _ high: Double?) -> ClosedRange<Double>? {
        guard let low, let high, low <= high else { return nil }
        return low...high
    }

    private mutating func window(_ object: [String: Any]) {
        if let window = Self.window(from: object) { log.windows.append(window) }
    }

    /// A window line's window, from its `JSONSerialization` object; `nil` without a name.
    static func window(from object: [String: Any]) -> LogParser.Window? {
        guard let name = object["name"] as? String else { return nil }
        let components = (object["components"] as? [[String: Any]] ?? []).compactMap {
            component -> LogParser.WindowComponent? in
            guard let kind = component["component"] as? String else { return nil }
            return LogParser.WindowComponent(
                name: kind, energyJoules: Self.numbers(component["energy_joules"]),
                method: component["method"] as? String ?? "")
        }
        var window = LogParser.Window(
            name: name, durationSeconds: object["duration_seconds"] as? Double ?? .nan,
            components: components, co2eqGrams: object["co2eq_grams"] as? Double,
            isApproximate: object["approximate"] as? Bool ?? false,
            startDate: (object["start"] as? String).flatMap(UTCTime.parse),
            endDate: (object["end"] as? String).flatMap(UTCTime.parse))
        window.energyKilowattHoursRange = Self.range(object, "energy_kwh_low", "energy_kwh_high")
        window.co2eqGramsRange = Self.range(object, "co2eq_grams_low", "co2eq_grams_high")
        return window
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
        var consumption = LogParser.Consumption(
            epochs: object["epochs"] as? Int, durationSeconds: object["duration_seconds"] as? Double,
            energyKilowattHours: energy, co2eqGrams: co2, equivalents: equivalents)
        consumption.energyKilowattHoursRange = range(object, "energy_kwh_low", "energy_kwh_high")
        consumption.co2eqGramsRange = range(object, "co2eq_grams_low", "co2eq_grams_high")
        return consumption
    }

    /// A JSON array of numbers; `null` (a non-finite value when written) reads as NaN.
    static func numbers(_ value: Any?) -> [Double] {
        (value as? [Any] ?? []).map { ($0 as? Double) ?? .nan }
    }
}
