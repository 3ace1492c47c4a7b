extension ReportModel {
    /// Builds a ``ReportModel`` one epoch at a time, so a log of any length is read without keeping
    /// its epochs: sums, bins and the table's first and last rows are all it holds.
    struct Builder {
        private let sourceName: String
        private let pue: Double
        private var warnings: [String] = []
        private var names: [String]
        private var methods: [MeasurementMethod?]
        private var totals: Totals
        private var head: [EpochRow] = []
        /// The latest ``ReportModel/tableEdgeRows`` rows, oldest at `tailStart`.
        private var tail: [EpochRow] = []
        private var tailStart = 0
        private var bins = EpochBins(capacity: ReportModel.maximumPoints)
        private var kept = 0
        private var measuredJoules: Double?
        private var leftOut: [Int] = []
        private var leftOutCount = 0
        /// Sums of the kept epochs' bounds; `nil` once an epoch has none.
        private var energyRange: ClosedRange<Double>? = 0...0
        private var co2Range: ClosedRange<Double>? = 0...0

        /// Starts a model for the run whose header (components, PUE) `header` holds.
        /// - Parameters:
        ///   - header: The standard log read up to its first epoch, or whole.
        ///   - sourceName: The log's name, for the warnings.
        init(header: LogParser.StandardLog, sourceName: String) {
            self.sourceName = sourceName
            var pue = header.powerUsageEffectiveness ?? powerUsageEffectiveness
            if !(pue.isFinite && pue > 0) {
                warnings.append(
                    "'\(sourceName)': the PUE coefficient \(pue) is not a positive number; "
                        + "\(powerUsageEffectiveness) is used instead.")
                pue = powerUsageEffectiveness
            }
            self.pue = pue
            names = header.components.map(\.name)
            methods = Array(repeating: nil, count: names.count)
            totals = Totals(components: names.count, pue: pue)
        }

        /// Adds the next epoch; one without a duration is not counted.
        mutating func add(_ epoch: LogParser.Epoch) {
            guard let duration = epoch.durationSeconds else { return }
            for component in epoch.components where !names.contains(component.name) {
                names.append(component.name)
                methods.append(nil)
                totals.joules.append(0)
            }
            let figures = names.map { epoch.component($0) }
            let joules = figures.map { $0?.energyJoules(durationSeconds: duration) }
            let watts = figures.map { figure in
                figure.flatMap { $0.averagePowerWatts.isEmpty ? nil : $0.averagePowerWatts.reduce(0, +) }
            }
            let kilowattHours = joules.reduce(0) { $0 + ($1 ?? 0) } * pue / 3_600_000
            // An epoch whose figures cannot be added up (NaN, infinite, negative, or so large that a
            // total would overflow) is left out everywhere, so it can neither cancel other epochs nor
            // break a chart.
            var next = totals
            let usable =
                next.add(duration: duration, joules: joules, kilowattHours: kilowattHours)
                && watts.allSatisfy { $0.map(LogValue.usable) ?? true }
            guard usable else {
                leftOutCount += 1
                if leftOut.count < 10 { leftOut.append(epoch.number) }
                return
            }
            totals = next
            kept += 1
            for case let measured? in figures.map({ $0?.measuredEnergyJoules }) {
                measuredJoules = (measuredJoules ?? 0) + measured.reduce(0, +)
            }
            for (index, figure) in figures.enumerated() {
                if let method = figure?.measurementMethod {
                    methods[index] = max(methods[index] ?? method, method)
                }
            }
            let energy = Self.usable(epoch.energyKilowattHoursRange)
            let co2 = Self.usable(epoch.co2eqGramsRange)
            energyRange = Self.sum(energyRange, energy)
            co2Range = Self.sum(co2Range, co2)
            bins.add(
                EpochBins.Epoch(
                    number: epoch.number, durationSeconds: duration, joules: joules, watts: watts,
                    energyKilowattHoursRange: energy, co2eqGramsRange: co2))
            let row = EpochRow(
                number: epoch.number, durationSeconds: duration, watts: watts, joules: joules,
                kilowattHours: kilowattHours, co2eqGrams: nil, cumulativeCO2eqGrams: nil,
                cumulativeKilowattHours: totals.kilowattHours, energyKilowattHoursRange: energy,
                co2eqGramsRange: co2)
            if head.count < ReportModel.tableEdgeRows {
                head.append(row)
            } else if tail.count < ReportModel.tableEdgeRows {
                tail.append(row)
            } else {
                tail[tailStart] = row
                tailStart = (tailStart + 1) % tail.count
            }
        }

        /// The model, with the totals, intensity and reports of the whole run.
        /// - Parameters:
        ///   - log: The standard log read to its end (its epochs need not be kept).
        ///   - output: Its output log, if any.
        /// - Returns: The model.
        func finish(log: LogParser.StandardLog, output: LogParser.OutputLog?) -> ReportModel {
            var warnings = self.warnings
            var actual = output?.actual
            if let report = actual,
                !LogValue.usable(report.energyKilowattHours) || !LogValue.usable(report.co2eqGrams)
            {
                warnings.append(
                    "'\(sourceName)': the actual consumption report's energy or CO2eq is not a finite, "
                        + "non-negative number; totals are computed from the epochs instead.")
                actual = nil
            }
            var intensity = log.intensity?.averageGramsPerKilowattHour
            if let value = intensity, !LogValue.usable(value) {
                warnings.append(
                    "'\(sourceName)': the average carbon intensity \(value) is not a finite, non-negative "
                        + "number; it is left out.")
                intensity = nil
            }
            if intensity == nil, let actual, actual.energyKilowattHours > 0 {
                intensity = actual.co2eqGrams / actual.energyKilowattHours
                if !LogValue.usable(intensity ?? .nan) { intensity = nil }
            }
            if let value = intensity {
                // Each epoch's and the running CO2eq are at most the largest energy times the intensity.
                let largest = max(totals.kilowattHours, energyRange?.upperBound ?? 0)
                if !(largest * value).isFinite {
                    warnings.append(
                        "'\(sourceName)': the energy \(largest) kWh times the carbon intensity \(value) "
                            + "gCO2eq/kWh is too large a number; CO2eq is left out.")
                    intensity = nil
                }
            }
            if leftOutCount > 0 {
                let listed = leftOut.map(String.init).joined(separator: ", ")
                let more = leftOutCount > leftOut.count ? " and \(leftOutCount - leftOut.count) more" : ""
                warnings.append(
                    "'\(sourceName)': \(leftOutCount) epoch(s) (\(listed)\(more)) have a duration, power or "
                        + "energy that is not a finite, non-negative number (or would overflow the totals); "
                        + "they are left out of the totals, charts and tables.")
            }
            let seconds = totals.durationSeconds
            var model: ReportModel
            if let actual {
                model = ReportModel(
                    pueFactor: pue, durationSeconds: seconds, kilowattHours: actual.energyKilowattHours,
                    totalsFromActualReport: true, equivalents: actual.equivalents)
                model.co2eqGrams = actual.co2eqGrams
                model.kilowattHoursRange = actual.energyKilowattHoursRange
                model.co2eqGramsRange = actual.co2eqGramsRange
            } else {
                let grams = intensity.map { totals.kilowattHours * $0 }
                model = ReportModel(
                    pueFactor: pue, durationSeconds: seconds, kilowattHours: totals.kilowattHours,
                    totalsFromActualReport: false,
                    equivalents: grams.map { grams in
                        ReferenceData.equivalents(forGrams: grams).map {
                            .init(unit: $0.unit, amount: $0.amount)
                        }
                    } ?? [])
                model.co2eqGrams = grams
                if kept > 0 {
                    model.kilowattHoursRange = energyRange
                    model.co2eqGramsRange =
                        co2Range
                        ?? energyRange.flatMap { range in
                            intensity.map { (range.lowerBound * $0)...(range.upperBound * $0) }
                        }
                }
            }
            model.gramsPerKilowattHour = intensity
            model.warnings = warnings
            model.epochCount = kept
            model.measuredJoules = measuredJoules
            model.bins = bins
            model.epochs = (head + tail[tailStart...] + tail[..<tailStart]).map { row in
                var row = row
                row.co2eqGrams = intensity.map { row.kilowattHours * $0 }
                row.cumulativeCO2eqGrams = intensity.map { row.cumulativeKilowattHours * $0 }
                return row
            }
            model.components = names.enumerated().map { index, name in
                let joules = totals.joules[index]
                return ComponentRow(
                    name: name, devices: log.components.first { $0.name == name }?.devices ?? [],
                    method: methods[index], averageWatts: seconds > 0 ? joules / seconds : nil,
                    kilowattHours: joules * pue / 3_600_000)
            }
            return model
        }

        private static func usable(_ range: ClosedRange<Double>?) -> ClosedRange<Double>? {
            guard let range, LogValue.usable(range.lowerBound), LogValue.usable(range.upperBound) else {
                return nil
            }
            return range
        }

        private static func sum(_ total: ClosedRange<Double>?, _ range: ClosedRange<Double>?)
            -> ClosedRange<Double>?
        {
            guard let total, let range else { return nil }
            let low = total.lowerBound + range.lowerBound
            let high = total.upperBound + range.upperBound
            return low.isFinite && high.isFinite ? low...high : nil
        }
    }

    /// The running sums over the epochs kept.
    private struct Totals {
        var durationSeconds = 0.0
        var joules: [Double]
        var kilowattHours = 0.0
        /// The PUE factor the joules are multiplied by, which must not overflow either.
        let pue: Double

        init(components: Int, pue: Double) {
            joules = Array(repeating: 0, count: components)
            self.pue = pue
        }

        /// Adds one epoch's figures.
        /// - Returns: `false`, leaving the sums in an unspecified state, when a figure is not usable
        ///   or a sum would overflow; the caller then keeps its earlier copy.
        mutating func add(
            duration: Double, joules epochJoules: [Double?], kilowattHours epochKilowattHours: Double
        )
            -> Bool
        {
            func add(_ value: Double, to sum: inout Double) -> Bool {
                guard LogValue.usable(value) else { return false }
                sum += value
                return sum.isFinite
            }
            guard add(duration, to: &durationSeconds), add(epochKilowattHours, to: &kilowattHours) else {
                return false
            }
            for (index, value) in epochJoules.enumerated() {
                if let value, !add(value, to: &joules[index]) || !(joules[index] * pue).isFinite {
                    return false
                }
            }
            return true
        }
    }
}
