import CarbonTrackerSources

/// Turns one device's readings into a cumulative energy curve and answers "how much energy had been
/// used at time t" for any t up to the latest reading.
///
/// Counters are differenced; power is integrated with the trapezoid rule. Between two readings the
/// curve is linear, so an epoch boundary that falls between readings gets its share of the interval.
/// Memory is constant: only the last two points are kept.
struct DeviceEnergyCurve: Sendable {
    /// (time in seconds on the monotonic clock, cumulative joules since the first reading).
    private(set) var previous: (time: Double, joules: Double)?
    private(set) var latest: (time: Double, joules: Double)?
    private var lastCounter: Double?
    private var lastWatts: Double?
    /// The first reading's time and, for power sources, its power: boundaries stamped before the
    /// sampling thread's first reading are extrapolated at that power.
    private var first: (time: Double, watts: Double?)?

    /// Adds a reading taken at `time` (seconds, monotonic, non-decreasing).
    mutating func add(_ reading: DeviceReading, at time: Double) {
        var joules = latest?.joules ?? 0
        let elapsed = latest.map { max(0, time - $0.time) } ?? 0
        switch reading {
        case .cumulativeJoules(let counter):
            if let lastCounter { joules += max(0, counter - lastCounter) }
            lastCounter = counter
            lastWatts = nil
        case .watts(let watts):
            if let lastWatts {
                joules += (lastWatts + watts) / 2 * elapsed
            }
            lastWatts = watts
        case .unavailable:
            // Keep the last known rate rather than inventing a zero.
            if let lastWatts { joules += lastWatts * elapsed }
        }
        if first == nil {
            if case .watts(let watts) = reading { first = (time, watts) } else { first = (time, nil) }
        }
        previous = latest
        latest = (time, joules)
    }

    /// Cumulative joules at `time`, interpolated between the last two readings.
    ///
    /// Before the first reading, power readings extrapolate at the first rate and counters clamp
    /// to the first value; after the latest reading, the latest value is returned.
    func joules(at time: Double) -> Double {
        guard let latest, let first else { return 0 }
        if time >= latest.time { return latest.joules }
        if time < first.time { return -(first.watts ?? 0) * (first.time - time) }
        guard let previous, time > previous.time else { return previous?.joules ?? latest.joules }
        let span = latest.time - previous.time
        guard span > 0 else { return latest.joules }
        return previous.joules + (latest.joules - previous.joules) * (time - previous.time) / span
    }
}
