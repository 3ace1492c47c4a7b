import Foundation
import Testing

@testable import CarbonTracker
@testable import CarbonTrackerMonitor
@testable import CarbonTrackerSources

/// Compares the parser with Python carbontracker 2.4.7's output on the same logs, field by field.
/// Where Python is wrong, the corrected value is asserted instead (see the article
/// `Sources/CarbonTracker/CarbonTracker.docc/ParserAndCLI.md`, "Python parser bugs fixed").
@Suite struct PythonFixtureTests {
    /// What the reports say, where Python's parser misreads them.
    struct Correction {
        /// The epoch count in the "Actual consumption for N epoch(s):" heading; `nil` for "Actual consumption:".
        var actualEpochs: Int?
        /// Reports without equivalents, which Python does not read at all.
        var actual: LogParser.Consumption?
        var predicted: LogParser.Consumption?
    }

    static let corrections: [String: Correction] = [
        "7441.593662_2026-11-21T063448Z_carbontracker.log": Correction(actualEpochs: 3),
        "7551.714857_2026-11-21T063449Z_carbontracker.log": Correction(actualEpochs: 3),
        "7557.73098_2026-11-21T063451Z_carbontracker.log": Correction(actualEpochs: nil),
        "7563.187535_2026-11-21T063453Z_carbontracker.log": Correction(actualEpochs: nil),
        "7569.321381_2026-11-21T063454Z_carbontracker.log": Correction(actualEpochs: 4),
        "7582.678931_2026-11-21T063456Z_carbontracker.log": Correction(
            actualEpochs: 3,
            actual: .init(
                epochs: 3, durationSeconds: 1, energyKilowattHours: 0.000118023612, co2eqGrams: 0.052520507483
            ),
            predicted: .init(
                epochs: 3, durationSeconds: 1, energyKilowattHours: 0.000118052536, co2eqGrams: 0.052533378416
            )),
        "7594.780737_2026-11-21T063459Z_carbontracker.log": Correction(actualEpochs: 3),
        "run-a_7588.486238_2026-11-21T063457Z_carbontracker.log": Correction(actualEpochs: 3),
    ]

    @Test func everyEntryMatchesPythonFieldByField() throws {
        let expected = try ParserTestSupport.pythonExpected()
        let expectedEntries = try #require(expected["entries"] as? [[String: Any]])
        let parse = try LogParser.parseAllLogs(logDir: ParserTestSupport.pythonLogs)
        #expect(parse.warnings.isEmpty, "\(parse.warnings)")
        #expect(parse.entries.count == expectedEntries.count)
        #expect(parse.entries.count == Self.corrections.count)

        for want in expectedEntries {
            let standardName = try #require(want["standard_filename"] as? String)
            let entry = try #require(
                parse.entries.first { ($0.standardFile as NSString).lastPathComponent == standardName })
            let correction = try #require(Self.corrections[standardName])
            #expect((entry.outputFile as NSString).lastPathComponent == want["output_filename"] as? String)
            #expect(entry.earlyStop == want["early_stop"] as? Bool)

            if let actual = want["actual"] as? [String: Any] {
                try compare(entry.actual, actual, epochs: correction.actualEpochs, file: standardName)
            } else {
                #expect(entry.actual == correction.actual, "\(standardName)")
            }
            if let predicted = want["pred"] as? [String: Any] {
                let epochs = predicted["epochs"] as? Int
                try compare(entry.predicted, predicted, epochs: epochs, file: standardName)
            } else {
                #expect(entry.predicted == correction.predicted, "\(standardName)")
            }

            let components = try #require(want["components"] as? [String: [String: Any]])
            #expect(Set(entry.components.map(\.name)) == Set(components.keys))
            for (name, figures) in components {
                let component = try #require(entry.components.first { $0.name == name })
                #expect(component.devices == figures["devices"] as? [String])
                #expect(component.averagePowerWatts == figures["avg_power_usages (W)"] as? [[Double]])
                #expect(component.epochDurationsSeconds == figures["epoch_durations (s)"] as? [Double])
                let energies = try #require(figures["avg_energy_usages (J)"] as? [[Double]])
                let parsed = try #require(component.averageEnergyJoules)
                #expect(parsed.count == energies.count)
                for (got, want) in zip(parsed, energies) {
                    #expect(got.count == want.count)
                    for (g, w) in zip(got, want) { #expect(approximatelyEqual(g, w)) }
                }
                #expect(component.measurementMethod == nil, "Python logs have no provenance lines")
                #expect(component.measuredEnergyJoules == nil)
            }
        }
    }

    private func compare(
        _ parsed: LogParser.Consumption?, _ want: [String: Any], epochs: Int?, file: String
    ) throws {
        let parsed = try #require(parsed, "\(file)")
        #expect(parsed.epochs == epochs, "\(file)")
        #expect(approximatelyEqual(parsed.durationSeconds, want["duration (s)"] as? Double), "\(file)")
        #expect(approximatelyEqual(parsed.energyKilowattHours, want["energy (kWh)"] as? Double), "\(file)")
        #expect(approximatelyEqual(parsed.co2eqGrams, want["co2eq (g)"] as? Double), "\(file)")
        let equivalents = want["equivalents"] as? [String: Double] ?? [:]
        #expect(Set(parsed.equivalentsByUnit.keys) == Set(equivalents.keys), "\(file)")
        for (unit, amount) in equivalents {
            #expect(approximatelyEqual(parsed.equivalentsByUnit[unit], amount), "\(file) \(unit)")
        }
    }

    /// Python's total picks the prediction for every run with both reports and a full count, because
    /// it reads each actual report as 1 epoch, and skips the run whose reports have no equivalents.
    @Test func aggregateFollowsTheCorrectedRule() throws {
        let expected = try ParserTestSupport.pythonExpected()
        let pythonAggregate = try #require(expected["aggregate"] as? [String: Any])
        let aggregate = try LogParser.aggregateConsumption(logDir: ParserTestSupport.pythonLogs)

        let chosenEnergy = [
            0.00031456363,  // 7441: 3 of 6 epochs monitored, not stopped early → prediction
            0.00013114736,  // 7551: stopped early → actual
            0.000104871566,  // 7557: actual only
            0.000091749162,  // 7563: actual only
            0.000087190693,  // 7569: 4 of 4 → actual (Python: prediction)
            0.000118023612,  // 7582: 3 of 3 → actual (Python: skipped, no equivalents)
            0.0001,  // 7594: 3 of 3 → actual (Python: prediction, equal here)
            0.00011801368,  // run-a: 3 of 3 → actual (Python: prediction)
        ]
        let chosenCO2 = [
            0.139980815439, 0.058360574986, 0.046667847038, 0.040828377213, 0.038799858341, 0.052520507483,
            0.0525, 0.052516087444,
        ]
        let chosenKilometres = [
            0.001310681792, 0.000546447331, 0.00043696486, 0.000382288176, 0.000363294554, 0.0005,
            0.000491723665,
        ]
        #expect(aggregate.runsCounted == 8)
        #expect(approximatelyEqual(aggregate.energy, chosenEnergy.reduce(0, +)))
        #expect(approximatelyEqual(aggregate.co2eq, chosenCO2.reduce(0, +)))
        #expect(aggregate.equivalentUnits == ["km travelled by car"])
        #expect(
            approximatelyEqual(aggregate.equivalents["km travelled by car"], chosenKilometres.reduce(0, +)))
        // The corrected total differs from Python's, which double-counts predictions.
        let pythonEnergy = try #require(pythonAggregate["energy_kwh"] as? Double)
        #expect(!approximatelyEqual(aggregate.energy, pythonEnergy))
    }

    /// On a directory where Python reads every report correctly, the totals and the sentence match.
    @Test func sentenceMatchesPythonWordForWord() throws {
        let directory = try ParserTestSupport.scratchDirectory()
        defer { ParserTestSupport.cleanUp(directory) }
        for name in try FileManager.default.contentsOfDirectory(atPath: ParserTestSupport.pythonLogs)
        where name.hasPrefix("7594.") {
            try FileManager.default.copyItem(
                atPath: ParserTestSupport.pythonLogs + "/" + name, toPath: directory + "/" + name)
        }
        let python =
            "The training of models in this work is estimated to use 0.0001000000000000 kWh of electricity "
            + "contributing to 0.0000525000000000 kg of CO2eq. This is equivalent to 0.0005000000000000 km "
            + "travelled by car. Measured by carbontracker (https://github.com/lfwa/carbontracker)."
        #expect(try LogParser.aggregateSentence(logDir: directory) == python)

        let printed = LockedBox("")
        let console = ConsoleOutput(
            standardOutput: { text in printed.withLock { $0 += text } }, standardError: { _ in })
        try LogParser.printAggregate(logDir: directory, console: console)
        #expect(printed.withLock { $0 } == python + "\n")
    }

    @Test func prefixedLogsArePaired() throws {
        let listing = try LogParser.getAllLogs(logDir: ParserTestSupport.pythonLogs)
        #expect(listing.pairs.count == 8)
        #expect(listing.warnings.isEmpty)
        let prefixed = try #require(listing.pairs.first { $0.standardLog.contains("run-a_") })
        #expect(prefixed.outputLog.hasSuffix("run-a_7588.486238_2026-11-21T063457Z_carbontracker_output.log"))
    }
}
