import CarbonTrackerSources

/// One measured slot's terms at a window's start, for the energy's bounds.
struct SlotStart {
    /// The curve's Σ Δt² of power-sample intervals at the start, in s².
    var squaredSeconds: Double
    /// How far a counter reading at the start can be off, in joules: one step plus one update
    /// period at the power seen around it.
    var counterJoules: Double
}

extension MeasuredSource {
    /// How far a counter reading on `curve` can be off: one step, plus one update period at the power
    /// seen around it.
    func counterJoules(_ curve: DeviceEnergyCurve) -> Double {
        counterResolutionJoules + counterUpdateSeconds * curve.variation.wattsAround
    }

    /// Keeps the terms of the source's error model: the counter terms also for the next window's start.
    mutating func readErrorModel(_ model: PowerErrorModel? = nil) {
        let model = model ?? component.errorModel()
        counterResolutionJoules = model.counterResolutionJoules
        counterUpdateSeconds = model.counterUpdatePeriodSeconds
        estimateRelativeError = model.estimateRelativeError
        attributionFactors = model.attributionFactors
    }
}

/// The low and high bounds of a window's energy, from how each component was measured.
///
/// Per device slot, the terms add up as follows: the power-sample term (k·σ·√ΣΔt², the samples'
/// independent errors adding in quadrature, kept between the lowest and the highest sample times the
/// window's duration) plus the counter terms at both ends (one step and one update
/// period at the power seen around each end), plus, for a source that stopped, the time after its last
/// reading at the highest power it drew (high bound only). Slots and components add linearly, since
/// their errors share causes (the same load drives CPU and GPU). An estimate's band and an attribution's
/// spread multiply the component's bounds. PUE multiplies both bounds and has no range of its own.
extension MeasureState {
    /// The bounds of one component's energy over `window`, ending at `end`, in joules without PUE.
    /// The source's facts (``refreshSourceFacts()``) are those of the reading at `end`.
    func joulesRange(
        of sourceIndex: Int, joules: [Double], window: OpenWindow, end: Double
    ) -> ClosedRange<Double> {
        var low = 0.0
        var high = 0.0
        let duration = end - window.startTime
        // The source's fields are read in place rather than copying it (its arrays, strings and component).
        let first = sources[sourceIndex].firstSlot
        let method = sources[sourceIndex].method
        let resolutionJoules = sources[sourceIndex].counterResolutionJoules
        let updateSeconds = sources[sourceIndex].counterUpdateSeconds
        for offset in 0..<sources[sourceIndex].deviceCount {
            let slot = first + offset
            let curve = curves[slot]
            let value = joules[offset]
            var halfWidth = 0.0
            if slot < window.startTerms.count {
                let start = window.startTerms[slot]
                let squaredSeconds = max(0, curve.point(at: end).squaredSeconds - start.squaredSeconds)
                halfWidth +=
                    curve.variation.coverageFactor * curve.variation.sampleDeviationWatts
                    * squaredSeconds.squareRoot()
                if updateSeconds > 0 || resolutionJoules > 0 {
                    // The window's own average power stands in where no interval was seen yet (a window that
                    // opens at the first reading).
                    let average = resolutionJoules + updateSeconds * (duration > 0 ? value / duration : 0)
                    halfWidth +=
                        max(start.counterJoules, average)
                        + max(resolutionJoules + updateSeconds * curve.variation.wattsAround, average)
                }
            }
            // Power between samples is bounded by the power the samples have shown: the window used no less
            // than the lowest sample and no more than the highest, over its duration.
            var floor = 0.0
            var ceiling = Double.infinity
            if curve.variation.differenceCount > 0 && duration > 0 {
                floor = max(0, curve.variation.lowestSampleWatts) * duration
                ceiling = curve.variation.highestSampleWatts * duration
            }
            var missing = 0.0
            if method == .incomplete {
                let unmeasured = max(0, end - max(window.startTime, curve.lastAdvanceTime))
                missing = unmeasured * curve.variation.maximumWatts
            }
            low += max(0, min(value, max(value - halfWidth, floor)))
            high += max(value, min(value + halfWidth, ceiling)) + missing
        }
        let band = sources[sourceIndex].estimateRelativeError
        let factors = sources[sourceIndex].attributionFactors
        low *= (1 - band) * factors.lowerBound
        high *= (1 + band) * factors.upperBound
        let total = joules.reduce(0, +)
        return Self.bounds(low, high, around: total)
    }

    /// `low...high`, widened to contain `value` and kept finite and non-negative.
    static func bounds(_ low: Double, _ high: Double, around value: Double) -> ClosedRange<Double> {
        guard value.isFinite else { return value.isNaN ? 0...0 : value...value }
        let lower = low.isFinite ? max(0, min(low, value)) : max(0, min(0, value))
        let upper = high.isFinite ? max(high, value, lower) : max(value, lower)
        return lower...upper
    }
}
