import Foundation

/// One interval of a provider's forecast: the intensity expected from `start` until `end`.
package struct ForecastPoint: Sendable, Equatable {
    /// Start of the interval (wall clock, as the provider stamps it).
    var start: Date
    /// End of the interval.
    var end: Date
    /// The expected intensity in gCO2eq/kWh.
    package var gramsPerKilowattHour: Double
}

/// Averages a forecast over a time window.
package enum ForecastSeries {
    /// The time-weighted mean intensity over `[from, from + seconds]`, counting only the parts the
    /// forecast covers; for a zero-length window, the interval containing `from`.
    /// - Returns: gCO2eq/kWh, or `nil` when the forecast does not cover the window at all.
    package static func mean(_ points: [ForecastPoint], from: Date, seconds: Double) -> Double? {
        let usable = points.filter { $0.end > $0.start && $0.gramsPerKilowattHour.isFinite }
        guard seconds > 0 else {
            return usable.first { $0.start <= from && from < $0.end }?.gramsPerKilowattHour
        }
        let to = from.addingTimeInterval(seconds)
        var weighted = 0.0
        var covered = 0.0
        for point in usable {
            let overlap = min(point.end, to).timeIntervalSince(max(point.start, from))
            guard overlap > 0 else { continue }
            weighted += overlap * point.gramsPerKilowattHour
            covered += overlap
        }
        return covered > 0 ? weighted / covered : nil
    }

    /// Points from start times only: each lasts until the next one starts, the last for `lastLength`.
    static func points(starts: [(Date, Double)], lastLength: TimeInterval) -> [ForecastPoint] {
        let sorted = starts.sorted { $0.0 < $1.0 }
        return sorted.enumerated().map { index, entry in
            let end = index + 1 < sorted.count ? sorted[index + 1].0 : entry.0.addingTimeInterval(lastLength)
            return ForecastPoint(start: entry.0, end: end, gramsPerKilowattHour: entry.1)
        }
    }
}
