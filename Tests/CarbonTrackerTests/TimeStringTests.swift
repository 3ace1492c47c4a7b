import Testing

@testable import CarbonTracker
@testable import CarbonTrackerMonitor
@testable import CarbonTrackerSources

@Suite struct TimeStringTests {
    @Test(arguments: [
        (0.0, "0:00:00"), (1.0, "0:00:01"), (59.4, "0:00:59"), (59.5, "0:01:00"), (0.5, "0:00:00"),
        (1.5, "0:00:02"), (2.5, "0:00:02"), (3599.5, "1:00:00"), (3725.4, "1:02:05"), (-61.0, "-0:01:01"),
        (90061.0, "25:01:01"),
    ])
    func wholeSeconds(seconds: Double, expected: String) {
        #expect(TimeString.format(seconds: seconds) == expected)
    }

    @Test(arguments: [
        (0.4, "0:00:00.40"), (0.25, "0:00:00.25"), (59.994, "0:00:59.99"), (59.995, "0:00:59.99"),
        (59.996, "0:01:00.00"),
        (119.999, "0:02:00.00"), (3600.123, "1:00:00.12"), (-0.4, "-0:00:00.40"), (0.125, "0:00:00.12"),
    ])
    func hundredths(seconds: Double, expected: String) {
        #expect(TimeString.format(seconds: seconds, withHundredths: true) == expected)
    }
}
