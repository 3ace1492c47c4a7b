import Foundation
import Testing

@testable import CarbonTracker
@testable import CarbonTrackerMonitor
@testable import CarbonTrackerSources

@Suite struct TDPEstimateTests {
    static let table: [(name: String, watts: Double)] = [
        ("Intel Xeon Gold 6130", 125), ("AMD EPYC 7232P", 120), ("AMD EPYC 7763", 280),
        ("Intel Core i7-6700HQ", 45), ("Intel Core i7-6700HQ", 47),
    ]

    @Test func matchesByPythonsRules() {
        // Exact name; a repeated name keeps its last value, as in a Python dict.
        #expect(
            CPUModel.thermalDesignPower(for: "AMD EPYC 7763", table: Self.table)
                == .matched(name: "AMD EPYC 7763", watts: 280))
        #expect(
            CPUModel.thermalDesignPower(for: "Intel Core i7-6700HQ", table: Self.table)
                == .matched(name: "Intel Core i7-6700HQ", watts: 47))
        // Without "@ frequency", as a substring of a table name, first in table order.
        #expect(
            CPUModel.thermalDesignPower(for: "Xeon Gold 6130 @ 2.10GHz", table: Self.table)
                == .matched(name: "Intel Xeon Gold 6130", watts: 125))
        #expect(
            CPUModel.thermalDesignPower(for: "AMD EPYC", table: Self.table)
                == .matched(name: "AMD EPYC 7232P", watts: 120))
        // Otherwise the mean over distinct names.
        #expect(
            CPUModel.thermalDesignPower(for: "Intel(R) Xeon(R) Gold 6130 CPU @ 2.10GHz", table: Self.table)
                == .average(watts: (125 + 120 + 280 + 47) / 4, models: 4))
        #expect(
            CPUModel.thermalDesignPower(for: " @ 3GHz", table: Self.table) == .average(watts: 143, models: 4))
    }

    @Test func everyAppleSiliconChipIsMatchedByItsOwnRowWithASource() {
        // The brand strings macOS reports; Apple made no M4 Ultra.
        var names = ["M1", "M2", "M3", "M4"].flatMap { generation in
            ["", " Pro", " Max", " Ultra"].map { "Apple \(generation)\($0)" }
        }
        names.removeAll { $0 == "Apple M4 Ultra" }
        for name in names {
            guard case .matched(let matched, let watts) = CPUModel.thermalDesignPower(for: name) else {
                Issue.record("\(name) fell back to the average")
                continue
            }
            #expect(matched == name)
            #expect(watts > 0)
        }
        // Python's own row for the M1 stays in force, and the Apple rows do not move Python's average.
        #expect(CPUModel.thermalDesignPower(for: "Apple M1") == .matched(name: "Apple M1", watts: 10))
        #expect(
            CPUModel.thermalDesignPower(for: CPUModel.unknown)
                == CPUModel.thermalDesignPower(for: CPUModel.unknown, exact: []))
        #expect(AppleSiliconTDP.rows.allSatisfy { !$0.source.isEmpty })
        #expect(Set(AppleSiliconTDP.rows.map(\.name)).count == AppleSiliconTDP.rows.count)
    }

    @Test func theEmbeddedTableMatchesThisMachinesKindOfName() {
        #expect(CPUModel.thermalDesignPower(for: "AMD EPYC") == .matched(name: "AMD EPYC 7232P", watts: 120))
        guard case .average(let watts, let models) = CPUModel.thermalDesignPower(for: CPUModel.unknown) else {
            Issue.record("an unknown CPU gets the table mean")
            return
        }
        #expect(models > 3000)
        #expect(watts > 20 && watts < 200)
    }

    @Test func readsTheModelFromCPUInfo() {
        #expect(CPUModel.detect(cpuinfoPath: HardwareFiles.fixture("cpuinfo-epyc.txt")) == "AMD EPYC")
        #expect(
            CPUModel.detect(cpuinfoPath: HardwareFiles.fixture("cpuinfo-arm.txt"))
                == "Raspberry Pi 4 Model B Rev 1.1")
        #expect(CPUModel.modelName(fromCPUInfo: "processor\t: 0\nHardware\t: BCM2835\n") == "BCM2835")
        #if os(Linux)
            #expect(CPUModel.detect(cpuinfoPath: "/nonexistent/cpuinfo") == nil)
        #endif
    }

    @Test func estimatesHalfTheTDPAndSaysItIsAnEstimate() throws {
        let cpu = TDPEstimateComponent(environment: [
            "CARBONTRACKER_CPUINFO": HardwareFiles.fixture("cpuinfo-epyc.txt")
        ])
        #if os(Linux)
            #expect(cpu.devices() == ["AMD EPYC"])
            #expect(try cpu.read() == [.watts(60)])
            #expect(
                cpu.provenanceNote()
                    == "CPU power is estimated, not measured: no CPU energy sensor could be read, so CPU power is "
                    + "taken as 50% of the 120.0 W TDP of AMD EPYC 7232P (matched to AMD EPYC), i.e. 60.0 W.")
        #endif
        #expect(cpu.measurementMethod() == .estimated)
        #expect(cpu.isAvailable())
    }

    #if os(Linux)
        @Test func anUnknownCPUUsesTheTableMeanWithPythonsWarnings() throws {
            let cpu = TDPEstimateComponent(cpuinfoPath: "/nonexistent/cpuinfo", fallbackFor: [])
            #expect(cpu.devices() == ["Unknown CPU"])
            let diagnostics = RecordingDiagnostics()
            try cpu.start(diagnostics: diagnostics)
            let warnings = diagnostics.messages("warning")
            #expect(warnings.contains("Failed to detect CPU. Falling back to generic CPU handler."))
            #expect(
                warnings.contains {
                    $0.hasPrefix("No matching TDP found for CPU: Unknown CPU. Using average TDP of ")
                })
            #expect(cpu.provenanceNote()?.contains("the average TDP of") == true)
        }
    #endif

    @Test func tellsWhyEachBetterSourceWasSkipped() throws {
        let tree = try FakePowercap()
        try tree.zone("intel-rapl:0", name: "package-0")
        let denying = DenyingReader()
        denying.deny(tree.root + "/intel-rapl:0/energy_uj")
        let rapl = RAPLComponent(root: tree.root, reader: denying.reader)
        let absent = RAPLComponent(root: "/nonexistent/powercap")
        let cpu = TDPEstimateComponent(
            cpuinfoPath: HardwareFiles.fixture("cpuinfo-epyc.txt"), fallbackFor: [rapl, absent])
        let diagnostics = RecordingDiagnostics()
        try cpu.start(diagnostics: diagnostics)
        #expect(
            diagnostics.messages("warning").contains {
                $0.hasPrefix("RAPL could not measure the CPU: ") && $0.contains("sudo chmod +r")
            })
        #expect(diagnostics.messages("debug").contains { $0.contains("/nonexistent/powercap") })
    }

    #if os(Linux)
        @Test func trackerMarksTheEstimateInEveryLogAndReport() throws {
            let logs = try TemporaryDirectory()
            var environment = TestTracker.isolatedEnvironment(logs)
            environment["CARBONTRACKER_CPU_ESTIMATE"] = "python"
            let tracker = try TestTracker.make(
                in: logs, components: "cpu", environment: environment, epochs: 1)
            try tracker.epochStart()
            pause(0.2)
            try tracker.epochEnd()
            let epoch = try #require(tracker.epochMeasurements.first)
            let joules = try #require(TestTracker.joules(epoch, .cpu))
            #expect(abs(joules[0] - 60 * epoch.durationSeconds) < 1e-9 * max(1, joules[0]))
            #expect(tracker.components.first?.method == .estimated)
            #expect(tracker.actualConsumption?.components.first?.method == .estimated)
            let files = try #require(tracker.logFiles)
            let standard = HardwareFiles.read(files.standard)
            let output = HardwareFiles.read(files.output)
            #expect(standard.contains("CPU with device(s) AMD EPYC."))
            #expect(standard.contains("CPU power is estimated, not measured"))
            #expect(standard.contains("Average power usage (W) for cpu: 60.0\n"))
            #expect(standard.contains("[method: estimated]"))
            let notes = output.components(separatedBy: "CPU power is estimated, not measured").count - 1
            #expect(notes == 2, "once when the components are listed, once after the actual consumption")
            #expect(
                output.range(of: "Actual consumption")!.lowerBound
                    < output.range(of: "CPU power is estimated", options: .backwards)!.lowerBound)
        }
    #endif
}

@Suite struct HardwareSelectionTests {
    @Test func candidatesComeInPythonsOrder() {
        let context = HardwareContext(environment: [:], devicesByPID: false)
        #expect(
            HardwareComponents.candidates(for: .gpu, context: context).map(\.handlerName) == [
                "NVML", "IOReport", "powermetrics",
            ])
        // Built after the GPU's from the same context, the CPU list first asks whether NVML covers the CPU.
        #expect(
            HardwareComponents.candidates(for: .cpu, context: context).map(\.handlerName)
                == ["NVML module", "RAPL", "IOReport", "powermetrics", "CPU power model"])
        let cpuOnly = HardwareContext(environment: [:], devicesByPID: false)
        #expect(
            HardwareComponents.candidates(for: .cpu, context: cpuOnly).map(\.handlerName)
                == ["RAPL", "IOReport", "powermetrics", "CPU power model"])
        // Python's constant stays available for parity.
        let python = HardwareContext(
            environment: ["CARBONTRACKER_CPU_ESTIMATE": "python"], devicesByPID: false)
        #expect(
            HardwareComponents.candidates(for: .cpu, context: python).map(\.handlerName)
                == ["RAPL", "IOReport", "powermetrics", "TDP estimate"])
    }

    @Test func theAppleCPUAndGPUOfOneContextShareOnePowermetricsChild() {
        let context = HardwareContext(environment: [:], devicesByPID: false)
        let gpu = HardwareComponents.candidates(for: .gpu, context: context)[2] as? AppleSiliconComponent
        let cpu = HardwareComponents.candidates(for: .cpu, context: context).lazy.compactMap {
            $0 as? AppleSiliconComponent
        }.first
        #expect(gpu != nil && cpu != nil && gpu?.session === cpu?.session)
        let other = HardwareContext(environment: [:], devicesByPID: false)
        let elsewhere = HardwareComponents.candidates(for: .cpu, context: other)[2] as? AppleSiliconComponent
        #expect(elsewhere?.session !== cpu?.session)
    }

    #if os(Linux)
        @Test func withNoSensorsAMissingGPUIsALogLineAndTheCPUIsEstimated() throws {
            let logs = try TemporaryDirectory()
            let tracker = try TestTracker.make(in: logs, environment: TestTracker.isolatedEnvironment(logs))
            try tracker.epochStart()
            try tracker.epochEnd()
            try tracker.stop()
            #expect(tracker.epochMeasurements.first?.components.map(\.kind) == [.cpu])
            let files = try #require(tracker.logFiles)
            #expect(HardwareFiles.read(files.standard).contains("No GPU(s) available."))
            let errors = HardwareFiles.read(files.error)
            #expect(errors.contains("NVML: \(logs.file("no-libnvidia-ml.so.1")) could not be loaded"))
            #expect(errors.contains("powermetrics: powermetrics exists only on macOS"))
            #expect(errors.contains("IOReport: \(logs.file("no-libIOReport.dylib")) could not be loaded"))
        }

        @Test func askingForAGPUThatIsNotThereFailsWithTheReasons() throws {
            let logs = try TemporaryDirectory()
            let error = try #require(throws: CarbonTrackerError.self) {
                try TestTracker.make(
                    in: logs, components: "gpu", environment: TestTracker.isolatedEnvironment(logs))
            }
            #expect(error.code == .componentUnavailable)
            #expect(error.message.hasPrefix("No GPU(s) available."))
            #expect(error.message.contains("could not be loaded"))
        }
    #endif
}
