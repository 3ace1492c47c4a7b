import Foundation

/// A carbon-intensity source that always reports one value, with Python's log lines for it.
///
/// ```swift
/// let source = FixedIntensitySource(.worldAverage)
/// source.current().gramsPerKilowattHour   // 445
/// ```
public final class FixedIntensitySource: CarbonIntensitySource {
    private let estimate: IntensityEstimate
    private let refreshIntervalSeconds: Double

    /// Creates a source that reports `estimate` throughout.
    /// - Parameters:
    ///   - estimate: The value to report.
    ///   - refreshIntervalSeconds: The interval named in the closing log line (Python's 900 s).
    public init(_ estimate: IntensityEstimate, refreshIntervalSeconds: Double = 900) {
        self.estimate = estimate
        self.refreshIntervalSeconds = refreshIntervalSeconds
    }

    /// Logs which value is used, in Python's words.
    public func start(diagnostics: any DiagnosticsReporter) {
        let value = String(format: "%.2f", estimate.gramsPerKilowattHour)
        if estimate.isLocalized, let country = estimate.countryCode {
            diagnostics.warning(
                "No carbon intensity provider specified. Using average carbon intensity for \(country): \(value) gCO2eq/kWh."
            )
        } else if !estimate.isLocalized {
            diagnostics.warning(
                "No carbon intensity provider specified and no location detected. Defaulting to global average "
                    + "carbon intensity for \(IntensityEstimate.worldAverageYear): \(value) gCO2eq/kWh.")
        }
    }
    /// The fixed value.
    public func current() -> IntensityEstimate { estimate }
    /// The fixed value.
    public func forecast(durationSeconds: Double) -> IntensityEstimate { estimate }
    /// The fixed value, once.
    public func summary() -> IntensitySummary {
        IntensitySummary(
            address: estimate.address, intensities: [estimate.gramsPerKilowattHour],
            refreshIntervalSeconds: refreshIntervalSeconds)
    }
    /// Nothing to stop.
    public func stop() {}
}
