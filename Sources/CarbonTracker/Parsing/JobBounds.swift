/// Adds up the bounds of a job's energy and CO2eq from its runs' epoch range lines, each device once
/// as the values are: an epoch, or a checkpoint, without a range counts as its value alone.
struct JobBounds {
    /// The epochs of one run that logged a range.
    struct Run: Sendable, Equatable {
        /// Joules (without PUE) of the epochs that logged a range.
        var rangedJoules = 0.0
        var energyLow = 0.0
        var energyHigh = 0.0
        var co2Low = 0.0
        var co2High = 0.0
        /// Epochs that logged a range.
        var epochs = 0

        /// Adds an epoch whose figures were counted.
        /// - Parameters:
        ///   - epoch: The epoch, with its bounds when its log gave them.
        ///   - joules: Its energy counted in the job, without PUE.
        mutating func add(_ epoch: LogParser.Epoch, joules: Double) {
            guard let energy = epoch.energyKilowattHoursRange, let co2 = epoch.co2eqGramsRange,
                [energy.lowerBound, energy.upperBound, co2.lowerBound, co2.upperBound].allSatisfy(
                    LogValue.usable)
            else { return }
            epochs += 1
            rangedJoules += joules
            energyLow += energy.lowerBound
            energyHigh += energy.upperBound
            co2Low += co2.lowerBound
            co2High += co2.upperBound
        }
    }

    private var energyLow = 0.0
    private var energyHigh = 0.0
    private var co2Low = 0.0
    private var co2High = 0.0
    /// Energy bounds of runs whose intensity is unknown, charged at the job's average at the end.
    private var unknownLow = 0.0
    private var unknownHigh = 0.0
    private var anyRange = false

    /// Adds one run.
    /// - Parameters:
    ///   - run: Its epochs that logged a range.
    ///   - joules: All its energy counted in the job, without PUE.
    ///   - powerUsageEffectiveness: Its PUE factor.
    ///   - intensity: Its average intensity in gCO2eq/kWh, or `nil` when unknown.
    mutating func add(_ run: Run, joules: Double, powerUsageEffectiveness pue: Double, intensity: Double?) {
        if run.epochs > 0 { anyRange = true }
        let unranged = max(0, joules - run.rangedJoules) * pue / 3_600_000
        let low = run.energyLow + unranged
        let high = run.energyHigh + unranged
        energyLow += low
        energyHigh += high
        if let intensity {
            co2Low += run.co2Low + unranged * intensity
            co2High += run.co2High + unranged * intensity
        } else {
            unknownLow += low
            unknownHigh += high
        }
    }

    /// Charges the runs without an intensity at `gramsPerKilowattHour`.
    mutating func chargeUnknownIntensity(at gramsPerKilowattHour: Double) {
        co2Low += unknownLow * gramsPerKilowattHour
        co2High += unknownHigh * gramsPerKilowattHour
    }

    /// The energy bounds in kilowatt-hours, widened to hold `value`; `nil` when no epoch gave one.
    func energy(around value: Double) -> ClosedRange<Double>? {
        guard anyRange, energyLow.isFinite, energyHigh.isFinite else { return nil }
        return min(energyLow, value)...max(energyHigh, value)
    }

    /// The CO2eq bounds in grams, widened to hold `value`; `nil` when no epoch gave one.
    func co2(around value: Double) -> ClosedRange<Double>? {
        guard anyRange, co2Low.isFinite, co2High.isFinite else { return nil }
        return min(co2Low, value)...max(co2High, value)
    }
}
