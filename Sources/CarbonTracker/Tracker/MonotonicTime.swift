/// Seconds on the monotonic clock since a fixed origin, for durations that wall-clock changes
/// (NTP steps, daylight saving) cannot disturb.
struct MonotonicTime: Sendable {
    private let origin = ContinuousClock.now

    /// Seconds since this value was created.
    func now() -> Double {
        let elapsed = ContinuousClock.now - origin
        let (seconds, attoseconds) = elapsed.components
        return Double(seconds) + Double(attoseconds) * 1e-18
    }
}
