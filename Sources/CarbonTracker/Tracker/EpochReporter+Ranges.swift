extension EpochReporter {
    /// The bounds of a predicted run: the energy's from ``Predictor/predictRange(totalEpochs:measured:lows:highs:)``,
    /// the CO2's as the measured CO2's bounds plus the remaining energy's bounds times the forecast's.
    static func predictedRanges(
        epochs: Int, perEpoch: [Double], perEpochRanges: [ClosedRange<Double>],
        measuredCO2Range: ClosedRange<Double>, forecast: ClosedRange<Double>
    ) -> (energy: ClosedRange<Double>, co2: ClosedRange<Double>) {
        let lows = perEpochRanges.map(\.lowerBound)
        let highs = perEpochRanges.map(\.upperBound)
        let energy = Predictor.predictRange(totalEpochs: epochs, measured: perEpoch, lows: lows, highs: highs)
        let remainingLow = max(0, energy.lowerBound - lows.reduce(0, +))
        let remainingHigh = max(0, energy.upperBound - highs.reduce(0, +))
        let co2Low = measuredCO2Range.lowerBound + remainingLow * forecast.lowerBound
        let co2High = measuredCO2Range.upperBound + remainingHigh * forecast.upperBound
        let co2 = co2Low...max(co2Low, co2High)
        return (energy, co2)
    }

    /// `range` widened to contain `value` (the bounds are summed separately from the value, so rounding
    /// can leave the value a hair outside).
    static func containing(_ range: ClosedRange<Double>, _ value: Double) -> ClosedRange<Double> {
        min(range.lowerBound, value)...max(range.upperBound, value)
    }
}
