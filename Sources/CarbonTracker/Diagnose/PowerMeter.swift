/// The average power of one device over a window, from whatever its readings are: counter differences,
/// or the trapezoid integral of power samples. Keeps only running sums.
struct PowerMeter: Sendable {
    private var firstCounter: (time: Double, joules: Double)?
    private var lastCounter: (time: Double, joules: Double)?
    private var lastSample: (time: Double, watts: Double)?
    private var firstSampleTime: Double?
    private var integralJoules = 0.0

    /// Adds one reading taken at `time` (seconds on a monotonic clock).
    mutating func add(_ reading: DeviceReading, at time: Double) {
        switch reading {
        case .cumulativeJoules(let joules):
            if firstCounter == nil { firstCounter = (time, joules) }
            lastCounter = (time, joules)
        case .watts(let watts):
            if let last = lastSample, time > last.time {
                integralJoules += (last.watts + watts) / 2 * (time - last.time)
            }
            if firstSampleTime == nil { firstSampleTime = time }
            lastSample = (time, watts)
        case .unavailable:
            break
        }
    }

    /// The average power in watts, or `nil` without enough readings.
    var averageWatts: Double? {
        if let first = firstCounter, let last = lastCounter {
            return last.time > first.time ? (last.joules - first.joules) / (last.time - first.time) : nil
        }
        guard let first = firstSampleTime, let last = lastSample else { return nil }
        return last.time > first ? integralJoules / (last.time - first) : last.watts
    }
}
