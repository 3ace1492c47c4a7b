import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Seconds on the monotonic clock since a fixed origin, for durations that wall-clock changes
/// (NTP steps, daylight saving) cannot disturb.
///
/// Read with one `clock_gettime` (a vDSO call, ~25 ns): it is stamped at every window boundary and
/// several times per sample. On Linux the clock is `CLOCK_BOOTTIME`, which, like Swift's
/// `ContinuousClock`, keeps counting while the machine is suspended.
package struct MonotonicTime: Sendable {
    @usableFromInline let origin: Double

    /// Starts the clock at this instant.
    package init() { origin = Self.seconds() }

    /// Seconds since this value was created. Inlinable: it is read at every window boundary, from
    /// other targets.
    @inlinable
    package func now() -> Double {
        Self.seconds() - origin
    }

    @inlinable
    static func seconds() -> Double {
        var time = timespec()
        #if os(Linux)
            clock_gettime(CLOCK_BOOTTIME, &time)
        #else
            clock_gettime(CLOCK_MONOTONIC_RAW, &time)
        #endif
        return Double(time.tv_sec) + Double(time.tv_nsec) * 1e-9
    }
}
