import Foundation
import Testing

@testable import CarbonTracker
@testable import CarbonTrackerMonitor
@testable import CarbonTrackerSources

/// NVML as the driver documents it, on the fake: the sampled fallback through
/// `nvmlDeviceGetFieldValues(NVML_FI_DEV_POWER_INSTANT)`, averaged power only as the last resort, and
/// the Grace Hopper / Grace Blackwell module scope that must not count the Grace CPU twice.
@Suite(.enabled(if: CCompiler.isAvailable, "no C compiler (cc/clang/gcc) to build the fake libnvidia-ml.so"))
struct NVMLScopeTests {
    /// One GPU without an energy counter that answers the instantaneous power field.
    private static let instantOnly: [String: String] = [
        "count": "1", "d0.name": "NVIDIA A10", "d0.energy_status": "3", "d0.instant_mw": "150000",
        "d0.power_mw": "90000",
    ]

    /// One Grace Hopper superchip: C2C link, module-scope power, a module energy counter.
    private static let graceHopper: [String: String] = [
        "count": "1", "d0.name": "NVIDIA GH200 480GB", "d0.c2c": "1", "d0.energy_mj": "7000000",
        "d0.module_instant_mw": "620000", "d0.module_average_mw": "600000", "d0.instant_mw": "450000",
        "d0.power_mw": "440000",
    ]

    @Test func instantaneousPowerIsTheSampledFallbackWhereTheDriverHasIt() throws {
        let fake = try FakeNVML(settings: Self.instantOnly)
        let gpu = fake.component()
        let diagnostics = RecordingDiagnostics()
        try gpu.start(diagnostics: diagnostics)
        #expect(gpu.measurementMethod() == .sampled)
        #expect(try gpu.read() == [.watts(150)])
        let info = diagnostics.messages("info")
        #expect(
            info.contains {
                $0.contains("NVIDIA A10: Not Supported") && $0.contains("NVML_FI_DEV_POWER_INSTANT")
            })
        #expect(!info.contains { $0.contains("nvmlDeviceGetPowerUsage") })
        #expect(info.contains("NVML measures NVIDIA A10 by instantaneous power at GPU scope."))
        #expect(fake.calls.contains("nvmlDeviceGetFieldValues:186:0"))
        #expect(!fake.calls.contains("nvmlDeviceGetPowerUsage"))
        #expect(gpu.provenanceNote() == nil)
    }

    @Test(arguments: [0, 1, 3, 4, 5])
    func readsTheFieldInTheValueTypeTheDriverReports(type: Int) throws {
        var settings = Self.instantOnly
        settings["d0.field_type"] = String(type)
        let fake = try FakeNVML(settings: settings)
        let gpu = fake.component()
        try gpu.start(diagnostics: SilentDiagnostics())
        #expect(try gpu.read() == [.watts(150)])
        withExtendedLifetime(fake) {}
    }

    @Test func averagedPowerIsTheLastResortAndSaysSo() throws {
        var settings = Self.instantOnly
        settings["d0.instant_mw"] = nil
        let fake = try FakeNVML(settings: settings)
        let gpu = fake.component()
        let diagnostics = RecordingDiagnostics()
        try gpu.start(diagnostics: diagnostics)
        #expect(try gpu.read() == [.watts(90)])
        let line = try #require(diagnostics.messages("info").first { $0.contains("integrated from") })
        #expect(line.contains("integrated from nvmlDeviceGetPowerUsage samples instead"))
        #expect(line.contains("NVML_FI_DEV_POWER_INSTANT is unavailable: NVIDIA A10: Not Supported"))
        #expect(line.contains("one-second average"))
        #expect(
            diagnostics.messages("info").contains("NVML measures NVIDIA A10 by averaged power at GPU scope."))
        #expect(gpu.provenanceNote()?.contains("sampled from one-second averages") == true)
    }

    @Test func aDriverWithoutFieldValuesFallsBackToAveragedPower() throws {
        let fake = try FakeNVML(flags: ["-DOMIT_nvmlDeviceGetFieldValues"], settings: Self.instantOnly)
        let gpu = fake.component()
        let diagnostics = RecordingDiagnostics()
        try gpu.start(diagnostics: diagnostics)
        #expect(try gpu.read() == [.watts(90)])
        #expect(
            diagnostics.messages("info").contains {
                $0.contains("NVML_FI_DEV_POWER_INSTANT is unavailable: NVIDIA A10: function not found")
            })
    }

    @Test func aFieldCallThatFailsAsAWholeFallsBackToo() throws {
        var settings = Self.instantOnly
        settings["fields_status"] = "3"
        let fake = try FakeNVML(settings: settings)
        let gpu = fake.component()
        try gpu.start(diagnostics: SilentDiagnostics())
        #expect(try gpu.read() == [.watts(90)])
        withExtendedLifetime(fake) {}
    }

    @Test func theMethodCanBeForcedForValidationRuns() throws {
        var settings = FakeNVML.twoGPUs
        settings["count"] = "1"
        settings["d0.instant_mw"] = "123000"
        let fake = try FakeNVML(settings: settings)
        func started(_ method: String?) throws -> (NVMLComponent, RecordingDiagnostics) {
            let gpu = NVMLComponent(
                libraryPath: fake.library, visibleDevices: nil, devicesByPID: false, processFamily: { [] },
                method: method)
            let diagnostics = RecordingDiagnostics()
            try gpu.start(diagnostics: diagnostics)
            return (gpu, diagnostics)
        }
        let (instant, instantLog) = try started("instant")
        #expect(try instant.read() == [.watts(123)])
        #expect(
            instantLog.messages("info").contains {
                $0.contains("the energy counter is not used (CARBONTRACKER_NVML_METHOD=instant)")
            })
        let (average, _) = try started("average")
        #expect(try average.read() == [.watts(100)])
        let (counter, _) = try started("counter")
        #expect(try counter.read() == [.cumulativeJoules(1000)])
        let (unknown, unknownLog) = try started("fastest")
        #expect(try unknown.read() == [.cumulativeJoules(1000)])
        #expect(unknownLog.messages("warning").contains { $0.contains("CARBONTRACKER_NVML_METHOD=fastest") })
    }

    @Test func sourcesDegradeOneStepAtATimeWhileRunning() throws {
        var settings = FakeNVML.twoGPUs
        settings["count"] = "1"
        let fake = try FakeNVML(settings: settings)
        let gpu = fake.component()
        let diagnostics = RecordingDiagnostics()
        try gpu.start(diagnostics: diagnostics)
        #expect(try gpu.read() == [.cumulativeJoules(1000)])
        settings["d0.energy_status"] = "3"
        settings["d0.instant_mw"] = "111000"
        try fake.configure(settings)
        #expect(try gpu.read() == [.watts(111)])
        #expect(gpu.measurementMethod() == .sampled)
        settings["d0.instant_mw_status"] = "3"
        try fake.configure(settings)
        #expect(try gpu.read() == [.watts(100)])
        let switches = diagnostics.messages("info").filter { $0.contains("stopped answering") }
        #expect(switches.count == 2)
        #expect(switches.first?.contains("NVML_FI_DEV_POWER_INSTANT") == true)
        #expect(switches.last?.contains("nvmlDeviceGetPowerUsage samples from now on") == true)
    }

    // MARK: Grace Hopper and Grace Blackwell

    @Test func aGraceHopperModuleIsMeasuredAtModuleScope() throws {
        let fake = try FakeNVML(settings: Self.graceHopper)
        let gpu = fake.component()
        #expect(gpu.moduleScopeDevices() == ["NVIDIA GH200 480GB"])
        let diagnostics = RecordingDiagnostics()
        try gpu.start(diagnostics: diagnostics)
        #expect(try gpu.read() == [.cumulativeJoules(7000)])
        #expect(
            diagnostics.messages("info").contains(
                "NVML measures NVIDIA GH200 480GB by its energy counter at module scope (GPU, Grace CPU and "
                    + "memory: NVML_POWER_SCOPE_MODULE)."))
        #expect(gpu.provenanceNote()?.contains("cover the whole module") == true)
        #expect(fake.calls.contains("nvmlDeviceGetC2cModeInfoV"))
        #expect(fake.calls.contains("nvmlDeviceGetFieldValues:186:1"))
    }

    @Test func aModuleWithoutACounterIsSampledAtModuleScope() throws {
        var settings = Self.graceHopper
        settings["d0.energy_status"] = "3"
        let fake = try FakeNVML(settings: settings)
        let gpu = fake.component()
        try gpu.start(diagnostics: SilentDiagnostics())
        #expect(try gpu.read() == [.watts(620)])
        let average = NVMLComponent(
            libraryPath: fake.library, visibleDevices: nil, devicesByPID: false, processFamily: { [] },
            method: "average")
        try average.start(diagnostics: SilentDiagnostics())
        // The module's own average keeps the module scope; nvmlDeviceGetPowerUsage (440 W) is not used.
        #expect(try average.read() == [.watts(600)])
        #expect(fake.calls.contains("nvmlDeviceGetFieldValues:185:1"))
    }

    @Test func aC2CChipWithoutModulePowerIsMeasuredAtGPUScope() throws {
        var settings = Self.graceHopper
        settings["d0.name"] = "NVIDIA GB10"
        settings["d0.module_instant_mw"] = nil
        settings["d0.module_average_mw"] = nil
        let fake = try FakeNVML(settings: settings)
        let gpu = fake.component()
        #expect(gpu.moduleScopeDevices().isEmpty)
        let diagnostics = RecordingDiagnostics()
        try gpu.start(diagnostics: diagnostics)
        #expect(
            diagnostics.messages("info").contains {
                $0.contains(
                    "NVIDIA GB10 by its energy counter at GPU scope (a C2C superchip without module-scope power"
                )
            })
        withExtendedLifetime(fake) {}
    }

    @Test func aDiscreteGPUOrAnOldDriverIsMeasuredAtGPUScope() throws {
        for flags in [[], ["-DOMIT_nvmlDeviceGetC2cModeInfoV"]] {
            let fake = try FakeNVML(flags: flags, settings: FakeNVML.twoGPUs)
            let gpu = fake.component()
            #expect(gpu.moduleScopeDevices().isEmpty)
            let diagnostics = RecordingDiagnostics()
            try gpu.start(diagnostics: diagnostics)
            #expect(
                diagnostics.messages("info").contains(
                    "NVML measures NVIDIA A100-SXM4-40GB by its energy counter at GPU scope; NVIDIA H100 80GB HBM3 "
                        + "by its energy counter at GPU scope."))
            withExtendedLifetime(fake) {}
        }
    }

    @Test func onAGraceHopperTheTrackerCountsTheCPUOnlyInTheModuleFigure() async throws {
        // The tracker and its pauses block, so they run on a thread of their own.
        try await IntensityTesting.blocking {
            let (fake, tracker, logs) = try Self.trackerWithFake(Self.graceHopper)
            #expect(tracker.components.map(\.handlerName) == ["NVML", "NVML module"])
            try tracker.epochStart()
            var settings = Self.graceHopper
            settings["d0.energy_mj"] = "7100000"
            try fake.configure(settings)
            pause(0.1)
            try tracker.epochEnd()
            try tracker.stop()
            let epoch = try #require(tracker.epochMeasurements.first)
            #expect(TestTracker.joules(epoch, .gpu) == [100])
            #expect(TestTracker.joules(epoch, .cpu) == [0])
            let standard = HardwareFiles.read(try #require(tracker.logFiles).standard)
            #expect(standard.contains("CPU with device(s) AMD EPYC (in the GPU module figure)."))
            #expect(
                standard.contains(
                    "CPU energy is counted in the GPU figures: NVML measures NVIDIA GH200 480GB at module scope"
                ))
            #expect(!standard.contains("CPU power is estimated"))
            withExtendedLifetime(logs) {}
        }
    }

    /// A one-epoch tracker over all components with the fake NVML scripted by `settings`, its two
    /// components started.
    private static func trackerWithFake(_ settings: [String: String]) throws -> (
        FakeNVML, CarbonTracker, TemporaryDirectory
    ) {
        let fake = try FakeNVML(settings: settings)
        let logs = try TemporaryDirectory()
        var environment = TestTracker.isolatedEnvironment(logs)
        environment["CARBONTRACKER_NVML_LIBRARY"] = fake.library
        let tracker = try TestTracker.make(in: logs, environment: environment, epochs: 1)
        TestTracker.waitForComponents(tracker, count: 2)
        return (fake, tracker, logs)
    }

    @Test func withADiscreteGPUTheCPUIsMeasuredOnItsOwn() async throws {
        try await IntensityTesting.blocking {
            let (fake, tracker, logs) = try Self.trackerWithFake(FakeNVML.twoGPUs)
            #expect(tracker.components.map(\.handlerName) == ["NVML", "CPU power model"])
            try tracker.stop()
            withExtendedLifetime((fake, logs)) {}
        }
    }
}
