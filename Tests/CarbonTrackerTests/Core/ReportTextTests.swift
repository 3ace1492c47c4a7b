import Foundation
import Testing

@testable import CarbonTracker
@testable import CarbonTrackerMonitor
@testable import CarbonTrackerSources

/// The report text must be byte-for-byte Python carbontracker's: compare with its own output logs.
@Suite struct ReportTextTests {
    private func fixture(_ name: String) throws -> String {
        let url = try #require(
            Bundle.module.url(forResource: "Fixtures/python-logs/\(name)", withExtension: nil))
        return try String(contentsOf: url, encoding: .utf8)
    }

    private func report(duration: Double, energy: Double, co2: Double, km: Double?) -> ConsumptionReport {
        ConsumptionReport(
            kind: .actual, epochs: 3, durationSeconds: duration, energyKilowattHours: energy, co2eqGrams: co2,
            gramsPerKilowattHour: 445,
            equivalents: km.map { [.init(unit: "km travelled by car", amount: $0)] } ?? [], components: [],
            epochDurationsSeconds: [])
    }

    @Test func matchesPythonPredictionAndActualBlocks() throws {
        let output = try fixture("7441.593662_2026-11-21T063448Z_carbontracker_output.log")
        let predicted = report(duration: 2.4, energy: 0.000314563630, co2: 0.139980815439, km: 0.001310681792)
        #expect(
            output.contains(
                predicted.text(heading: "Predicted consumption for 6 epoch(s):", decimalPrecision: 12)))
        let actual = report(duration: 1.2, energy: 0.000157505082, co2: 0.070089761311, km: 0.000656271173)
        #expect(
            output.contains(actual.text(heading: "Actual consumption for 3 epoch(s):", decimalPrecision: 12)))
    }

    @Test func matchesPythonWithoutEquivalentsAndWithLowPrecision() throws {
        let plain = try fixture("7582.678931_2026-11-21T063456Z_carbontracker_output.log")
        let noConversions = report(duration: 0.9, energy: 0.000118023612, co2: 0.052520507483, km: nil)
        #expect(
            plain.contains(
                noConversions.text(heading: "Actual consumption for 3 epoch(s):", decimalPrecision: 12)))
        let short = try fixture("7594.780737_2026-11-21T063459Z_carbontracker_output.log")
        let lowPrecision = report(duration: 0.9, energy: 0.000118, co2: 0.0525, km: 0.000491)
        #expect(
            short.contains(
                lowPrecision.text(heading: "Actual consumption for 3 epoch(s):", decimalPrecision: 4)))
    }

    @Test func actualHeadingWithoutPrediction() throws {
        let output = try fixture("7557.73098_2026-11-21T063451Z_carbontracker_output.log")
        let actual = report(duration: 0.8, energy: 0.000104871566, co2: 0.046667847038, km: 0.000436964860)
        #expect(output.contains(actual.text(heading: "Actual consumption:", decimalPrecision: 12)))
    }

    @Test func equivalentsUseTheLatestFactor() {
        let converted = ReferenceData.equivalents(forGrams: 0.139980815439)
        #expect(converted.count == 1)
        #expect(converted.first?.unit == "km travelled by car")
        // The fixture's CO2eq / km ratio is 106.8 g/km, the EEA 2024 factor: the last row of co2eq.csv.
        #expect(converted.first?.amount == 0.139980815439 / 106.8)
        #expect(abs(0.139980815439 / 0.001310681792 - 106.8) < 1e-6)
    }

    @Test func logNumbersReadLikePython() {
        #expect(LogNumber.list([248.0]) == "248.0")
        #expect(LogNumber.list([50.49999999999]) == "50.5")
        #expect(LogNumber.list([12.5, 30]) == "[12.5 30.0]")
        #expect(LogNumber.seconds(900) == "900")
        #expect(LogNumber.seconds(0.5) == "0.5")
    }
}
