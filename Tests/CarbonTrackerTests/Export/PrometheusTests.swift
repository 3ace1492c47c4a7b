import Foundation
import Testing

@testable import CarbonTracker
@testable import CarbonTrackerMonitor
@testable import CarbonTrackerSources

@Suite struct PrometheusExpositionTests {
    @Test func aRunRendersEveryMetricWithHelpTypeAndLabels() {
        var metrics = PrometheusMetrics(includesRunLabel: true)
        for event in ExportTest.run(labels: [RunLabel(name: "job_id", value: "77")]) { metrics.apply(event) }
        let text = metrics.exposition()
        let run = #"run="run-a_4242.17_2026-09-21T120000Z",job_id="77""#
        var co2 = 0.0
        for _ in 0..<3 { co2 += (248 + 40 + 10.5) * 2 * 1.58 / 3_600_000 * 445 }
        let expected = """
            # HELP carbontracker_energy_joules_total \(PrometheusMetrics.energy.help)
            # TYPE carbontracker_energy_joules_total counter
            carbontracker_energy_joules_total{component="gpu",device="Sim A100",method="simulated",\(run)} 1488.0
            carbontracker_energy_joules_total{component="cpu",device="cpu:0",method="counter",\(run)} 240.0
            carbontracker_energy_joules_total{component="cpu",device="dram:0",method="counter",\(run)} 63.0
            # HELP carbontracker_energy_range_joules \(PrometheusMetrics.energyRange.help)
            # TYPE carbontracker_energy_range_joules gauge
            carbontracker_energy_range_joules{component="gpu",bound="low",\(run)} 1488.0
            carbontracker_energy_range_joules{component="gpu",bound="high",\(run)} 1488.0
            carbontracker_energy_range_joules{component="cpu",bound="low",\(run)} 303.0
            carbontracker_energy_range_joules{component="cpu",bound="high",\(run)} 303.0
            # HELP carbontracker_co2eq_grams_total \(PrometheusMetrics.co2eq.help)
            # TYPE carbontracker_co2eq_grams_total counter
            carbontracker_co2eq_grams_total{\(run)} \(co2)
            # HELP carbontracker_co2eq_range_grams \(PrometheusMetrics.co2eqRange.help)
            # TYPE carbontracker_co2eq_range_grams gauge
            carbontracker_co2eq_range_grams{bound="low",\(run)} \(co2)
            carbontracker_co2eq_range_grams{bound="high",\(run)} \(co2)
            # HELP carbontracker_power_watts \(PrometheusMetrics.power.help)
            # TYPE carbontracker_power_watts gauge
            carbontracker_power_watts{component="gpu",device="Sim A100",\(run)} 248.0
            carbontracker_power_watts{component="cpu",device="cpu:0",\(run)} 40.0
            carbontracker_power_watts{component="cpu",device="dram:0",\(run)} 10.5
            # HELP carbontracker_carbon_intensity_grams_per_kilowatt_hour \(PrometheusMetrics.intensity.help)
            # TYPE carbontracker_carbon_intensity_grams_per_kilowatt_hour gauge
            carbontracker_carbon_intensity_grams_per_kilowatt_hour{provider="Energi Data Service",\(run)} 445.0
            # HELP carbontracker_epochs_total Epochs finished and measured.
            # TYPE carbontracker_epochs_total counter
            carbontracker_epochs_total{\(run)} 3.0
            # HELP carbontracker_predicted_energy_joules \(PrometheusMetrics.predicted.help)
            # TYPE carbontracker_predicted_energy_joules gauge
            carbontracker_predicted_energy_joules{\(run)} \(ExportTest.report(.predicted, epochs: 3).energyKilowattHours * 3_600_000)
            # HELP carbontracker_predicted_energy_range_joules \(PrometheusMetrics.predictedRange.help)
            # TYPE carbontracker_predicted_energy_range_joules gauge
            carbontracker_predicted_energy_range_joules{bound="low",\(run)} \(ExportTest.report(.predicted, epochs: 3).energyKilowattHours * 3_600_000)
            carbontracker_predicted_energy_range_joules{bound="high",\(run)} \(ExportTest.report(.predicted, epochs: 3).energyKilowattHours * 3_600_000)

            """
        #expect(text == expected)
    }

    @Test func labelValuesAreEscapedAndRepeatedDevicesStayDistinct() {
        var metrics = PrometheusMetrics(includesRunLabel: false)
        var description = ExportTest.description(labels: [
            RunLabel(name: "rank", value: "0"), RunLabel(name: "bad-name", value: "x"),
            RunLabel(name: "run", value: "reserved"), RunLabel(name: "__meta", value: "x"),
        ])
        description.components = []
        metrics.apply(.runStarted(description))
        let gpus = ComponentEnergy(
            kind: .gpu, devices: ["H100", "H100", #"odd "name" \ here"#], method: .counter,
            joules: [1, 2, 3],
            averageWatts: [1, 2, 3])
        var measurement = ExportTest.measurement("epoch 1", offset: 0, seconds: 1)
        measurement.components = [gpus]
        metrics.apply(.epoch(number: 1, measurement))
        metrics.apply(.epoch(number: 2, measurement))
        metrics.apply(
            .intensity(IntensityEstimate(gramsPerKilowattHour: .nan, source: "a\nb"), fetchedAt: Date()))
        let text = metrics.exposition()
        #expect(text.contains(#"{component="gpu",device="H100#0",method="counter",rank="0"} 2.0"#))
        #expect(text.contains(#"{component="gpu",device="H100#1",method="counter",rank="0"} 4.0"#))
        #expect(text.contains(#"device="odd \"name\" \\ here",method="counter",rank="0"} 6.0"#))
        #expect(text.contains(#"{provider="a\nb",rank="0"} NaN"#))
        #expect(!text.contains("bad-name") && !text.contains("reserved") && !text.contains("__meta"))
        #expect(!text.contains("run="), "the Pushgateway's grouping key holds the run")
    }

    @Test func boundsAreGaugesThatAddUpEpochs() {
        var metrics = PrometheusMetrics(includesRunLabel: false)
        var description = ExportTest.description()
        description.components = []
        metrics.apply(.runStarted(description))
        var measurement = ExportTest.measurement("epoch 1", offset: 0, seconds: 2)
        measurement.components[0].joulesRange = 400...600
        measurement.co2eqGramsRange = 0.1...0.3
        metrics.apply(.epoch(number: 1, measurement))
        metrics.apply(.epoch(number: 2, measurement))
        metrics.apply(.prediction(RangeOutputTests.report(.predicted, epochs: 3)))
        let text = metrics.exposition()
        #expect(text.contains("# TYPE carbontracker_energy_range_joules gauge\n"))
        #expect(text.contains(#"carbontracker_energy_range_joules{component="gpu",bound="low"} 800.0"#))
        #expect(text.contains(#"carbontracker_energy_range_joules{component="gpu",bound="high"} 1200.0"#))
        #expect(text.contains(#"carbontracker_co2eq_range_grams{bound="low"} 0.2"#))
        #expect(text.contains(#"carbontracker_co2eq_range_grams{bound="high"} 0.6"#))
        let predicted = RangeOutputTests.report(.predicted, epochs: 3).energyKilowattHoursRange
        #expect(
            text.contains(
                #"carbontracker_predicted_energy_range_joules{bound="low"} "#
                    + "\(predicted.lowerBound * 3_600_000)\n"))
        #expect(
            text.contains(
                #"carbontracker_predicted_energy_range_joules{bound="high"} "#
                    + "\(predicted.upperBound * 3_600_000)\n"))
    }

    @Test func aWindowUpdatesPowerButNoCounter() {
        var metrics = PrometheusMetrics(includesRunLabel: false)
        metrics.apply(.runStarted(ExportTest.description()))
        metrics.apply(ExportTest.epoch(1))
        let before = metrics.exposition()
        var window = ExportTest.measurement("eval", offset: 2, seconds: 1)
        window.components[0].averageWatts = [100]
        let windowChanged = metrics.apply(.window(window))
        #expect(windowChanged)
        let after = metrics.exposition()
        #expect(after.contains(#"carbontracker_power_watts{component="gpu",device="Sim A100"} 100.0"#))
        #expect(
            after.split(separator: "\n").filter { $0.hasPrefix("carbontracker_energy") }
                == before.split(separator: "\n").filter { $0.hasPrefix("carbontracker_energy") })
        let actualChanged = metrics.apply(.actual(ExportTest.report(.actual, epochs: 1)))
        #expect(!actualChanged, "nothing exported changes")
    }
}

@Suite struct PrometheusTextfileTests {
    @Test func theFileIsReplacedAtEachBatchAndAtFinish() throws {
        let directory = try ParserTestSupport.scratchDirectory()
        defer { ParserTestSupport.cleanUp(directory) }
        let path = directory + "/train.prom"
        let exporter = PrometheusTextfileExporter(path: path, diagnostics: RecordingDiagnostics())
        let events = ExportTest.run()
        exporter.record(Array(events[0..<3]))
        let first = try ParserTestSupport.read(path)
        #expect(first.contains(#"carbontracker_epochs_total{run="run-a_4242.17_2026-09-21T120000Z"} 1.0"#))
        let inode = try #require(
            FileManager.default.attributesOfItem(atPath: path)[.systemFileNumber] as? Int)
        exporter.record(Array(events[3...]))
        exporter.finish()
        let last = try ParserTestSupport.read(path)
        #expect(last.contains(#"carbontracker_epochs_total{run="run-a_4242.17_2026-09-21T120000Z"} 3.0"#))
        let replaced = try #require(
            FileManager.default.attributesOfItem(atPath: path)[.systemFileNumber] as? Int)
        #expect(replaced != inode, "a new file renamed over the old one, never rewritten in place")
        #expect(
            try FileManager.default.contentsOfDirectory(atPath: directory) == ["train.prom"],
            "no temporary left")
    }

    @Test func aFailureIsOneWarningAndTrainingGoesOn() throws {
        let diagnostics = RecordingDiagnostics()
        let exporter = PrometheusTextfileExporter(path: "/nonexistent-dir/x.prom", diagnostics: diagnostics)
        exporter.record([.runStarted(ExportTest.description())])
        exporter.record([ExportTest.epoch(1)])
        exporter.finish()
        #expect(diagnostics.messages("warning").count == 1)
        #expect(diagnostics.messages("warning").first?.contains("/nonexistent-dir/x.prom") == true)
    }
}

/// `promtool check metrics` (Debian package `prometheus`, installed by `.ci/run`) accepts the textfile.
@Suite(
    .enabled(
        if: ExportTest.promtool != nil,
        "skipped: install promtool (Debian package prometheus) or set CARBONTRACKER_PROMTOOL to check the textfile"
    ))
struct PromtoolTests {
    @Test func promtoolAcceptsTheTextfile() throws {
        let promtool = try #require(ExportTest.promtool)
        let directory = try ParserTestSupport.scratchDirectory()
        defer { ParserTestSupport.cleanUp(directory) }
        let path = directory + "/train.prom"
        let exporter = PrometheusTextfileExporter(path: path, diagnostics: RecordingDiagnostics())
        var odd = ExportTest.measurement("epoch 4", offset: 6, seconds: 2)
        odd.components[0].devices = ["H100", "H100"]
        odd.components[0].joules = [1, .nan]
        odd.components[0].averageWatts = [.infinity, 2]
        exporter.record(
            ExportTest.run(labels: [
                RunLabel(name: "job_id", value: "12\"3"), RunLabel(name: "rank", value: "0"),
            ]))
        exporter.record([.epoch(number: 4, odd)])
        exporter.finish()
        let result = try TestProcess.run("/bin/sh", ["-c", "\"$0\" check metrics < \"$1\"", promtool, path])
        let text = try ParserTestSupport.read(path)
        #expect(result.status == 0, "promtool: \(result.output) \(result.error)\n\(text)")
        #expect(result.output.isEmpty && result.error.isEmpty, "no lint remark either")
    }
}
