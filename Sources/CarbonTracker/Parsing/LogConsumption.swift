extension LogParser {
    /// A predicted or actual consumption report read from an output log.
    ///
    /// ```swift
    /// let (actual, predicted) = LogParser.getConsumption(outputLogText)
    /// actual?.energyKilowattHours
    /// ```
    public struct Consumption: Sendable, Equatable {
        /// Epochs the report covers ("for 3 epoch(s)"); `nil` for "Actual consumption:", which names none.
        public var epochs: Int?
        /// The reported time in seconds (whole seconds, as printed); `nil` when unreadable.
        public var durationSeconds: Double?
        /// Energy in kilowatt-hours, with the PUE factor.
        public var energyKilowattHours: Double
        /// Grams of CO2-equivalent.
        public var co2eqGrams: Double
        /// Everyday equivalents in report order; empty when the report has none.
        public var equivalents: [ConsumptionReport.Equivalent]
        /// Low and high bounds of the energy in kilowatt-hours, with the PUE factor; `nil` when the log
        /// gives none (Python logs, logs from before ranges).
        public var energyKilowattHoursRange: ClosedRange<Double>? = nil
        /// Low and high bounds of the grams of CO2-equivalent; `nil` when the log gives none.
        public var co2eqGramsRange: ClosedRange<Double>? = nil

        /// Creates a report.
        /// - Parameters:
        ///   - epochs: Epochs covered, if stated.
        ///   - durationSeconds: Time in seconds.
        ///   - energyKilowattHours: Energy in kilowatt-hours.
        ///   - co2eqGrams: Grams of CO2-equivalent.
        ///   - equivalents: Everyday equivalents.
        public init(
            epochs: Int?, durationSeconds: Double?, energyKilowattHours: Double, co2eqGrams: Double,
            equivalents: [ConsumptionReport.Equivalent] = []
        ) {
            self.epochs = epochs
            self.durationSeconds = durationSeconds
            self.energyKilowattHours = energyKilowattHours
            self.co2eqGrams = co2eqGrams
            self.equivalents = equivalents
        }

        /// The equivalents keyed by unit, as Python's dictionary.
        public var equivalentsByUnit: [String: Double] {
            Dictionary(equivalents.map { ($0.unit, $0.amount) }, uniquingKeysWith: { first, _ in first })
        }
    }

    /// The reports read from one output log (`..._carbontracker_output.log`).
    public struct OutputLog: Sendable, Equatable {
        /// The first complete actual-consumption report.
        public var actual: Consumption?
        /// The first complete predicted-consumption report.
        public var predicted: Consumption?
        /// What could not be read, one sentence each.
        public var warnings: [String] = []

        /// Creates a record of an output log's reports.
        /// - Parameters:
        ///   - actual: The actual consumption.
        ///   - predicted: The predicted consumption.
        public init(actual: Consumption? = nil, predicted: Consumption? = nil) {
            self.actual = actual
            self.predicted = predicted
        }
    }
}
