import Foundation

/// Python carbontracker 2.4.7's PUE, for logs that do not name theirs (the global, by another name
/// than the property of the same name).
private let pythonPowerUsageEffectiveness = powerUsageEffectiveness

/// One run's measured figures in the shape the export formats need (CodeCarbon CSV, the CLI's
/// JSON, the model-card block), built from a tracker's events or from a parsed log directory.
///
/// ```swift
/// let figures = RunFigures(entry: parse.entries[0])
/// figures.energyKilowattHours   // the actual report's energy, with PUE
/// ```
///
/// Figures are measured ones: the actual report when there is one, else the sum of the epochs
/// logged (a killed run). A figure that cannot be known is `nil`.
struct RunFigures: Sendable, Equatable {
    /// One component's energy over the run.
    struct Component: Sendable, Equatable {
        /// `gpu` or `cpu`.
        var kind: String
        /// Device names.
        var devices: [String]
        /// Energy per device over the measured epochs, in joules, without PUE.
        var joules: [Double]
        /// The least trustworthy measurement method seen; `nil` for Python logs.
        var method: String?
    }

    /// `{prefix_}{pid}.{id}_{timestamp}`.
    var runID: String
    /// The carbontracker version that measured.
    var version: String?
    /// The first line's or event's wall time, local, `YYYY-MM-DD HH:MM:SS`.
    var startTimestamp: String?
    /// The last line's or event's wall time, local, `YYYY-MM-DD HH:MM:SS`.
    var endTimestamp: String?
    /// Epochs measured.
    var epochs: Int
    /// Measured time in seconds (the epochs' durations added up).
    var durationSeconds: Double?
    /// Energy in kWh, with PUE.
    var energyKilowattHours: Double?
    /// Grams of CO2-equivalent.
    var co2eqGrams: Double?
    /// The PUE factor applied.
    var powerUsageEffectiveness: Double
    /// Per-component energy.
    var components: [Component]
    /// The location as logged; `nil` when unknown.
    var location: String?
    /// ISO 3166 alpha-2 country code; `nil` when unknown.
    var countryCode: String?
    /// Training stopped before all monitored epochs.
    var earlyStop: Bool
    /// The run's logs were closed normally.
    var isComplete: Bool

    /// A component's energy in kWh with PUE.
    /// - Parameter kind: `gpu` or `cpu`.
    /// - Returns: The energy, or `nil` when the run did not measure that component.
    func kilowattHours(_ kind: String) -> Double? {
        let joules = components.filter { $0.kind == kind }.flatMap(\.joules)
        guard !joules.isEmpty else { return nil }
        return joules.reduce(0, +) * powerUsageEffectiveness / 3_600_000
    }

    /// A component's average power in watts with PUE over the measured time.
    /// - Parameter kind: `gpu` or `cpu`.
    /// - Returns: The power, or `nil` when unknown.
    func averageWatts(_ kind: String) -> Double? {
        guard let energy = kilowattHours(kind), let duration = durationSeconds, duration > 0 else {
            return nil
        }
        return energy * 3_600_000 / duration
    }

    /// The devices of one kind of component.
    func devices(_ kind: String) -> [String] {
        components.filter { $0.kind == kind }.flatMap(\.devices)
    }

    /// The log-file prefix of the run id (`run-a` of `run-a_1234.5_...`), or `nil`.
    var prefix: String? {
        let parts = runID.split(separator: "_", omittingEmptySubsequences: false)
        guard parts.count > 2 else { return nil }
        return parts.dropLast(2).joined(separator: "_")
    }
}

extension RunFigures {
    /// The figures of a parsed run.
    /// - Parameter entry: A run from ``LogParser/parseAllLogs(logDir:)``.
    init(entry: LogParser.Entry) {
        self.init(
            runID: EventLogExporter.runID(logPath: entry.eventLogFile ?? entry.standardFile),
            log: entry.standardLog, epochs: entry.standardLog.epochSummary, actual: entry.actual,
            earlyStop: entry.earlyStop)
    }

    /// The figures of a run read from its logs, whose epochs may have been summarised as they were read.
    /// - Parameters:
    ///   - runID: The run's id (``EventLogExporter/runID(logPath:)``).
    ///   - log: The run's log, for what it says besides its epochs.
    ///   - epochs: The summary of all the run's epochs.
    ///   - actual: The run's actual report, when it has one.
    ///   - earlyStop: Whether training stopped before all monitored epochs.
    init(
        runID: String, log: LogParser.StandardLog, epochs: LogParser.EpochSummary,
        actual: LogParser.Consumption?, earlyStop: Bool
    ) {
        let pue = log.powerUsageEffectiveness ?? pythonPowerUsageEffectiveness
        let components = epochs.components(named: log.components).map {
            Component(kind: $0.name, devices: $0.devices, joules: $0.joules, method: $0.method?.rawValue)
        }
        let timed = epochs.timedEpochs > 0
        let duration = timed ? epochs.durationSeconds : actual?.durationSeconds
        var energy = actual?.energyKilowattHours
        var co2 = actual?.co2eqGrams
        if energy == nil, timed {
            let joules = components.flatMap(\.joules).reduce(0, +)
            energy = joules * pue / 3_600_000
            co2 = log.intensity?.averageGramsPerKilowattHour.map { $0 * joules * pue / 3_600_000 }
        }
        let location = log.intensity?.location
        self.init(
            runID: runID, version: log.version, startTimestamp: log.firstTimestamp,
            endTimestamp: log.lastTimestamp, epochs: epochs.epochs, durationSeconds: duration,
            energyKilowattHours: energy, co2eqGrams: co2, powerUsageEffectiveness: pue,
            components: components,
            location: location == "Unknown" ? nil : location,
            countryCode: log.intensity?.countryCode ?? location.flatMap(Self.countryCode(address:)),
            earlyStop: earlyStop, isComplete: log.isComplete)
    }

    /// The alpha-2 code that ends an address like "Copenhagen, Capital Region, DK", if it is one.
    static func countryCode(address: String) -> String? {
        guard let last = address.split(separator: ",").last?.trimmingCharacters(in: .whitespaces),
            last.count == 2, ReferenceData.countryIntensities[last.uppercased()] != nil
        else { return nil }
        return last.uppercased()
    }

    /// Adds up a tracker's events into figures, for exporters that write once per run.
    struct Accumulator: Sendable {
        private var figures = RunFigures(
            runID: "", epochs: 0, powerUsageEffectiveness: pythonPowerUsageEffectiveness, components: [],
            earlyStop: false, isComplete: false)
        private var epochCO2eqGrams = 0.0
        private var actual: ConsumptionReport?
        private var durationSeconds = 0.0
        /// Whether a `runStarted` came.
        private(set) var hasRun = false
        /// Whether a `runEnded` came.
        private(set) var hasEnded = false

        /// Creates an empty accumulator.
        init() {}

        /// Adds one event.
        mutating func apply(_ event: RunEvent) {
            switch event {
            case .runStarted(let run):
                hasRun = true
                figures.runID = run.runID
                figures.version = run.version
                figures.powerUsageEffectiveness = run.powerUsageEffectiveness
                figures.startTimestamp = LogTime.line(run.startDate)
                figures.location = run.location == "Unknown" ? nil : run.location
                figures.components = run.components.map {
                    Component(
                        kind: $0.kind.rawValue, devices: $0.devices,
                        joules: Array(repeating: 0, count: $0.devices.count), method: $0.method.rawValue)
                }
            case .intensity(let estimate, _):
                if estimate.address != "Unknown" { figures.location = estimate.address }
                if let code = estimate.countryCode { figures.countryCode = code }
            case .epoch(_, let measurement):
                figures.epochs += 1
                durationSeconds += measurement.durationSeconds
                epochCO2eqGrams += measurement.co2eqGrams
                for component in measurement.components { add(component) }
            case .actual(let report):
                actual = report
            case .runEnded(let end, let interrupted):
                hasEnded = true
                figures.endTimestamp = LogTime.line(end)
                figures.earlyStop = interrupted
                figures.isComplete = true
            case .window, .prediction, .powerSeries:
                break
            }
        }

        private mutating func add(_ energy: ComponentEnergy) {
            let kind = energy.kind.rawValue
            let index: Int
            if let found = figures.components.firstIndex(where: { $0.kind == kind }) {
                index = found
            } else {
                figures.components.append(
                    Component(kind: kind, devices: energy.devices, joules: [], method: nil))
                index = figures.components.count - 1
            }
            var component = figures.components[index]
            if component.devices.count < energy.devices.count { component.devices = energy.devices }
            for (device, joules) in energy.joules.enumerated() {
                while component.joules.count <= device { component.joules.append(0) }
                component.joules[device] += joules
            }
            let method = component.method.flatMap(MeasurementMethod.init(rawValue:))
            component.method = max(method ?? energy.method, energy.method).rawValue
            figures.components[index] = component
        }

        /// The figures so far; `endDate` stands in for a run that has not ended.
        func result(endDate: Date) -> RunFigures {
            var result = figures
            if result.endTimestamp == nil { result.endTimestamp = LogTime.line(endDate) }
            result.durationSeconds = figures.epochs > 0 ? durationSeconds : actual?.durationSeconds
            if let actual {
                result.energyKilowattHours = actual.energyKilowattHours
                result.co2eqGrams = actual.co2eqGrams
            } else if figures.epochs > 0 {
                let joules = figures.components.flatMap(\.joules).reduce(0, +)
                result.energyKilowattHours = joules * figures.powerUsageEffectiveness / 3_600_000
                result.co2eqGrams = epochCO2eqGrams
            }
            return result
        }
    }
}
