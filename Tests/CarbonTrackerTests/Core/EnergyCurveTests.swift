import Testing

@testable import CarbonTracker
@testable import CarbonTrackerMonitor
@testable import CarbonTrackerSources

@Suite struct EnergyCurveTests {
    @Test func trapezoidIntegratesPower() {
        var curve = DeviceEnergyCurve()
        curve.add(.watts(100), at: 0)
        curve.add(.watts(200), at: 2)  // 300 J
        curve.add(.watts(200), at: 3)  // +200 J
        #expect(curve.joules(at: 3) == 500)
        #expect(curve.joules(at: 10) == 500)
        // Interpolated inside the last interval.
        #expect(abs(curve.joules(at: 2.5) - 400) < 1e-9)
    }

    @Test func countersAreDifferenced() {
        var curve = DeviceEnergyCurve()
        curve.add(.cumulativeJoules(1_000), at: 0)
        curve.add(.cumulativeJoules(1_250), at: 1)
        curve.add(.cumulativeJoules(1_250), at: 2)
        curve.add(.cumulativeJoules(1_300), at: 3)
        #expect(curve.joules(at: 3) == 300)
        #expect(abs(curve.joules(at: 2.5) - 275) < 1e-9)
        // A decreasing counter (not wrap-corrected by its component) is never negative energy.
        curve.add(.cumulativeJoules(10), at: 4)
        #expect(curve.joules(at: 4) == 300)
    }

    @Test func unavailableReadingsKeepTheLastRate() {
        var curve = DeviceEnergyCurve()
        curve.add(.watts(50), at: 0)
        curve.add(.unavailable, at: 2)
        #expect(curve.joules(at: 2) == 100)
    }

    @Test func boundariesBeforeTheFirstReadingExtrapolatePower() {
        var curve = DeviceEnergyCurve()
        curve.add(.watts(10), at: 5)
        curve.add(.watts(10), at: 6)
        #expect(curve.joules(at: 6) - curve.joules(at: 4) == 20)
        var counter = DeviceEnergyCurve()
        counter.add(.cumulativeJoules(7), at: 5)
        #expect(counter.joules(at: 4) == 0)
        #expect(DeviceEnergyCurve().joules(at: 1) == 0)
    }
}
