/// How far a carbon-intensity value may be from the intensity of the electricity the run really used,
/// by where the value came from: the bounds of every CO2 figure are the energy's bounds times these.
///
/// ```swift
/// IntensityUncertainty.range(of: .worldAverage)   // the spread of the countries' averages
/// ```
///
/// The relative bands are this package's stated choices, not measurements; the article "How sure the
/// figures are" in the documentation explains each. Computing a range costs a few multiplications
/// (the world spread is computed once, from the embedded country table).
public enum IntensityUncertainty {
    /// A live provider's value for the current hour or half-hour: ±10%, for the change the value can
    /// undergo between two refreshes and the provider's own modelling of the grid mix.
    public static let liveRelative = 0.10
    /// A live value the provider itself flags as estimated (filled in, not from grid data): ±25%.
    public static let estimatedLiveRelative = 0.25
    /// A provider's forecast over a prediction's remaining time: ±25%.
    public static let forecastRelative = 0.25
    /// A country's yearly average used for a run of any length at any hour: ±50%, for the spread of the
    /// hourly values around the yearly average in grids with much wind and sun.
    public static let countryAverageRelative = 0.50

    /// The 5th to the 95th percentile of the countries' yearly averages in the embedded table (Ember,
    /// Our World in Data), in gCO2eq/kWh: where the world average stands for an unknown location.
    public static let worldRange: ClosedRange<Double> = {
        let values = ReferenceData.countryIntensities.values.map(\.gramsPerKilowattHour).sorted()
        guard !values.isEmpty else { return 0...1_000 }
        func percentile(_ p: Double) -> Double {
            values[min(values.count - 1, max(0, Int((p * Double(values.count - 1)).rounded())))]
        }
        return percentile(0.05)...percentile(0.95)
    }()

    /// The bounds of `estimate`'s intensity, by where it came from.
    /// - Parameter estimate: The value and its provenance.
    /// - Returns: The low and high bounds in gCO2eq/kWh; they contain the value.
    public static func range(of estimate: IntensityEstimate) -> ClosedRange<Double> {
        let value = estimate.gramsPerKilowattHour
        let relative: Double
        if estimate.isPrediction && estimate.isFetched {
            relative = forecastRelative
        } else if estimate.isFetched {
            relative = estimate.isEstimated ? estimatedLiveRelative : liveRelative
        } else if estimate.isLocalized {
            relative = countryAverageRelative
        } else {
            return min(value, worldRange.lowerBound)...max(value, worldRange.upperBound)
        }
        return max(0, value * (1 - relative))...(value * (1 + relative))
    }
}
