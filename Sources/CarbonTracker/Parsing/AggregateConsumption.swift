import Foundation

extension LogParser {
    /// The total consumption of every run in a log directory, for a paper's statement.
    ///
    /// ```swift
    /// let total = try LogParser.aggregateConsumption(logDir: "logs")
    /// print(total.energy, total.co2eq, total.equivalents)   // kWh, g, [unit: amount]
    /// ```
    public struct Aggregate: Sendable, Equatable {
        /// Total energy in kilowatt-hours, with the PUE factor.
        public var energyKilowattHours: Double
        /// Total CO2-equivalent in grams.
        public var co2eqGrams: Double
        /// Total everyday equivalents, by unit.
        public var equivalents: [String: Double]
        /// The units of ``equivalents`` in the order they were first met, for stable printing.
        public var equivalentUnits: [String]
        /// Runs that contributed; a distributed job counts once.
        public var runsCounted: Int
        /// The distributed jobs among the runs, each counted once in the totals; earliest start first.
        public var jobs: [JobTotal] = []
        /// Low and high bounds of the total energy in kilowatt-hours; `nil` when no counted run gave a
        /// range (each run without one counts as its value alone, see ``runsWithoutRange``).
        public var energyKilowattHoursRange: ClosedRange<Double>? = nil
        /// Low and high bounds of the total CO2-equivalent in grams; `nil` as for the energy range.
        public var co2eqGramsRange: ClosedRange<Double>? = nil
        /// Counted runs whose logs gave no range (Python logs, older logs); their values enter the
        /// bounds unwidened.
        public var runsWithoutRange = 0
        /// Files skipped or partly read, and runs whose figures could not be added.
        public var warnings: [Warning]

        /// Total energy in kilowatt-hours (Python's `total_energy`).
        public var energy: Double { energyKilowattHours }
        /// Total CO2-equivalent in grams (Python's `total_co2eq`).
        public var co2eq: Double { co2eqGrams }

        /// Adds up the runs, each with ``Entry/aggregatedConsumption``, except that the runs of one
        /// distributed job count once, with their job's total (``LogParser/jobs(logDir:)``).
        /// - Parameter parse: The runs of a directory and the warnings met reading it.
        public init(_ parse: DirectoryParse) {
            var killedRunWarnings: [Warning] = []
            self.init(
                combining: parse.entries.map { entry in
                    (
                        outputFile: entry.eventLogFile ?? entry.outputFile,
                        consumption: entry.aggregatedConsumption
                            ?? Self.killedRun(
                                standardFile: entry.standardFile, log: entry.standardLog,
                                warnings: &killedRunWarnings),
                        job: entry.standardLog.distributed.map { _ in
                            JobRun(
                                standardFile: entry.standardFile, log: entry.standardLog, actual: entry.actual
                            )
                        }
                    )
                }, warnings: parse.warnings + killedRunWarnings)
        }

        /// A single-process run that has no report (its process was killed, or a full disk stopped its
        /// output log), counted as a distributed job's killed rank is: its finished epochs, then its
        /// last checkpoint; one warning, appended to `warnings`, names it. `nil` for a distributed run
        /// (its job counts it) or a run with no epoch and no checkpoint.
        /// - Parameters:
        ///   - standardFile: The run's standard log.
        ///   - log: That log, read with its per-epoch figures, or with all but its latest epoch counted
        ///     as it was read (``StandardLog/foldedEnergy``).
        static func killedRun(standardFile: String, log: StandardLog, warnings: inout [Warning])
            -> Consumption?
        {
            guard log.distributed == nil, !standardFile.isEmpty,
                !log.epochs.isEmpty || LogParser.progress(ofStandardLog: standardFile) != nil
            else { return nil }
            let total = JobTotal.build([JobRun(standardFile: standardFile, log: log, actual: nil)])
            let prefix = standardFile + ": "
            let messages =
                total.warnings.isEmpty
                ? [
                    "No final report (its output log may have been cut short); only its finished epochs are counted."
                ]
                : total.warnings.map { $0.hasPrefix(prefix) ? String($0.dropFirst(prefix.count)) : $0 }
            // One warning for the run, however many things its total had to say.
            warnings.append(Warning(file: standardFile, message: messages.joined(separator: " ")))
            return total.consumption
        }

        /// Adds up single-process runs as they are and each distributed job once, at its first run's place.
        init(
            combining runs: [(outputFile: String, consumption: Consumption?, job: JobRun?)],
            warnings: [Warning]
        ) {
            var order: [String] = []
            var grouped: [String: [JobRun]] = [:]
            for case let job? in runs.lazy.map(\.job) {
                let key = job.log.distributed!.jobKey
                if grouped[key] == nil { order.append(key) }
                grouped[key, default: []].append(job)
            }
            guard !order.isEmpty else {
                self.init(runs: runs.lazy.map { ($0.outputFile, $0.consumption) }, warnings: warnings)
                return
            }
            let totals = grouped.mapValues { JobTotal.build($0) }
            var counted: Set<String> = []
            let sequence = runs.compactMap { run -> (outputFile: String, consumption: Consumption?)? in
                guard let key = run.job?.log.distributed?.jobKey else {
                    return (run.outputFile, run.consumption)
                }
                guard counted.insert(key).inserted else { return nil }
                return (run.outputFile, totals[key]!.consumption)
            }
            self.init(runs: sequence, warnings: warnings)
            jobs = order.map { totals[$0]! }.sorted { $0.sortsBefore($1) }
            for job in jobs {
                self.warnings += job.warnings.map {
                    Warning(file: "job \(job.jobID)", message: $0)
                }
            }
        }

        /// Adds up the runs in order (floating-point sums depend on it), each by the report it contributes.
        init(runs: some Sequence<(outputFile: String, consumption: Consumption?)>, warnings: [Warning]) {
            energyKilowattHours = 0
            co2eqGrams = 0
            equivalents = [:]
            equivalentUnits = []
            runsCounted = 0
            self.warnings = warnings
            // Totals in the order of `equivalentUnits`. Logs name one or two units, and finding one
            // among a few is cheaper than hashing it; the dictionary keeps odd logs with many fast.
            var totals: [Double] = []
            var positions: [String: Int] = [:]
            var bounds = RangeSum()
            for (outputFile, consumption) in runs {
                guard let consumption else { continue }
                // Python adds whatever the report says, so one NaN, infinite or negative figure turns
                // the whole total into NaN or cancels other runs. Such a figure is left out here, with
                // one warning per run.
                let energy = consumption.energyKilowattHours
                if let problem = Self.problem(energy) ?? Self.overflow(energyKilowattHours, energy) {
                    self.warnings.append(
                        Warning(
                            file: outputFile,
                            message: "The energy figure \(problem); this run is left out of the totals."))
                    continue
                }
                runsCounted += 1
                energyKilowattHours += energy
                var leftOut: [String] = []
                var co2: Double?
                if let problem = Self.problem(consumption.co2eqGrams)
                    ?? Self.overflow(co2eqGrams, consumption.co2eqGrams)
                {
                    leftOut.append("the CO2eq figure \(problem)")
                } else {
                    co2eqGrams += consumption.co2eqGrams
                    co2 = consumption.co2eqGrams
                }
                bounds.add(consumption, energyKilowattHours: energy, co2eqGrams: co2)
                for equivalent in consumption.equivalents {
                    let known =
                        equivalentUnits.count <= 4
                        ? equivalentUnits.firstIndex(of: equivalent.unit) : positions[equivalent.unit]
                    let current = known.map { totals[$0] } ?? 0
                    if let problem = Self.problem(equivalent.amount)
                        ?? Self.overflow(current, equivalent.amount)
                    {
                        leftOut.append("the equivalent in \(equivalent.unit) \(problem)")
                        continue
                    }
                    let index = known ?? equivalentUnits.count
                    if known == nil {
                        positions[equivalent.unit] = index
                        equivalentUnits.append(equivalent.unit)
                        totals.append(0)
                    }
                    totals[index] += equivalent.amount
                }
                if !leftOut.isEmpty {
                    self.warnings.append(
                        Warning(
                            file: outputFile,
                            message: Self.sentence(leftOut)
                                + "; only the rest of this run is counted in the totals."))
                }
            }
            equivalents = Dictionary(uniqueKeysWithValues: zip(equivalentUnits, totals))
            energyKilowattHoursRange = bounds.energy
            co2eqGramsRange = bounds.co2
            runsWithoutRange = bounds.runsWithoutRange
        }

        /// The sentence Python's `print_aggregate` prints, with the bounds of the energy and of the CO2eq
        /// in parentheses after each when a run gave them ("… 4.4900000000000000 kWh (4.10–4.90) of
        /// electricity contributing to 1.9000000000000000 kg (1.70–2.10) of CO2eq. …").
        public var sentence: String {
            let energyBounds = energyKilowattHoursRange.map { " (\(RangeText.bounds($0)))" } ?? ""
            let co2Bounds =
                co2eqGramsRange.map {
                    " (\(RangeText.bounds(($0.lowerBound / 1000)...($0.upperBound / 1000))))"
                } ?? ""
            var text =
                "The training of models in this work is estimated to use "
                + "\(Self.fixed16(energyKilowattHours)) kWh\(energyBounds) of electricity contributing to "
                + "\(Self.fixed16(co2eqGrams / 1000)) kg\(co2Bounds) of CO2eq. "
            let parts = equivalentUnits.compactMap { unit in
                equivalents[unit].map { "\(Self.fixed16($0)) \(unit)" }
            }
            if !parts.isEmpty {
                text += "This is equivalent to \(parts.joined(separator: " or ")). "
            }
            return text + "Measured by carbontracker (https://github.com/lfwa/carbontracker)."
        }

        private static func fixed16(_ value: Double) -> String { String(format: "%.16f", value) }

        /// Why a figure cannot be added to a total ("is negative (-5.0)"), or `nil` when it can.
        static func problem(_ value: Double) -> String? {
            if value.isNaN { return "is not a number" }
            if value.isInfinite { return value > 0 ? "is infinite" : "is minus infinity" }
            if value < 0 { return "is negative (\(value))" }
            return nil
        }

        /// Why adding `value` to `total` would break it ("is too large (1.7e+308): ..."), or `nil`.
        private static func overflow(_ total: Double, _ value: Double) -> String? {
            (total + value).isFinite ? nil : "is too large (\(value)): the total would overflow"
        }

        /// "a, b and c", capitalised.
        private static func sentence(_ parts: [String]) -> String {
            let joined =
                parts.count == 1
                ? parts[0] : parts.dropLast().joined(separator: ", ") + " and " + parts[parts.count - 1]
            return joined.prefix(1).uppercased() + joined.dropFirst()
        }
    }
}
