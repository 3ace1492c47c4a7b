/// Adds up the bounds of several runs' figures, a run without bounds counting as its value alone.
struct RangeSum {
    private var energyLow = 0.0
    private var energyHigh = 0.0
    private var co2Low = 0.0
    private var co2High = 0.0
    /// Whether any run added gave bounds.
    private var anyRange = false
    /// Runs added whose figures had no bounds (or unusable ones).
    private(set) var runsWithoutRange = 0

    /// The total energy's bounds in kilowatt-hours; `nil` when no run gave any.
    var energy: ClosedRange<Double>? { anyRange ? energyLow...max(energyLow, energyHigh) : nil }
    /// The total CO2eq's bounds in grams; `nil` when no run gave any.
    var co2: ClosedRange<Double>? { anyRange ? co2Low...max(co2Low, co2High) : nil }

    /// Adds one run's figures.
    /// - Parameters:
    ///   - consumption: The run's report, with its bounds if it has them.
    ///   - energyKilowattHours: The energy counted in the total.
    ///   - co2eqGrams: The CO2eq counted in the total; `nil` when it was left out.
    mutating func add(_ consumption: LogParser.Consumption, energyKilowattHours: Double, co2eqGrams: Double?)
    {
        let energyRange = consumption.energyKilowattHoursRange.flatMap {
            Self.usable($0, around: energyKilowattHours)
        }
        let co2Range = co2eqGrams.flatMap { value in
            consumption.co2eqGramsRange.flatMap { Self.usable($0, around: value) }
        }
        if energyRange == nil { runsWithoutRange += 1 } else { anyRange = true }
        energyLow += energyRange?.lowerBound ?? energyKilowattHours
        energyHigh += energyRange?.upperBound ?? energyKilowattHours
        if let co2eqGrams {
            co2Low += co2Range?.lowerBound ?? co2eqGrams
            co2High += co2Range?.upperBound ?? co2eqGrams
        }
    }

    /// The bounds widened to hold `value` (printed figures are rounded, so a value may sit a rounding
    /// step outside); `nil` when a bound is negative or not finite.
    static func usable(_ range: ClosedRange<Double>, around value: Double) -> ClosedRange<Double>? {
        guard LogValue.usable(range.lowerBound), LogValue.usable(range.upperBound) else { return nil }
        return min(range.lowerBound, value)...max(range.upperBound, value)
    }
}
