extension Predictor {
    /// The bounds of ``predict(totalEpochs:measured:)``: the measured epochs' own bounds extrapolated the
    /// same way, widened by what the epoch-to-epoch variation leaves open.
    ///
    /// With `n` epochs measured of `N`, the sample deviation `s` of the measured values, and the remaining
    /// `r = N − n` epochs: the mean is known to `s/√n`, which the prediction multiplies by `r`, and the
    /// remaining epochs' sum varies by `s·√r` when they vary as the measured ones did; the bounds move out
    /// by twice the sum of both (about 95% for a normal spread). With one epoch measured there is no
    /// variation to see and only the measured bounds are extrapolated.
    /// - Parameters:
    ///   - totalEpochs: Epochs the whole run will have.
    ///   - measured: One value per measured epoch.
    ///   - lows: Each measured epoch's lower bound.
    ///   - highs: Each measured epoch's upper bound.
    /// - Returns: The bounds of the predicted total; they contain the prediction.
    package static func predictRange(
        totalEpochs: Int, measured: [Double], lows: [Double], highs: [Double]
    ) -> ClosedRange<Double> {
        let value = predict(totalEpochs: totalEpochs, measured: measured)
        guard !measured.isEmpty, lows.count == measured.count, highs.count == measured.count else {
            return value...value
        }
        let count = Double(measured.count)
        let remaining = max(0, Double(totalEpochs) - count)
        var spread = 0.0
        if measured.count > 1 {
            let mean = measured.reduce(0, +) / count
            let variance = measured.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / (count - 1)
            spread = 2 * variance.squareRoot() * (remaining / count.squareRoot() + remaining.squareRoot())
        }
        let low = predict(totalEpochs: totalEpochs, measured: lows) - spread
        let high = predict(totalEpochs: totalEpochs, measured: highs) + spread
        return max(0, min(low, value))...max(high, value)
    }
}
