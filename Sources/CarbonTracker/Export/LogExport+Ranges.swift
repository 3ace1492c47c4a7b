extension LogExport {
    /// `energy_kwh_low`, `energy_kwh_high`, `co2eq_grams_low`, `co2eq_grams_high`, each `null` when the
    /// logs gave no bounds.
    static func bounds(
        _ energy: ClosedRange<Double>?, _ co2: ClosedRange<Double>?, _ json: inout JSONWriter
    ) {
        json.field("energy_kwh_low", energy?.lowerBound)
        json.field("energy_kwh_high", energy?.upperBound)
        json.field("co2eq_grams_low", co2?.lowerBound)
        json.field("co2eq_grams_high", co2?.upperBound)
    }

    /// The bounds of a run's `energy_kwh` and `co2eq_grams`: its actual report's, or, without one, the
    /// sum of its epochs' when every epoch with a duration logged them.
    /// - Parameters:
    ///   - actual: The run's actual report, when it has one.
    ///   - epochs: The summary of all the run's epochs.
    static func runBounds(actual: LogParser.Consumption?, epochs: LogParser.EpochSummary) -> (
        energy: ClosedRange<Double>?, co2: ClosedRange<Double>?
    ) {
        if let actual { return (actual.energyKilowattHoursRange, actual.co2eqGramsRange) }
        let bounds = epochs.bounds
        return (bounds?.energyKilowattHours, bounds?.co2eqGrams)
    }

    /// A distributed job in the total: its identity, shape, figures and bounds.
    static func job(_ job: LogParser.JobTotal, _ json: inout JSONWriter) {
        json.object { json in
            json.field("job", job.jobID)
            json.field("job_source", job.jobSource)
            json.field("nodes", strings: job.nodes)
            json.field("processes", job.processes)
            json.field("duration_seconds", job.durationSeconds)
            json.field("energy_kwh", job.energyKilowattHours)
            json.field("co2eq_grams", job.co2eqGrams)
            bounds(job.energyKilowattHoursRange, job.co2eqGramsRange, &json)
        }
    }
}

extension LogExport {
    /// The model card's comment lines on the bounds: `  # emissions range: 65.1–75.3 g` and
    /// `  # energy: 0.16 kWh (0.15–0.17)`, or none when no run gave bounds.
    static func rangeComments(_ aggregate: LogParser.Aggregate) -> [String] {
        guard let grams = aggregate.co2eqGramsRange, let kilowattHours = aggregate.energyKilowattHoursRange
        else { return [] }
        var lines = [
            "  # emissions range: \(plainDecimal(grams.lowerBound))\u{2013}\(plainDecimal(grams.upperBound)) g",
            "  # energy: \(plainDecimal(aggregate.energyKilowattHours)) kWh (\(RangeText.bounds(kilowattHours)))",
        ]
        if aggregate.runsWithoutRange > 0 {
            lines.append("  # \(aggregate.runsWithoutRange) run(s) gave no bounds and count as their values")
        }
        return lines
    }
}
