import Foundation
import Testing

@testable import CarbonTracker
@testable import CarbonTrackerMonitor
@testable import CarbonTrackerSources

/// Each term of the range model on its own, and the bounds carried from windows to a tracker's reports.
@Suite struct RangeModelTests {
    /// A window of `seconds` over constant `watts` read once a second by a `TruthComponent`.
    static func window(
        method: MeasurementMethod, model: PowerErrorModel, watts: Double = 100, seconds: Int = 10,
        reading: (Double, Int) -> DeviceReading = { watts, second in .watts(watts) }
    ) -> WindowMeasurement {
        var monitor = SimulatedMonitor(component: TruthComponent(method: method, model: model))
        for second in 0...seconds {
            let requests: [WindowRequest.Kind] = second == 0 ? [.begin] : second == seconds ? [.end] : []
            monitor.read(reading(watts, second), at: Double(second), requests: requests)
        }
        return monitor.takeFinished()!
    }

    static func close(_ a: ClosedRange<Double>, _ b: ClosedRange<Double>) -> Bool {
        abs(a.lowerBound - b.lowerBound) < 1e-9 && abs(a.upperBound - b.upperBound) < 1e-9
    }

    @Test func constantSampledPowerAndSimulatedHardwareAreExact() {
        for method in [MeasurementMethod.sampled, .simulated] {
            let window = Self.window(method: method, model: .default(for: method))
            #expect(window.energyKilowattHours > 0)
            #expect(
                window.energyKilowattHoursRange == window.energyKilowattHours...window.energyKilowattHours)
            #expect(window.components[0].joulesRange == 1_000...1_000)
        }
    }

    @Test func sampledPowerIsBoundedByThePowerSeenAroundIt() {
        // Samples alternating 100 W and 300 W over 4 s: the statistical term alone would reach past
        // 0…1 200 J; the bounds stay within the lowest and highest sample times the duration.
        let window = Self.window(method: .sampled, model: .sampled, seconds: 4) { _, second in
            .watts(second % 2 == 0 ? 100 : 300)
        }
        let range = window.components[0].joulesRange
        #expect(window.components[0].joules[0] == 800)
        #expect(abs(range.lowerBound - 400) < 1e-9)
        #expect(abs(range.upperBound - 1_200) < 1e-9)
    }

    @Test func estimatesCarryTheirCitedBand() {
        let tdp = Self.window(method: .estimated, model: .thermalDesignPower)
        let range = tdp.components[0].joulesRange
        #expect(abs(range.lowerBound - 650) < 1e-6 && abs(range.upperBound - 1_350) < 1e-6)
        let perCPU = Self.window(method: .estimated, model: .perCPUModel).components[0].joulesRange
        #expect(abs(perCPU.lowerBound - 600) < 1e-6 && abs(perCPU.upperBound - 1_400) < 1e-6)
        #expect(PowerErrorModel.thermalDesignPower.citation?.contains("2506.14551") == true)
        #expect(PowerErrorModel.perCPUModel.citation?.contains("2509.22092") == true)
    }

    @Test func countersAreOffByAStepAndAnUpdatePeriodAtEachEnd() {
        let window = Self.window(method: .counter, model: .nvmlCounter) { watts, second in
            .cumulativeJoules(watts * Double(second))
        }
        // 100 W around both ends: 2 × (1 mJ + 0.1 s × 100 W) = ±20.002 J around 1 000 J.
        let range = window.components[0].joulesRange
        #expect(abs(range.lowerBound - (1_000 - 20.002)) < 1e-6)
        #expect(abs(range.upperBound - (1_000 + 20.002)) < 1e-6)
        #expect(abs(window.energyKilowattHoursRange.upperBound * 3_600_000 - 1_020.002) < 1e-6)
    }

    @Test func attributionSpreadScalesTheBounds() {
        var model = PowerErrorModel.rapl
        model.attributionFactors = 0.5...2
        let window = Self.window(method: .counter, model: model) { watts, second in
            .cumulativeJoules(watts * Double(second))
        }
        let range = window.components[0].joulesRange
        #expect(range.lowerBound < 501 && range.lowerBound > 499)
        #expect(range.upperBound > 1_999 && range.upperBound < 2_001)
    }

    @Test func aStoppedCounterIsWidenedToItsHighestPower() {
        // The counter stops moving after 4 s of a 10 s window: the rest may have run at 100 W.
        let window = Self.window(method: .incomplete, model: .rapl) { watts, second in
            .cumulativeJoules(watts * Double(min(second, 4)))
        }
        let range = window.components[0].joulesRange
        #expect(abs(window.components[0].joules[0] - 400) < 1e-9)
        #expect(range.lowerBound <= 400 && range.lowerBound > 399)
        #expect(range.upperBound > 999 && range.upperBound < 1_001)
    }

    @Test func co2BoundsAreEnergyBoundsTimesIntensityBounds() {
        var monitor = SimulatedMonitor(
            component: TruthComponent(method: .estimated, model: .thermalDesignPower))
        let live = IntensityEstimate(
            gramsPerKilowattHour: 200, isFetched: true, isLocalized: true, source: "live")
        monitor.intensity = IntensityInForce(live, isProvisional: false)
        for second in 0...10 {
            let requests: [WindowRequest.Kind] = second == 0 ? [.begin] : second == 10 ? [.end] : []
            monitor.read(.watts(360), at: Double(second), requests: requests)
        }
        let window = monitor.takeFinished()!
        // 3 600 J = 1 Wh, ±35%; 200 g/kWh ±10%.
        #expect(abs(window.co2eqGrams - 0.2) < 1e-12)
        #expect(abs(window.co2eqGramsRange.lowerBound - 0.001 * 0.65 * 180) < 1e-9)
        #expect(abs(window.co2eqGramsRange.upperBound - 0.001 * 1.35 * 220) < 1e-9)
    }

    @Test func intensityBoundsFollowWhereTheValueCameFrom() {
        var live = IntensityEstimate(
            gramsPerKilowattHour: 100, isFetched: true, isLocalized: true, source: "live")
        #expect(Self.close(live.gramsPerKilowattHourRange, 90...110))
        live.isEstimated = true
        #expect(Self.close(live.gramsPerKilowattHourRange, 75...125))
        live.isPrediction = true
        #expect(Self.close(live.gramsPerKilowattHourRange, 75...125))
        let country = IntensityEstimate(
            gramsPerKilowattHour: 100, isLocalized: true, source: "country average")
        #expect(Self.close(country.gramsPerKilowattHourRange, 50...150))
        let world = IntensityEstimate.worldAverage.gramsPerKilowattHourRange
        let countries = ReferenceData.countryIntensities.values.map(\.gramsPerKilowattHour)
        #expect(world.contains(IntensityEstimate.worldAverage.gramsPerKilowattHour))
        #expect(world.lowerBound > countries.min()! && world.upperBound < countries.max()!)
        let inside = countries.filter { world.contains($0) }.count
        #expect(Double(inside) / Double(countries.count) > 0.85)
    }

    @Test func predictionsExtrapolateTheBoundsAndTheEpochSpread() {
        let steady = Predictor.predictRange(
            totalEpochs: 10, measured: [1, 1], lows: [0.9, 0.9], highs: [1.2, 1.2])
        #expect(abs(steady.lowerBound - 9) < 1e-9 && abs(steady.upperBound - 12) < 1e-9)
        let varying = Predictor.predictRange(
            totalEpochs: 10, measured: [1, 3], lows: [1, 3], highs: [1, 3])
        #expect(varying.contains(20))
        #expect(varying.lowerBound < 20 && varying.upperBound > 20)
        #expect(Predictor.predictRange(totalEpochs: 5, measured: [], lows: [], highs: []) == 0...0)
    }

    @Test func trackerReportsCarryTheEpochsBounds() throws {
        let console = CapturedConsole()
        let tracker = try CarbonTracker(
            epochs: 3, epochsBeforePred: 1, updateInterval: 0.02,
            options: CoreTest.options(
                console, components: [TDPEstimateComponent(cpuinfoPath: nil, fallbackFor: [])]))
        try CoreTest.train(tracker, epochs: 3, seconds: 0.05)
        let epochs = tracker.epochMeasurements
        let actual = try #require(tracker.actualConsumption)
        let predicted = try #require(tracker.predictedConsumption)
        #expect(epochs.count == 3)
        for epoch in epochs {
            #expect(epoch.energyKilowattHoursRange.lowerBound < epoch.energyKilowattHours)
            #expect(epoch.energyKilowattHoursRange.upperBound > epoch.energyKilowattHours)
            #expect(epoch.co2eqGramsRange.contains(epoch.co2eqGrams))
            #expect(epoch.co2eqGramsRange.lowerBound < epoch.co2eqGrams)
        }
        let low = epochs.reduce(0) { $0 + $1.energyKilowattHoursRange.lowerBound }
        let high = epochs.reduce(0) { $0 + $1.energyKilowattHoursRange.upperBound }
        #expect(abs(actual.energyKilowattHoursRange.lowerBound - low) <= 1e-12 + low * 1e-9)
        #expect(abs(actual.energyKilowattHoursRange.upperBound - high) <= 1e-12 + high * 1e-9)
        // ±35% around the estimate, PUE on both bounds.
        #expect(abs(actual.energyKilowattHoursRange.upperBound / actual.energyKilowattHours - 1.35) < 1e-6)
        #expect(actual.co2eqGramsRange.contains(actual.co2eqGrams))
        #expect(predicted.energyKilowattHoursRange.contains(predicted.energyKilowattHours))
        #expect(predicted.energyKilowattHoursRange.upperBound > predicted.energyKilowattHours)
        #expect(predicted.co2eqGramsRange.contains(predicted.co2eqGrams))
    }

    @Test func settledIntensityRepricesTheProvisionalBounds() {
        var store = EpochStore()
        var epoch = WindowMeasurement(
            name: "epoch 1", startDate: Date(), endDate: Date(), durationSeconds: 1,
            components: [
                ComponentEnergy(
                    kind: .cpu, devices: ["c"], method: .sampled, joules: [3_600_000], averageWatts: [1])
            ],
            energyKilowattHours: 1, co2eqGrams: 100, gramsPerKilowattHour: 100, isApproximate: false)
        epoch.components[0].joulesRange = 1_800_000...7_200_000
        epoch.energyKilowattHoursRange = 0.5...2
        epoch.co2eqGramsRange = 25...400
        epoch.provisionalKilowattHours = 1
        epoch.provisionalGrams = 100
        epoch.provisionalGramsRange = 25...400
        store.append(epoch)
        store.settle(gramsPerKilowattHour: 300, range: 270...330)
        let settled = store.measurement(0, powerUsageEffectiveness: 1)
        #expect(settled.co2eqGrams == 300)
        #expect(abs(settled.co2eqGramsRange.lowerBound - 0.5 * 270) < 1e-9)
        #expect(abs(settled.co2eqGramsRange.upperBound - 2 * 330) < 1e-9)
        #expect(store.totalGramsRange == settled.co2eqGramsRange)
    }

    /// Bounds are kept in single precision, rounded outwards: each read-back bound still contains the
    /// value and lies within a relative 1e-7 of the bound measured.
    @Test func storedBoundsAreRoundedOutwardsAndStillContainTheValues() {
        var store = EpochStore()
        let values = [0.1, 1.0 / 3, 2.718281828459045, 123_456.789_012_345, 7e-12]
        for (index, value) in values.enumerated() {
            var epoch = WindowMeasurement(
                name: "epoch \(index + 1)", startDate: Date(), endDate: Date(), durationSeconds: 2,
                components: [
                    ComponentEnergy(kind: .gpu, devices: ["g"], method: .counter, joules: [value], seconds: 2)
                ],
                energyKilowattHours: value / 3_600_000, co2eqGrams: value, gramsPerKilowattHour: 100,
                isApproximate: false)
            // Bounds that equal the value (a simulated or exact figure), the case rounding could break.
            epoch.components[0].joulesRange = value...value
            epoch.co2eqGramsRange = (value * 0.9)...value
            store.append(epoch)
        }
        for (index, value) in values.enumerated() {
            let epoch = store.measurement(index, powerUsageEffectiveness: 1)
            let joules = epoch.components[0].joulesRange
            #expect(joules.contains(value) && joules.upperBound - joules.lowerBound <= value * 2e-7)
            #expect(epoch.co2eqGramsRange.contains(epoch.co2eqGrams))
            #expect(abs(epoch.co2eqGramsRange.lowerBound - value * 0.9) <= value * 1e-7)
            #expect(epoch.components[0].averageWatts == [value / 2])
        }
        let energy = store.kilowattHoursRange(1, powerUsageEffectiveness: 1)
        #expect(energy.contains(values[1] / 3_600_000))
    }

    /// Average power derived from the joules reads as if it had been stored: the same array, equal to a
    /// component given that array, and unchanged when the joules are replaced afterwards.
    @Test func derivedAveragePowerBehavesAsAStoredOne() {
        var derived = ComponentEnergy(
            kind: .cpu, devices: ["c"], method: .sampled, joules: [10, 30], seconds: 4)
        let given = ComponentEnergy(
            kind: .cpu, devices: ["c"], method: .sampled, joules: [10, 30], averageWatts: [2.5, 7.5])
        #expect(derived.averageWatts == [2.5, 7.5])
        #expect(derived.averageWattsCount == 2 && derived.averageWatt(at: 1) == 7.5)
        #expect(derived == given)
        derived.joules = [100, 300]
        #expect(derived.averageWatts == [2.5, 7.5])
        derived.averageWatts = [1]
        #expect(derived.averageWattsCount == 1 && derived.averageWatt(at: 0) == 1)
        let instant = ComponentEnergy(kind: .gpu, devices: ["g"], method: .counter, joules: [5], seconds: 0)
        #expect(instant.averageWatts == [0])
    }
}
