import Testing

@testable import CarbonTracker
@testable import CarbonTrackerMonitor
@testable import CarbonTrackerSources

@Suite struct ConfigurationTests {
    private func configuration(
        epochs: Int = 3, epochsBeforePred: Int = 1, monitorEpochs: Int = -1, updateInterval: Double = 1,
        components: String = "all", decimalPrecision: Int = 12, simCPU: String? = nil,
        simCPUTDP: Double? = nil,
        simCPUUtil: Double? = nil, simGPU: String? = nil, simGPUWatts: Double? = nil,
        simGPUUtil: Double? = nil
    ) throws -> TrackerConfiguration {
        try TrackerConfiguration(
            epochs: epochs, epochsBeforePred: epochsBeforePred, monitorEpochs: monitorEpochs,
            updateInterval: updateInterval, interpretable: true, stopAndConfirm: false, ignoreErrors: false,
            components: components, devicesByPID: false, logDir: nil, logFilePrefix: "", verbose: 0,
            decimalPrecision: decimalPrecision, apiKeys: nil, simCPU: simCPU, simCPUTDP: simCPUTDP,
            simCPUUtil: simCPUUtil, simGPU: simGPU, simGPUWatts: simGPUWatts, simGPUUtil: simGPUUtil)
    }

    private func expectInvalid(_ fragment: String, _ body: () throws -> TrackerConfiguration) {
        do {
            _ = try body()
            Issue.record("expected an invalidConfiguration error mentioning '\(fragment)'")
        } catch let error as CarbonTrackerError {
            #expect(error.code == .invalidConfiguration)
            #expect(error.message.contains(fragment), "\(error.message)")
        } catch {
            Issue.record("unexpected error \(error)")
        }
    }

    @Test func rejectsBadArguments() {
        expectInvalid("epochs must be at least 1") { try configuration(epochs: 0) }
        expectInvalid("monitorEpochs cannot be 0") { try configuration(monitorEpochs: 0) }
        expectInvalid("cannot be less than epochsBeforePred") {
            try configuration(epochs: 10, epochsBeforePred: 5, monitorEpochs: 3)
        }
        expectInvalid("monitorEpochs must be -1") { try configuration(monitorEpochs: -3) }
        expectInvalid("epochsBeforePred must be") { try configuration(epochsBeforePred: -2) }
        expectInvalid("cannot exceed epochs") { try configuration(epochs: 2, epochsBeforePred: 3) }
        expectInvalid("updateInterval") { try configuration(updateInterval: 0) }
        expectInvalid("updateInterval") { try configuration(updateInterval: -1) }
        expectInvalid("updateInterval") { try configuration(updateInterval: .nan) }
        expectInvalid("decimalPrecision") { try configuration(decimalPrecision: -1) }
        expectInvalid("simCPUTDP") { try configuration(simCPU: "Sim") }
        expectInvalid("simGPUWatts") { try configuration(simGPU: "Sim") }
        expectInvalid("simCPUTDP") { try configuration(simCPU: "Sim", simCPUTDP: -5) }
        expectInvalid("simGPUWatts") { try configuration(simGPU: "Sim", simGPUWatts: -1) }
        expectInvalid("simCPUUtil") { try configuration(simCPU: "Sim", simCPUTDP: 100, simCPUUtil: 1.5) }
        expectInvalid("simGPUUtil") { try configuration(simGPU: "Sim", simGPUWatts: 100, simGPUUtil: -0.1) }
        expectInvalid("need simCPU") { try configuration(simCPUTDP: 100) }
        expectInvalid("non-empty") { try configuration(simCPU: "  ", simCPUTDP: 100) }
        expectInvalid("Unknown component 'tpu'") { try configuration(components: "tpu") }
        expectInvalid("Unknown component ''") { try configuration(components: "gpu,,cpu") }
        expectInvalid("Unknown component") { try configuration(components: "") }
    }

    @Test(arguments: [
        ("all", [ComponentKind.gpu, .cpu], true), ("cpu", [.cpu], false), ("gpu", [.gpu], false),
        ("gpu,cpu", [.gpu, .cpu], false), (" CPU , gpu ", [.gpu, .cpu], false), ("ALL", [.gpu, .cpu], true),
        ("cpu,cpu", [.cpu], false),
    ])
    func parsesComponents(text: String, kinds: [ComponentKind], isAll: Bool) throws {
        let parsed = try TrackerConfiguration.parseComponents(text)
        #expect(parsed.kinds == kinds)
        #expect(parsed.isAll == isAll)
    }

    @Test func predictionAndMonitoringEpochs() throws {
        #expect(try configuration(epochs: 5).predictionEpoch == 1)
        #expect(try configuration(epochs: 5).monitorEpochs == 5)
        #expect(try configuration(epochs: 5, epochsBeforePred: 0).predictionEpoch == nil)
        #expect(try configuration(epochs: 5, epochsBeforePred: 0).predicts == false)
        // Python never fires -1; it means after the last monitored epoch.
        #expect(try configuration(epochs: 5, epochsBeforePred: -1).predictionEpoch == 5)
        #expect(try configuration(epochs: 5, epochsBeforePred: -1, monitorEpochs: 3).predictionEpoch == 3)
    }

    @Test func simulatedPowerIsWattsTimesUtilisation() throws {
        let config = try configuration(
            simCPU: "Xeon", simCPUTDP: 101, simGPU: "A100", simGPUWatts: 496, simGPUUtil: 1)
        #expect(config.simulatedCPU?.watts == 50.5)
        #expect(config.simulatedGPU?.watts == 496)
        #expect(try config.simulatedGPU?.read() == [.watts(496)])
        #expect(config.simulatedCPU?.measurementMethod() == .simulated)
    }
}

@Suite struct PredictorTests {
    @Test func predictsMeanTimesEpochs() {
        #expect(Predictor.predict(totalEpochs: 10, measured: [2, 4]) == 30)
        #expect(Predictor.predict(totalEpochs: 3, measured: [1.5]) == 4.5)
        #expect(Predictor.predict(totalEpochs: 3, measured: []) == 0)
    }
}
