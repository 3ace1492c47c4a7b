/// The figures an ``HTMLReport`` shows, computed once from the parsed logs.
///
/// Per-epoch energy is the logged measurement when there is one (logs of this package), else average
/// power × duration (Python logs); it is multiplied by the PUE factor like the reports' totals.
/// Per-epoch CO2eq uses the run's average intensity, so it adds up to the actual report's figure
/// when the intensity did not change.
package struct ReportModel {
    struct EpochRow {
        var number: Int
        var durationSeconds: Double
        /// Total watts over each component's devices; `nil` when the component has no figure.
        var watts: [Double?]
        /// Joules per component, without PUE.
        var joules: [Double?]
        var kilowattHours: Double
        var co2eqGrams: Double?
        var cumulativeCO2eqGrams: Double?
    }

    package struct ComponentRow {
        var name: String
        var devices: [String]
        var method: MeasurementMethod?
        var averageWatts: Double?
        package var kilowattHours: Double
    }

    package var components: [ComponentRow] = []
    var epochs: [EpochRow] = []
    var pueFactor: Double
    var gramsPerKilowattHour: Double?
    package var durationSeconds: Double
    package var kilowattHours: Double
    package var co2eqGrams: Double?
    var equivalents: [ConsumptionReport.Equivalent]
    /// Where the totals come from: the actual report, or the epochs when there is none.
    var totalsFromActualReport: Bool

    /// Figures left out, in one sentence each (at most one about epochs).
    var warnings: [String] = []

    /// Computes the figures.
    /// - Parameters:
    ///   - log: The run's standard log.
    ///   - output: Its output log, if any.
    ///   - sourceName: The log's name, for the warnings.
    package init(
        standardLog log: LogParser.StandardLog, output: LogParser.OutputLog?, sourceName: String = "the log"
    ) {
        var pue = log.powerUsageEffectiveness ?? powerUsageEffectiveness
        if !(pue.isFinite && pue > 0) {
            warnings.append(
                "'\(sourceName)': the PUE coefficient \(pue) is not a positive number; \(powerUsageEffectiveness) "
                    + "is used instead.")
            pue = powerUsageEffectiveness
        }
        var names = log.components.map(\.name)
        for epoch in log.epochs {
            for component in epoch.components where !names.contains(component.name) {
                names.append(component.name)
            }
        }
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
                "'\(sourceName)': the average carbon intensity \(value) is not a finite, non-negative number; "
                    + "it is left out.")
            intensity = nil
        }
        if intensity == nil, let actual, actual.energyKilowattHours > 0 {
            intensity = actual.co2eqGrams / actual.energyKilowattHours
            if !LogValue.usable(intensity ?? .nan) { intensity = nil }
        }

        var rows: [EpochRow] = []
        var leftOut: [Int] = []
        var totals = Totals(components: names.count, pue: pue)
        for epoch in log.epochs {
            guard let duration = epoch.durationSeconds else { continue }
            let figures = names.map { epoch.component($0) }
            let joules = figures.map { $0?.energyJoules(durationSeconds: duration) }
            let watts = figures.map { figure in
                figure.flatMap { $0.averagePowerWatts.isEmpty ? nil : $0.averagePowerWatts.reduce(0, +) }
            }
            let kilowattHours = joules.reduce(0) { $0 + ($1 ?? 0) } * pue / 3_600_000
            let co2 = intensity.map { kilowattHours * $0 }
            // An epoch whose figures cannot be added up (NaN, infinite, negative, or so large that a
            // total would overflow) is left out everywhere, so it can neither cancel other epochs nor
            // break a chart.
            var next = totals
            let usable =
                next.add(duration: duration, joules: joules, kilowattHours: kilowattHours, co2eqGrams: co2)
                && watts.allSatisfy { $0.map(LogValue.usable) ?? true }
            guard usable else {
                leftOut.append(epoch.number)
                continue
            }
            totals = next
            rows.append(
                EpochRow(
                    number: epoch.number, durationSeconds: duration, watts: watts, joules: joules,
                    kilowattHours: kilowattHours, co2eqGrams: co2,
                    cumulativeCO2eqGrams: co2.map { _ in totals.co2eqGrams }))
        }
        if !leftOut.isEmpty {
            let listed = leftOut.prefix(10).map(String.init).joined(separator: ", ")
            let more = leftOut.count > 10 ? " and \(leftOut.count - 10) more" : ""
            warnings.append(
                "'\(sourceName)': \(leftOut.count) epoch(s) (\(listed)\(more)) have a duration, power or energy "
                    + "that is not a finite, non-negative number (or would overflow the totals); they are "
                    + "left out of the totals, charts and tables.")
        }

        let totalSeconds = totals.durationSeconds
        let componentRows = names.enumerated().map { index, name in
            let joules = totals.joules[index]
            let methods = log.epochs.compactMap { $0.component(name)?.measurementMethod }
            return ComponentRow(
                name: name, devices: log.components.first { $0.name == name }?.devices ?? [],
                method: methods.max(), averageWatts: totalSeconds > 0 ? joules / totalSeconds : nil,
                kilowattHours: joules * pue / 3_600_000)
        }
        pueFactor = pue
        gramsPerKilowattHour = intensity
        epochs = rows
        components = componentRows
        durationSeconds = totalSeconds
        if let actual {
            totalsFromActualReport = true
            kilowattHours = actual.energyKilowattHours
            co2eqGrams = actual.co2eqGrams
            equivalents = actual.equivalents
        } else {
            totalsFromActualReport = false
            let total = totals.kilowattHours
            let grams = intensity.map { total * $0 }
            kilowattHours = total
            co2eqGrams = grams
            equivalents =
                grams.map { grams in
                    ReferenceData.equivalents(forGrams: grams).map { .init(unit: $0.unit, amount: $0.amount) }
                } ?? []
        }
    }

    /// The running sums over the epochs kept.
    private struct Totals {
        var durationSeconds = 0.0
        var joules: [Double]
        var kilowattHours = 0.0
        var co2eqGrams = 0.0
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
            duration: Double, joules epochJoules: [Double?], kilowattHours epochKilowattHours: Double,
            co2eqGrams co2: Double?
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
            if let co2, !add(co2, to: &co2eqGrams) { return false }
            for (index, value) in epochJoules.enumerated() {
                if let value, !add(value, to: &joules[index]) || !(joules[index] * pue).isFinite {
                    return false
                }
            }
            return true
        }
    }
}
