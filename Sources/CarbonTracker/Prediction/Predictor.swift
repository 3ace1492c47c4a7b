/// Extrapolates a whole training run from the epochs measured so far (Python's `predictor`).
///
/// ```swift
/// Predictor.predict(totalEpochs: 10, measured: [2.0, 4.0])   // 30.0
/// ```
package enum Predictor {
    /// Predicts a total as `totalEpochs` × the mean of the measured per-epoch values.
    /// - Parameters:
    ///   - totalEpochs: Epochs the whole run will have.
    ///   - measured: One value per measured epoch (energy, seconds, ...).
    /// - Returns: The predicted total, or 0 when nothing was measured.
    package static func predict(totalEpochs: Int, measured: [Double]) -> Double {
        guard !measured.isEmpty else { return 0 }
        return Double(totalEpochs) * (measured.reduce(0, +) / Double(measured.count))
    }
}
