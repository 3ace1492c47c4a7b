import CarbonTrackerSources

/// Turns one device's readings into a cumulative energy curve and answers "how much energy had been
/// used at time t" for any t up to the latest reading.
///
/// Counters are differenced; power is integrated with the trapezoid rule. Between two readings the
/// curve is linear, so an epoch boundary that falls between readings gets its share of the interval.
/// Memory is constant: only the last two points are kept, with running sums for the energy's bounds
/// (``SampleVariation``).
struct DeviceEnergyCurve: Sendable {
    /// One point of the curve: time in seconds on the monotonic clock, cumulative joules since the first
    /// reading, and the cumulative Σ Δt² of the intervals integrated from power samples.
    struct Point {
        var time: Double
        var joules: Double
        var squaredSeconds: Double
    }

    private(set) var previous: Point?
    private(set) var latest: Point?
    private var lastCounter: Double?
    private var lastWatts: Double?
    /// The first reading's time and, for power sources, its power: boundaries stamped before the
    /// sampling thread's first reading are extrapolated at that power.
    private var first: (time: Double, watts: Double?)?
    /// How much power samples vary from one to the next, and the power seen around the latest reading.
    private(set) var variation = SampleVariation()
    /// When a reading last added energy: a source that died stops adding.
    private(set) var lastAdvanceTime = -Double.infinity

    /// Adds a reading taken at `time` (seconds, monotonic, non-decreasing).
    mutating func add(_ reading: DeviceReading, at time: Double) {
        var joules = latest?.joules ?? 0
        var squaredSeconds = latest?.squaredSeconds ?? 0
        let elapsed = latest.map { max(0, time - $0.time) } ?? 0
        switch reading {
        case .cumulativeJoules(let counter):
            if let lastCounter { joules += max(0, counter - lastCounter) }
            lastCounter = counter
            lastWatts = nil
        case .watts(let watts):
            if let lastWatts {
                joules += (lastWatts + watts) / 2 * elapsed
                squaredSeconds += elapsed * elapsed
                variation.addDifference(watts - lastWatts)
            }
            lastWatts = watts
            variation.addSample(watts)
        case .unavailable:
            // Keep the last known rate rather than inventing a zero.
            if let lastWatts {
                joules += lastWatts * elapsed
                squaredSeconds += elapsed * elapsed
            }
        }
        if let latest, elapsed > 0 {
            variation.addRate((joules - latest.joules) / elapsed)
        } else if case .watts(let watts) = reading {
            variation.addRate(watts)
        }
        if joules > (latest?.joules ?? 0) { lastAdvanceTime = time }
        if first == nil {
            if case .watts(let watts) = reading { first = (time, watts) } else { first = (time, nil) }
        }
        previous = latest
        latest = Point(time: time, joules: joules, squaredSeconds: squaredSeconds)
    }

    /// Cumulative joules at `time`, interpolated between the last two readings.
    ///
    /// Before the first reading, power readings extrapolate at the first rate and counters clamp
    /// to the first value; after the latest reading, the latest value is returned.
    func joules(at time: Double) -> Double {
        point(at: time).joules
    }

    /// The curve at `time`: cumulative joules and Σ Δt², interpolated as ``joules(at:)``.
    func point(at time: Double) -> Point {
        guard let latest, let first else { return Point(time: time, joules: 0, squaredSeconds: 0) }
        if time >= latest.time { return latest }
        if time < first.time {
            return Point(time: time, joules: -(first.watts ?? 0) * (first.time - time), squaredSeconds: 0)
        }
        guard let previous, time > previous.time else { return previous ?? latest }
        let span = latest.time - previous.time
        guard span > 0 else { return latest }
        let fraction = (time - previous.time) / span
        return Point(
            time: time, joules: previous.joules + (latest.joules - previous.joules) * fraction,
            squaredSeconds: previous.squaredSeconds + (latest.squaredSeconds - previous.squaredSeconds)
                * fraction)
    }
}

/// Running figures of one device's readings that bound its energy: how much power samples vary from one
/// to the next, the power seen around the latest reading, and the highest power seen. Constant size,
/// updated without allocation.
struct SampleVariation: Sendable {
    /// Σ (Δwatts)² over successive power samples, and how many differences.
    private(set) var squaredDifferences = 0.0
    private(set) var differenceCount = 0
    /// The average power of the last two intervals (or the last two samples), in watts.
    private(set) var latestWatts = 0.0
    private(set) var previousWatts = 0.0
    /// The highest average power of any interval, in watts.
    private(set) var maximumWatts = 0.0
    /// The lowest and highest power sample, in watts (`+∞` and `-∞` before the first).
    private(set) var lowestSampleWatts = Double.infinity
    private(set) var highestSampleWatts = -Double.infinity

    mutating func addSample(_ watts: Double) {
        guard watts.isFinite else { return }
        lowestSampleWatts = min(lowestSampleWatts, watts)
        highestSampleWatts = max(highestSampleWatts, watts)
    }

    mutating func addDifference(_ difference: Double) {
        guard difference.isFinite else { return }
        squaredDifferences += difference * difference
        differenceCount += 1
    }

    mutating func addRate(_ watts: Double) {
        guard watts.isFinite else { return }
        previousWatts = latestWatts
        latestWatts = max(0, watts)
        maximumWatts = max(maximumWatts, latestWatts)
    }

    /// The power seen around the latest reading: the higher of the last two intervals' averages.
    var wattsAround: Double { max(latestWatts, previousWatts) }

    /// The standard deviation of a power sample around the power the trapezoid rule draws through its
    /// neighbours, in watts: for samples with independent errors, Var(Δ) = 2σ², so σ² = Σ Δ² / (2n).
    var sampleDeviationWatts: Double {
        differenceCount > 0 ? (squaredDifferences / Double(2 * differenceCount)).squareRoot() : 0
    }

    /// How many deviations the sampled term spans: 3 (99.7% of a normal error) widened for a deviation
    /// estimated from few samples, as Student's t is: 3 × (1 + 2/n) (5 at n = 3, 3.2 at n = 30).
    var coverageFactor: Double {
        3 * (1 + 2 / Double(max(1, differenceCount)))
    }
}
