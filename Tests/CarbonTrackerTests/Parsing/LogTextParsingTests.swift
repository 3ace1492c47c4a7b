import Foundation
import Testing

@testable import CarbonTracker
@testable import CarbonTrackerMonitor
@testable import CarbonTrackerSources

/// The text-level functions, including the inputs Python's regular expressions misread.
@Suite struct LogTextParsingTests {
    static let stamp = "2026-11-21 06:34:50 - "

    static func log(_ lines: [String]) -> String {
        lines.map { $0.hasPrefix("\t") || $0.hasPrefix(" ") ? $0 : stamp + $0 }.joined(separator: "\n") + "\n"
    }

    @Test func multiDeviceNumpyArraysKeepEveryValue() {
        let text = Self.log([
            "Epoch 1:", "Duration: 0:00:01.00", "Average power usage (W) for gpu: [12.5 30. ]",
            "Epoch 2:", "Duration: 0:00:01.00", "Average power usage (W) for gpu: [1.e-05 3.e+00]",
            "Epoch 3:", "Duration: 0:00:01.00", "Average power usage (W) for gpu: [12.5, 30.0]",
        ])
        #expect(LogParser.getAvgPowerUsages(text) == ["gpu": [[12.5, 30], [0.00001, 3], [12.5, 30]]])
    }

    /// numpy wraps arrays longer than 75 characters onto lines without a timestamp.
    @Test func wrappedNumpyArraysAreJoined() {
        let text =
            Self.log(["Epoch 1:", "Duration: 0:00:02.00"])
            + Self.stamp
            + "Average power usage (W) for gpu: [248.12345679 248.12345679 248.12345679 248.12345679\n"
            + " 248.12345679 248.12345679]\n"
            + Self.log(["Average power usage (W) for cpu: 50.5"])
        let powers = LogParser.getAvgPowerUsages(text)
        #expect(powers["gpu"] == [Array(repeating: 248.12345679, count: 6)])
        #expect(powers["cpu"] == [[50.5]])
        let gpu = LogParser.parseStandardLog(text).epochs.first?.component("gpu")
        #expect(gpu?.energyJoules(durationSeconds: 2) == 248.12345679 * 6 * 2)
    }

    @Test func smallValuesInScientificNotationAreNotTruncated() {
        let text = Self.log(["Epoch 1:", "Duration: 0:00:01.00", "Average power usage (W) for cpu: 5e-05"])
        #expect(LogParser.getAvgPowerUsages(text) == ["cpu": [[0.00005]]])
    }

    @Test func noneMeansNoSampleNotZeroWatts() {
        let text = Self.log(["Epoch 1:", "Duration: 0:00:00.01", "Average power usage (W) for gpu: None"])
        #expect(LogParser.getAvgPowerUsages(text) == ["gpu": [[]]])
    }

    @Test func deviceNamesMayContainDotsAndCommasSeparateDevices() {
        let text = Self.log([
            "The following components were found: GPU with device(s) NVIDIA H100 80GB HBM3, NVIDIA H100 80GB HBM3. "
                + "CPU with device(s) Intel(R) Xeon(R) Platinum 8480+ @ 2.00GHz, dram:0."
        ])
        #expect(
            LogParser.getDevices(text) == [
                "gpu": ["NVIDIA H100 80GB HBM3", "NVIDIA H100 80GB HBM3"],
                "cpu": ["Intel(R) Xeon(R) Platinum 8480+ @ 2.00GHz", "dram:0"],
            ])
        #expect(LogParser.getDevices(Self.log(["Monitoring thread started."])) == [:])
    }

    @Test func durationsIncludingLongAndNegativeOnes() {
        let text = Self.log([
            "Duration: 0:00:00.40", "Duration: 25:01:01.50", "Duration: -0:00:01.00", "Duration: garbage",
        ])
        #expect(LogParser.getEpochDurations(text) == [0.4, 90061.5, -1])
        #expect(LogParser.parseStandardLog(text).warnings.count == 1)
    }

    @Test func earlyStopIsCaseInsensitive() {
        #expect(
            LogParser.getEarlyStop(
                Self.log(["Training was interrupted before all 10 epochs were monitored."])))
        #expect(LogParser.getEarlyStop(Self.log(["training WAS interrupted"])))
        #expect(!LogParser.getEarlyStop(Self.log(["Monitoring thread ended."])))
    }

    @Test func reportsWithoutEquivalentsAreRead() {
        let text =
            Self.stamp + "CarbonTracker: \nActual consumption for 3 epoch(s):\n\tTime:\t1:02:05\n"
            + "\tEnergy:\t0.5 kWh\n\tCO2eq:\t200.25 g\n" + Self.stamp
            + "CarbonTracker: Finished monitoring.\n"
        let (actual, predicted) = LogParser.getConsumption(text)
        #expect(predicted == nil)
        #expect(
            actual
                == LogParser.Consumption(
                    epochs: 3, durationSeconds: 3725, energyKilowattHours: 0.5, co2eqGrams: 200.25))
    }

    @Test func headingVariants() {
        func epochs(_ heading: String) -> Int?? {
            let text =
                Self.stamp
                + "CarbonTracker: \n\(heading)\n\tTime:\t0:00:01\n\tEnergy:\t1 kWh\n\tCO2eq:\t2 g\n"
            let (actual, predicted) = LogParser.getConsumption(text)
            return (actual ?? predicted).map(\.epochs)
        }
        #expect(epochs("Actual consumption for 12 epoch(s):") == .some(12))
        #expect(epochs("Actual consumption for 12 epochs:") == .some(12))
        #expect(epochs("ACTUAL CONSUMPTION:") == .some(nil))
        #expect(epochs("Predicted consumption for 7 epoch(s):") == .some(7))
        #expect(epochs("Predicted consumption for epoch(s):") == nil)
    }

    @Test func truncatedReportIsIgnoredWithAWarning() {
        let text =
            Self.stamp + "CarbonTracker: \nPredicted consumption for 10 epoch(s):\n\tTime:\t0:00:03\n"
            + "\tEnergy:\t0.000327881439 kWh\n\tCO2eq:\t0.145907240505 g\n\tThis is equivalent to:\n"
            + "\t0.001366172664 km travelled by car\n" + Self.stamp + "CarbonTracker: \n"
            + "Actual consumption for 3 epoch(s):\n\tTime:\t0:00:01\n\tEnergy:\t0.0001"
        let output = LogParser.parseOutputLog(text)
        #expect(output.actual == nil)
        #expect(output.predicted?.epochs == 10)
        #expect(output.predicted?.equivalents == [.init(unit: "km travelled by car", amount: 0.001366172664)])
        #expect(output.warnings == ["The actual consumption report at line 9 is incomplete; it is ignored."])
    }

    @Test func unreadableEquivalentIsSkippedNotFatal() {
        let text =
            Self.stamp + "CarbonTracker: \nActual consumption:\n\tTime:\t0:00:01\n\tEnergy:\t1.5 kWh\n"
            + "\tCO2eq:\tnan g\n\tThis is equivalent to:\n\tlots km travelled by car\n\t2.0 trees\n"
        let output = LogParser.parseOutputLog(text)
        #expect(output.actual?.co2eqGrams.isNaN == true)
        #expect(output.actual?.equivalents == [.init(unit: "trees", amount: 2)])
        #expect(output.warnings.count == 1)
    }

    @Test func versionPueIntensityAndCompletion() {
        let text = Self.log([
            "carbontracker version 2.4.7-swift.1",
            "Only predicted and actual consumptions are multiplied by a PUE coefficient of 1.58 (Daniel Bizo, 2023).",
            "Carbon intensities (gCO2eq/kWh) fetched every 900 s at detected location: Aarhus, Central Jutland, DK: [120.5, 130.25]",
            "Average carbon intensity during training was 125.38 gCO2eq/kWh. ",
            "Monitoring thread ended.",
        ])
        let log = LogParser.parseStandardLog(text)
        #expect(log.version == "2.4.7-swift.1")
        #expect(log.powerUsageEffectiveness == 1.58)
        #expect(log.intensity?.location == "Aarhus, Central Jutland, DK")
        #expect(log.intensity?.valuesGramsPerKilowattHour == [120.5, 130.25])
        #expect(log.intensity?.refreshIntervalSeconds == 900)
        #expect(log.intensity?.averageGramsPerKilowattHour == 125.38)
        #expect(log.isComplete)
        #expect(log.firstTimestamp == "2026-11-21 06:34:50")
    }

    @Test func provenanceLinesGiveMethodAndMeasuredEnergy() {
        let text = Self.log([
            "Epoch 1:", "Duration: 0:00:00.40", "Average power usage (W) for cpu: [10.0 2.5]",
            "Measured energy (J) for cpu: [4.0 1.0] [method: counter]",
            "Epoch 2:", "Duration: 0:00:00.40", "Average power usage (W) for cpu: [10.0 2.5]",
            "Measured energy (J) for cpu: [4.1 1.1] [method: sampled]",
        ])
        let cpu = LogParser.ComponentLog.all(from: LogParser.parseStandardLog(text)).first
        #expect(cpu?.measuredEnergyJoules == [[4.0, 1.0], [4.1, 1.1]])
        #expect(cpu?.measurementMethod == .sampled, "the least trustworthy method is reported")
        #expect(cpu?.averageEnergyJoules == [[4.0, 1.0], [4.0, 1.0]])
    }

    @Test func theScopeAndSharesAfterTheMethodAreReadPast() {
        let text = Self.log([
            "Epoch 1:", "Duration: 0:00:00.40", "Average power usage (W) for cpu: [10.0 2.5]",
            "Measured energy (J) for cpu: [4.0 1.0] [method: counter, scope: job 4242, 8 of 64 CPUs, 11% of busy CPU time]",
        ])
        let cpu = LogParser.ComponentLog.all(from: LogParser.parseStandardLog(text)).first
        #expect(cpu?.measuredEnergyJoules == [[4.0, 1.0]])
        #expect(cpu?.measurementMethod == .counter)
    }

    /// A component dropped mid-run has fewer power lines than there are epochs; Python raises
    /// MismatchedEpochsError, here each component keeps its own epochs.
    @Test func droppedComponentKeepsAlignedEpochs() {
        let text = Self.log([
            "The following components were found: GPU with device(s) G. CPU with device(s) C.",
            "Epoch 1:", "Duration: 0:00:01.00", "Average power usage (W) for gpu: 100.0",
            "Average power usage (W) for cpu: 10.0",
            "Epoch 2:", "Duration: 0:00:02.00", "Average power usage (W) for gpu: 100.0",
        ])
        let components = LogParser.ComponentLog.all(from: LogParser.parseStandardLog(text))
        #expect(components.map(\.name) == ["gpu", "cpu"])
        #expect(components[0].epochDurationsSeconds == [1, 2])
        #expect(components[0].averageEnergyJoules == [[100], [200]])
        #expect(components[1].epochNumbers == [1])
        #expect(components[1].epochDurationsSeconds == [1])
        #expect(components[1].kind == .cpu)
    }

    @Test func crlfLineEndingsAreAccepted() {
        let text = Self.log(["Epoch 1:", "Duration: 0:00:01.00", "Average power usage (W) for gpu: 5.0"])
            .replacingOccurrences(of: "\n", with: "\r\n")
        #expect(LogParser.getAvgPowerUsages(text) == ["gpu": [[5]]])
        #expect(LogParser.getEpochDurations(text) == [1])
    }

    @Test(arguments: [
        ("248.0", 248.0), ("30.", 30.0), ("1.e-05", 0.00001), ("-2.5", -2.5), ("nan", Double.nan),
        ("inf", Double.infinity),
    ])
    func numbers(text: String, value: Double) {
        let parsed = LogValue.number(text)
        #expect(parsed.map { $0 == value || ($0.isNaN && value.isNaN) } == true)
    }

    @Test(arguments: ["", "0x10", "1_0", "abc", "--", "."])
    func notNumbers(text: String) {
        #expect(LogValue.number(text) == nil)
    }
}
