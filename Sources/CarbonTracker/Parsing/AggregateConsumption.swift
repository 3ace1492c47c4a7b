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
        /// Runs that contributed.
        public var runsCounted: Int
        /// Files skipped or partly read, and runs whose figures could not be added.
        public var warnings: [Warning]

        /// Total energy in kilowatt-hours (Python's `total_energy`).
        public var energy: Double { energyKilowattHours }
        /// Total CO2-equivalent in grams (Python's `total_co2eq`).
        public var co2eq: Double { co2eqGrams }

        /// Adds up the runs, each with ``Entry/aggregatedConsumption``.
        /// - Parameter parse: The runs of a directory and the warnings met reading it.
        public init(_ parse: DirectoryParse) {
            self.init(
                runs: parse.entries.lazy.map { ($0.eventLogFile ?? $0.outputFile, $0.aggregatedConsumption) },
                warnings: parse.warnings)
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
            for (outputFile, consumption) in runs {
                guard let consumption else { continue }
                // Python adds a NaN energy and so turns the whole total into NaN.
                guard consumption.energyKilowattHours.isFinite else {
                    self.warnings.append(
                        Warning(
                            file: outputFile,
                            message: "The energy figure is not a number; this run is left out of the totals.")
                    )
                    continue
                }
                runsCounted += 1
                energyKilowattHours += consumption.energyKilowattHours
                if consumption.co2eqGrams.isFinite {
                    co2eqGrams += consumption.co2eqGrams
                } else {
                    self.warnings.append(
                        Warning(
                            file: outputFile,
                            message: "The CO2eq figure is not a number; only this run's energy is counted."))
                }
                for equivalent in consumption.equivalents where equivalent.amount.isFinite {
                    let known =
                        equivalentUnits.count <= 4
                        ? equivalentUnits.firstIndex(of: equivalent.unit) : positions[equivalent.unit]
                    let index = known ?? equivalentUnits.count
                    if known == nil {
                        positions[equivalent.unit] = index
                        equivalentUnits.append(equivalent.unit)
                        totals.append(0)
                    }
                    totals[index] += equivalent.amount
                }
            }
            equivalents = Dictionary(uniqueKeysWithValues: zip(equivalentUnits, totals))
        }

        /// The sentence Python's `print_aggregate` prints.
        public var sentence: String {
            var text =
                "The training of models in this work is estimated to use "
                + "\(Self.fixed16(energyKilowattHours)) kWh of electricity contributing to "
                + "\(Self.fixed16(co2eqGrams / 1000)) kg of CO2eq. "
            let parts = equivalentUnits.compactMap { unit in
                equivalents[unit].map { "\(Self.fixed16($0)) \(unit)" }
            }
            if !parts.isEmpty {
                text += "This is equivalent to \(parts.joined(separator: " or ")). "
            }
            return text + "Measured by carbontracker (https://github.com/lfwa/carbontracker)."
        }

        private static func fixed16(_ value: Double) -> String { String(format: "%.16f", value) }
    }
}
