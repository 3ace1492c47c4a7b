/// The figures an ``HTMLReport`` shows, computed once from the parsed logs.
///
/// Per-epoch energy is the logged measurement when there is one (logs of this package), else average
/// power × duration (Python logs); it is multiplied by the PUE factor like the reports' totals.
/// Per-epoch CO2eq uses the run's average intensity, so it adds up to the actual report's figure
/// when the intensity did not change.
struct ReportModel {
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

    struct ComponentRow {
        var name: String
        var devices: [String]
        var method: MeasurementMethod?
        var averageWatts: Double?
        var kilowattHours: Double
    }

    var components: [ComponentRow] = []
    var epochs: [EpochRow] = []
    var pueFactor: Double
    var gramsPerKilowattHour: Double?
    var durationSeconds: Double
    var kilowattHours: Double
    var co2eqGrams: Double?
    var equivalents: [ConsumptionReport.Equivalent]
    /// Where the totals come from: the actual report, or the epochs when there is none.
    var totalsFromActualReport: Bool

    init(standardLog log: LogParser.StandardLog, output: LogParser.OutputLog?) {
        let pue = log.powerUsageEffectiveness ?? powerUsageEffectiveness
        var names = log.components.map(\.name)
        for epoch in log.epochs {
            for component in epoch.components where !names.contains(component.name) {
                names.append(component.name)
            }
        }
        let actual = output?.actual
        var intensity = log.intensity?.averageGramsPerKilowattHour
        if intensity == nil, let actual, actual.energyKilowattHours > 0 {
            intensity = actual.co2eqGrams / actual.energyKilowattHours
        }

        var rows: [EpochRow] = []
        var cumulative = 0.0
        for epoch in log.epochs {
            guard let duration = epoch.durationSeconds else { continue }
            let figures = names.map { epoch.component($0) }
            let joules = figures.map { $0?.energyJoules(durationSeconds: duration) }
            let watts = figures.map { figure in
                figure.flatMap { $0.averagePowerWatts.isEmpty ? nil : $0.averagePowerWatts.reduce(0, +) }
            }
            let kilowattHours = joules.reduce(0) { $0 + ($1 ?? 0) } * pue / 3_600_000
            let co2 = intensity.map { kilowattHours * $0 }
            if let co2 { cumulative += co2 }
            rows.append(
                EpochRow(
                    number: epoch.number, durationSeconds: duration, watts: watts, joules: joules,
                    kilowattHours: kilowattHours, co2eqGrams: co2,
                    cumulativeCO2eqGrams: co2.map { _ in cumulative }))
        }

        let totalSeconds = rows.reduce(0) { $0 + $1.durationSeconds }
        let componentRows = names.enumerated().map { index, name in
            let joules = rows.compactMap { $0.joules[index] }.reduce(0, +)
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
            let total = rows.reduce(0) { $0 + $1.kilowattHours }
            let grams = intensity.map { total * $0 }
            kilowattHours = total
            co2eqGrams = grams
            equivalents =
                grams.map { grams in
                    ReferenceData.equivalents(forGrams: grams).map { .init(unit: $0.unit, amount: $0.amount) }
                } ?? []
        }
    }
}
