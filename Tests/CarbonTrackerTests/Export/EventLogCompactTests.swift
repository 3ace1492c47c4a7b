import Foundation
import Testing

@testable import CarbonTracker
@testable import CarbonTrackerMonitor
@testable import CarbonTrackerSources

/// The compact event log (`carbontracker.events/2`): its size per epoch, the energy and CO2 bounds, and
/// the reader's handling of both versions.
@Suite struct EventLogCompactTests {
    /// Encodes `events` after a `run_started` of `description` and returns the lines after it.
    static func lines(_ events: [RunEvent], description: RunDescription = ExportTest.description())
        -> [String]
    {
        var encoder = EventLogEncoder(runID: description.runID)
        var json = JSONWriter()
        encoder.append(.runStarted(description), now: ExportTest.start, to: &json)
        for event in events { encoder.append(event, now: ExportTest.start, to: &json) }
        return json.text.split(separator: "\n").dropFirst().map(String.init)
    }

    static func scan(_ text: String) -> (LogParser.StandardLog, LogParser.OutputLog) {
        var scanner = EventLogScanner()
        for line in text.split(separator: "\n") {
            Array(line.utf8).withUnsafeBufferPointer { scanner.consume(LogBytes($0)) }
        }
        return scanner.finish()
    }

    /// A CPU and a GPU of one device each, as most runs have.
    static let twoComponents = RunDescription(
        runID: "r_1.2_2026-01-01T000000Z", version: "2.4.7-swift.2", startDate: ExportTest.start,
        components: [
            ComponentInfo(
                kind: .gpu, handlerName: "nvml", devices: ["NVIDIA H100 80GB HBM3"], method: .counter),
            ComponentInfo(kind: .cpu, handlerName: "rapl", devices: ["cpu:0"], method: .counter),
        ],
        powerUsageEffectiveness: 1.58, configuration: [:], node: "n")

    /// An hour-long epoch late in a long run, every figure at full width, with real bounds.
    static func longEpoch(number: Int, method: MeasurementMethod = .counter) -> WindowMeasurement {
        let seconds = 3_599.123_456_789
        let joules = (gpu: 698.765_432_1 * seconds, cpu: 123.456_789_1 * seconds)
        let kilowattHours = (joules.gpu + joules.cpu) * 1.58 / 3_600_000
        var measurement = WindowMeasurement(
            name: "epoch \(number)", startDate: ExportTest.start.addingTimeInterval(987_654.321_987),
            endDate: ExportTest.start.addingTimeInterval(987_654.321_987 + seconds), durationSeconds: seconds,
            components: [
                ComponentEnergy(
                    kind: .gpu, devices: ["NVIDIA H100 80GB HBM3"], method: .counter, joules: [joules.gpu],
                    averageWatts: [698.765_432_1]),
                ComponentEnergy(
                    kind: .cpu, devices: ["cpu:0"], method: method, joules: [joules.cpu],
                    averageWatts: [123.456_789_1]),
            ],
            energyKilowattHours: kilowattHours, co2eqGrams: kilowattHours * 312.345_678_9,
            gramsPerKilowattHour: 312.345_678_9, isApproximate: true)
        measurement.energyKilowattHoursRange =
            (kilowattHours * 0.912_345_678_9)...(kilowattHours * 1.087_654_321)
        measurement.co2eqGramsRange = (kilowattHours * 287.123_456_7)...(kilowattHours * 341.987_654_3)
        return measurement
    }

    @Test func anEpochLineOfATwoComponentRunIsAtMost250BytesWithItsBounds() throws {
        let measurement = Self.longEpoch(number: 1_234_567)
        let lines = Self.lines([.epoch(number: 1_234_567, measurement)], description: Self.twoComponents)
        let line = try #require(lines.first)
        #expect(line.utf8.count + 1 <= 250, "\(line.utf8.count + 1) bytes: \(line)")
        let object = try #require(JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        for name in ["energy_kwh_low", "energy_kwh_high", "co2eq_grams_low", "co2eq_grams_high"] {
            #expect(object[name] is Double, "\(name) in \(line)")
        }
        #expect(object["approx"] as? Bool == true)

        // Read back: the instants, the energy per device to the microjoule and the bounds to 6 digits.
        let (log, _) = Self.scan(lines.joined(separator: "\n"))
        #expect(log.epochs.isEmpty, "without its run_started line an epoch line is not an event")
        let text = try Self.file([.epoch(number: 1_234_567, measurement)], description: Self.twoComponents)
        let (read, _) = Self.scan(text)
        let epoch = try #require(read.epochs.first)
        #expect(epoch.number == 1_234_567)
        #expect(approximatelyEqual(epoch.durationSeconds, measurement.durationSeconds, tolerance: 1e-9))
        let start = try #require(epoch.startDate)
        #expect(abs(start.timeIntervalSince(measurement.startDate)) < 0.000_501)
        #expect(epoch.components.map(\.name) == ["gpu", "cpu"])
        let gpu = try #require(epoch.component("gpu")?.measuredEnergyJoules?.first)
        #expect(abs(gpu - measurement.components[0].joules[0]) <= 0.000_000_5 + 1e-9)
        #expect(epoch.component("cpu")?.measurementMethod == .counter)
        let energy = try #require(epoch.energyKilowattHoursRange)
        let co2 = try #require(epoch.co2eqGramsRange)
        #expect(
            approximatelyEqual(
                energy.lowerBound, measurement.energyKilowattHoursRange.lowerBound, tolerance: 5e-6))
        #expect(
            approximatelyEqual(
                energy.upperBound, measurement.energyKilowattHoursRange.upperBound, tolerance: 5e-6))
        #expect(approximatelyEqual(co2.lowerBound, measurement.co2eqGramsRange.lowerBound, tolerance: 5e-6))
        #expect(approximatelyEqual(co2.upperBound, measurement.co2eqGramsRange.upperBound, tolerance: 5e-6))
        #expect(energy.lowerBound < energy.upperBound, "a real range stays a range")
    }

    /// The whole file: `run_started` and `lines`.
    static func file(_ events: [RunEvent], description: RunDescription = ExportTest.description()) throws
        -> String
    {
        var encoder = EventLogEncoder(runID: description.runID)
        var json = JSONWriter()
        encoder.append(.runStarted(description), now: ExportTest.start, to: &json)
        for event in events { encoder.append(event, now: ExportTest.start, to: &json) }
        return json.text
    }

    @Test func aRangeOfOneValueStaysOneValue() throws {
        let text = try Self.file([ExportTest.epoch(1)])
        let (log, _) = Self.scan(text)
        let energy = try #require(log.epochs.first?.energyKilowattHoursRange)
        let co2 = try #require(log.epochs.first?.co2eqGramsRange)
        #expect(energy.lowerBound == energy.upperBound && co2.lowerBound == co2.upperBound)
    }

    @Test func windowsAndReportsCarryTheirBounds() throws {
        var window = ExportTest.measurement("eval", offset: 1, seconds: 0.5)
        window.energyKilowattHoursRange = 0.000_1...0.000_3
        window.co2eqGramsRange = 0.04...0.13
        var report = ExportTest.report(.actual, epochs: 3)
        report.energyKilowattHoursRange = 0.001...0.002
        report.co2eqGramsRange = 0.5...0.9
        let text = try Self.file([.window(window), .actual(report)])
        let (log, output) = Self.scan(text)
        #expect(log.windows.first?.energyKilowattHoursRange == 0.000_1...0.000_3)
        #expect(log.windows.first?.co2eqGramsRange == 0.04...0.13)
        #expect(output.actual?.energyKilowattHoursRange == 0.001...0.002)
        #expect(output.actual?.co2eqGramsRange == 0.5...0.9)
    }

    @Test func aMethodOtherThanTheDeclaredOneIsNamedOnItsEpoch() throws {
        let measurement = Self.longEpoch(number: 4, method: .incomplete)
        let lines = Self.lines([.epoch(number: 4, measurement)], description: Self.twoComponents)
        let line = try #require(lines.first)
        let object = try #require(JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        #expect(object["methods"] as? [String] == ["counter", "incomplete"])
        let (log, _) = Self.scan(
            try Self.file([.epoch(number: 4, measurement)], description: Self.twoComponents))
        #expect(log.epochs.first?.component("cpu")?.measurementMethod == .incomplete)
        #expect(log.epochs.first?.component("gpu")?.measurementMethod == .counter)
    }

    @Test func anEpochWithOtherComponentsThanDeclaredNamesThem() throws {
        // The run declared a GPU and a two-device CPU; this epoch has the GPU alone.
        var measurement = ExportTest.measurement("epoch 1", offset: 0, seconds: 2)
        measurement.components.removeLast()
        let text = try Self.file([.epoch(number: 1, measurement)])
        let line = try #require(text.split(separator: "\n").last)
        #expect(line.contains(#""components":[{"component":"gpu""#) && !line.contains(#""j":"#))
        let (log, _) = Self.scan(text)
        #expect(log.epochs.first?.components.map(\.name) == ["gpu"])
        #expect(log.epochs.first?.component("gpu")?.measuredEnergyJoules == [496])
        #expect(log.epochs.first?.durationSeconds == 2)
    }

    @Test func aVersion1EventLogIsStillRead() throws {
        let run = #""run":"r_1.2_2026-09-21T141320Z""#
        let text = [
            #"{"schema":"carbontracker.events/1","event":"run_started","time":"2026-09-21T14:13:20.250Z","#
                + run
                + #","version":"2.4.7-swift.1","start":"2026-09-21T14:13:20.250Z","node":"n","location":null,"pue":1.58,"configuration":{},"labels":{},"components":[{"component":"gpu","handler":"simulated","devices":["Sim A100"],"method":"simulated"}]}"#,
            #"{"schema":"carbontracker.events/1","event":"epoch","time":"2026-09-21T14:13:22.250Z","#
                + run
                + #","epoch":1,"name":"epoch 1","start":"2026-09-21T14:13:20.250Z","end":"2026-09-21T14:13:22.250Z","duration_seconds":2.0,"energy_kwh":0.000217688889,"co2eq_grams":0.096871555556,"intensity_g_per_kwh":445.0,"approximate":false,"components":[{"component":"gpu","devices":["Sim A100"],"energy_joules":[496.0],"average_power_watts":[248.0],"method":"simulated"}]}"#,
            #"{"schema":"carbontracker.events/1","event":"actual","time":"2026-09-21T14:13:22.300Z","#
                + run
                + #","epochs":1,"duration_seconds":2.0,"energy_kwh":0.000217688889,"co2eq_grams":0.096871555556,"intensity_g_per_kwh":445.0,"equivalents":[],"components":[]}"#,
            #"{"schema":"carbontracker.events/1","event":"run_ended","time":"2026-09-21T14:13:22.300Z","#
                + run + #","interrupted":false,"epochs":1}"#,
        ].joined(separator: "\n")
        let (log, output) = Self.scan(text)
        #expect(log.warnings.isEmpty, "\(log.warnings)")
        #expect(log.epochs.map(\.number) == [1])
        #expect(log.epochs.first?.component("gpu")?.measuredEnergyJoules == [496])
        #expect(log.epochs.first?.component("gpu")?.averagePowerWatts == [248])
        #expect(log.epochs.first?.energyKilowattHoursRange == nil, "version 1 has no bounds")
        #expect(output.actual?.energyKilowattHours == 0.000217688889)
        #expect(output.actual?.energyKilowattHoursRange == nil)
        #expect(log.isComplete)
        #expect(log.firstTimestamp == LogTime.line(ExportTest.start))
    }
}
