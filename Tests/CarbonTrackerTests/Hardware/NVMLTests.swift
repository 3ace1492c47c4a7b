import Foundation
import Testing

@testable import CarbonTracker
@testable import CarbonTrackerMonitor
@testable import CarbonTrackerSources

/// A fake `libnvidia-ml.so` built from `Fixtures/hardware/fake_nvml.c` into its own directory,
/// scripted through `fake-nvml.conf` beside it.
final class FakeNVML: Sendable {
    let directory: TemporaryDirectory
    var library: String { directory.file("libnvidia-ml.so.1") }

    /// - Parameter flags: e.g. `-DOMIT_nvmlDeviceGetTotalEnergyConsumption`, `-DWIDE_V3_ENTRIES`.
    init(flags: [String] = [], settings: [String: String] = [:]) throws {
        directory = try TemporaryDirectory()
        try configure(settings)
        try CCompiler.buildCached("fake_nvml.c", to: library, shared: true, flags: flags)
    }

    func configure(_ settings: [String: String]) throws {
        try directory.write(
            settings.map { "\($0.key)=\($0.value)\n" }.sorted().joined(), to: "fake-nvml.conf")
    }

    var calls: [String] {
        HardwareFiles.read(directory.file("fake-nvml.calls")).split(separator: "\n").map(String.init)
    }

    func component(visible: String? = nil, byPID: Bool = false) -> NVMLComponent {
        NVMLComponent(
            libraryPath: library, visibleDevices: visible, devicesByPID: byPID,
            processFamily: { [ProcessInfo.processInfo.processIdentifier] })
    }

    /// Two GPUs with energy counters and distinct UUIDs, and one MIG instance on the second.
    static let twoGPUs: [String: String] = [
        "count": "2",
        "d0.name": "NVIDIA A100-SXM4-40GB", "d0.uuid": "GPU-aaaa1111-0000-0000-0000-000000000000",
        "d0.energy_mj": "1000000", "d0.power_mw": "100000",
        "d1.name": "NVIDIA H100 80GB HBM3", "d1.uuid": "GPU-bbbb2222-0000-0000-0000-000000000000",
        "d1.energy_mj": "5000000", "d1.power_mw": "300000",
        "mig0.uuid": "MIG-cccc3333-0000-0000-0000-000000000000", "mig0.parent": "1",
    ]
}

@Suite(.enabled(if: CCompiler.isAvailable, "no C compiler (cc/clang/gcc) to build the fake libnvidia-ml.so"))
struct NVMLTests {
    @Test func readsEnergyCountersThroughTheRealDlopenPath() throws {
        let fake = try FakeNVML(settings: FakeNVML.twoGPUs)
        let gpu = fake.component()
        #expect(gpu.isAvailable())
        try gpu.start(diagnostics: SilentDiagnostics())
        #expect(gpu.devices() == ["NVIDIA A100-SXM4-40GB", "NVIDIA H100 80GB HBM3"])
        #expect(gpu.measurementMethod() == .counter)
        #expect(try gpu.read() == [.cumulativeJoules(1000), .cumulativeJoules(5000)])
        var settings = FakeNVML.twoGPUs
        settings["d0.energy_mj"] = "1250500"
        try fake.configure(settings)
        #expect(try gpu.read() == [.cumulativeJoules(1250.5), .cumulativeJoules(5000)])
        gpu.shutdown()
        #expect(
            fake.calls.filter { $0 == "nvmlInit_v2" }.count
                == fake.calls.filter { $0 == "nvmlShutdown" }.count)
    }

    @Test func aMissingEnergyFunctionFallsBackToPowerWithOneLogLine() throws {
        let fake = try FakeNVML(
            flags: ["-DOMIT_nvmlDeviceGetTotalEnergyConsumption"], settings: FakeNVML.twoGPUs)
        let gpu = fake.component()
        let diagnostics = RecordingDiagnostics()
        try gpu.start(diagnostics: diagnostics)
        #expect(gpu.measurementMethod() == .sampled)
        #expect(try gpu.read() == [.watts(100), .watts(300)])
        let notes = diagnostics.messages("info").filter { $0.contains("nvmlDeviceGetPowerUsage") }
        #expect(notes.count == 1)
        #expect(notes.first?.contains("function not found") == true)
        #expect(diagnostics.messages("debug").contains { $0.contains("nvmlDeviceGetTotalEnergyConsumption") })
    }

    @Test func anUnsupportedCounterOnOneGPUSamplesThatGPUOnly() throws {
        var settings = FakeNVML.twoGPUs
        settings["d0.energy_status"] = "3"
        let fake = try FakeNVML(settings: settings)
        let gpu = fake.component()
        let diagnostics = RecordingDiagnostics()
        try gpu.start(diagnostics: diagnostics)
        #expect(try gpu.read() == [.watts(100), .cumulativeJoules(5000)])
        #expect(gpu.measurementMethod() == .sampled)
        #expect(diagnostics.messages("info").contains { $0.contains("NVIDIA A100-SXM4-40GB: Not Supported") })
    }

    @Test func aGPUWithNeitherEnergyNorPowerCannotStart() throws {
        var settings = FakeNVML.twoGPUs
        settings["d1.energy_status"] = "3"
        settings["d1.power_status"] = "3"
        let fake = try FakeNVML(settings: settings)
        let gpu = fake.component()
        let error = try #require(throws: CarbonTrackerError.self) {
            try gpu.start(diagnostics: SilentDiagnostics())
        }
        #expect(error.message.contains("GPU model does not support retrieval of power usages in NVML"))
        #expect(error.message.contains("NVIDIA H100 80GB HBM3"))
    }

    @Test func aLostGPUOrAPowerQueryThatStopsAnsweringDropsTheComponent() throws {
        let fake = try FakeNVML(settings: FakeNVML.twoGPUs)
        let gpu = fake.component()
        try gpu.start(diagnostics: SilentDiagnostics())
        var settings = FakeNVML.twoGPUs
        settings["d1.energy_status"] = "15"
        try fake.configure(settings)
        let lost = try #require(throws: CarbonTrackerError.self) { try gpu.read() }
        #expect(lost.code == .componentUnavailable)
        #expect(lost.message.contains("GPU is lost"))

        settings["d1.energy_status"] = "999"
        try fake.configure(settings)
        #expect(try gpu.read() == [.cumulativeJoules(1000), .unavailable])
    }

    @Test(
        arguments: [
            (nil, ["NVIDIA A100-SXM4-40GB", "NVIDIA H100 80GB HBM3"]),
            ("1", ["NVIDIA H100 80GB HBM3"]),
            ("1,0", ["NVIDIA H100 80GB HBM3", "NVIDIA A100-SXM4-40GB"]),
            ("0,7,1", ["NVIDIA A100-SXM4-40GB"]),
            ("0,foo,1", ["NVIDIA A100-SXM4-40GB"]),
            ("GPU-bbbb2222-0000-0000-0000-000000000000", ["NVIDIA H100 80GB HBM3"]),
            ("GPU-bbbb", ["NVIDIA H100 80GB HBM3"]),
            (" GPU-aaaa1111 , 1 ", ["NVIDIA A100-SXM4-40GB", "NVIDIA H100 80GB HBM3"]),
            ("MIG-cccc3333-0000-0000-0000-000000000000", ["NVIDIA H100 80GB HBM3"]),
            ("MIG-GPU-aaaa1111-0000-0000-0000-000000000000/1/0", ["NVIDIA A100-SXM4-40GB"]),
            ("0,0", ["NVIDIA A100-SXM4-40GB"]),
        ] as [(String?, [String])])
    func cudaVisibleDevicesSelectsByIndexUUIDAndMIG(visible: String?, expected: [String]) throws {
        let fake = try FakeNVML(settings: FakeNVML.twoGPUs)
        let gpu = fake.component(visible: visible)
        try gpu.start(diagnostics: SilentDiagnostics())
        #expect(gpu.devices() == expected)
        gpu.shutdown()
    }

    @Test(arguments: [
        ("", "is empty"), ("7", "names none"), ("GPU-ffff", "names none"), ("GPU-", "names none"),
    ])
    func cudaVisibleDevicesThatSelectNothingMakeNVMLUnavailable(visible: String, reason: String) throws {
        let fake = try FakeNVML(settings: FakeNVML.twoGPUs)
        let gpu = fake.component(visible: visible)
        #expect(!gpu.isAvailable())
        #expect(gpu.unavailabilityReason()?.contains(reason) == true)
    }

    @Test(
        arguments: [
            ([], "nvmlDeviceGetComputeRunningProcesses_v3"),
            (["-DWIDE_V3_ENTRIES"], "nvmlDeviceGetComputeRunningProcesses_v3"),
            (
                [
                    "-DOMIT_nvmlDeviceGetComputeRunningProcesses_v3",
                    "-DOMIT_nvmlDeviceGetGraphicsRunningProcesses_v3",
                ],
                "nvmlDeviceGetComputeRunningProcesses_v2"
            ),
            (
                [
                    "-DOMIT_nvmlDeviceGetComputeRunningProcesses_v3",
                    "-DOMIT_nvmlDeviceGetGraphicsRunningProcesses_v3",
                    "-DOMIT_nvmlDeviceGetComputeRunningProcesses_v2",
                    "-DOMIT_nvmlDeviceGetGraphicsRunningProcesses_v2",
                ], "nvmlDeviceGetComputeRunningProcesses"
            ),
        ] as [([String], String)])
    func devicesByPIDFindsOurProcessInEveryProcessInfoLayout(flags: [String], query: String) throws {
        let me = ProcessInfo.processInfo.processIdentifier
        var settings = FakeNVML.twoGPUs
        settings["d0.compute_pids"] = "101,102,103"
        settings["d1.compute_pids"] = "201,202,\(me),204"
        let fake = try FakeNVML(flags: flags, settings: settings)
        let gpu = fake.component(byPID: true)
        try gpu.start(diagnostics: SilentDiagnostics())
        #expect(gpu.devices() == ["NVIDIA H100 80GB HBM3"])
        #expect(fake.calls.contains(query))

        settings["d1.compute_pids"] = nil
        settings["d0.graphics_pids"] = "\(me)"
        try fake.configure(settings)
        let graphics = fake.component(byPID: true)
        try graphics.start(diagnostics: SilentDiagnostics())
        #expect(graphics.devices() == ["NVIDIA A100-SXM4-40GB"])
    }

    @Test func devicesByPIDWithoutOurProcessSaysToStartGPUWorkFirst() throws {
        let fake = try FakeNVML(settings: FakeNVML.twoGPUs)
        let gpu = fake.component(byPID: true)
        #expect(gpu.unavailabilityReason()?.contains("start GPU work before creating the tracker") == true)
    }

    @Test func aMissingLibraryOrFailingInitMakesNVMLUnavailableWithTheReason() throws {
        let missing = NVMLComponent(environment: [
            "CARBONTRACKER_NVML_LIBRARY": "/nonexistent/libnvidia-ml.so.1"
        ])
        #expect(!missing.isAvailable())
        #expect(
            missing.unavailabilityReason()?.contains("/nonexistent/libnvidia-ml.so.1 could not be loaded")
                == true)

        var settings = FakeNVML.twoGPUs
        settings["init_status"] = "9"
        let failing = try FakeNVML(settings: settings)
        #expect(failing.component().unavailabilityReason()?.contains("Driver Not Loaded") == true)

        let noInit = try FakeNVML(
            flags: ["-DOMIT_nvmlInit_v2", "-DOMIT_nvmlInit"], settings: FakeNVML.twoGPUs)
        #expect(
            noInit.component().unavailabilityReason()?.contains("nvmlInit failed: function not found") == true
        )

        let fallback = try FakeNVML(flags: ["-DOMIT_nvmlInit_v2"], settings: FakeNVML.twoGPUs)
        #expect(fallback.component().isAvailable())
        #expect(fallback.calls.contains("nvmlInit"))
    }

    @Test func trackerEpochEnergyEqualsTheDriverCounterDelta() throws {
        let fake = try FakeNVML(settings: FakeNVML.twoGPUs)
        let logs = try TemporaryDirectory()
        var environment = TestTracker.isolatedEnvironment(logs)
        environment["CARBONTRACKER_NVML_LIBRARY"] = fake.library
        let tracker = try TestTracker.make(in: logs, components: "gpu", environment: environment)
        TestTracker.waitForComponents(tracker)
        pause(0.1)
        try tracker.epochStart()
        pause(0.1)
        var settings = FakeNVML.twoGPUs
        settings["d0.energy_mj"] = "1012345"
        settings["d1.energy_mj"] = "5300000"
        try fake.configure(settings)
        pause(0.15)
        try tracker.epochEnd()
        try tracker.stop()
        let epoch = try #require(tracker.epochMeasurements.first)
        let joules = try #require(TestTracker.joules(epoch, .gpu))
        #expect(abs(joules[0] - 12.345) < 1e-9)
        #expect(abs(joules[1] - 300) < 1e-9)
        let standard = HardwareFiles.read(try #require(tracker.logFiles).standard)
        #expect(standard.contains("GPU with device(s) NVIDIA A100-SXM4-40GB, NVIDIA H100 80GB HBM3."))
        #expect(standard.contains("[method: counter]"))
    }

    @Test func trackerEpochEnergyFromPowerSamplesIsWithinOnePercentOfThePowerIntegral() throws {
        var settings = FakeNVML.twoGPUs
        settings["count"] = "1"
        settings["d0.power_mw"] = "200000"
        let fake = try FakeNVML(flags: ["-DOMIT_nvmlDeviceGetTotalEnergyConsumption"], settings: settings)
        let logs = try TemporaryDirectory()
        var environment = TestTracker.isolatedEnvironment(logs)
        environment["CARBONTRACKER_NVML_LIBRARY"] = fake.library
        let tracker = try TestTracker.make(
            in: logs, components: "gpu", updateInterval: 0.01, environment: environment)
        TestTracker.waitForComponents(tracker)
        pause(0.1)
        let clock = ContinuousClock()
        let start = clock.now
        try tracker.epochStart()
        pause(0.6)
        settings["d0.power_mw"] = "240000"
        try fake.configure(settings)
        let change = clock.now
        pause(0.6)
        let end = clock.now
        try tracker.epochEnd()
        try tracker.stop()
        let seconds = { (duration: Duration) in
            Double(duration.components.seconds) + Double(duration.components.attoseconds) * 1e-18
        }
        let truth = 200 * seconds(change - start) + 240 * seconds(end - change)
        let epoch = try #require(tracker.epochMeasurements.first)
        let joules = try #require(TestTracker.joules(epoch, .gpu))
        #expect(abs(joules[0] - truth) / truth < 0.01, "measured \(joules[0]) J, integral \(truth) J")
        let standard = HardwareFiles.read(try #require(tracker.logFiles).standard)
        #expect(standard.contains("integrated from nvmlDeviceGetPowerUsage samples instead"))
        #expect(standard.contains("[method: sampled]"))
    }

    @Test func aGPUWithoutPowerIsLoggedAndTrainingContinuesWithTheCPU() throws {
        var settings = FakeNVML.twoGPUs
        settings["d0.energy_status"] = "3"
        settings["d0.power_status"] = "3"
        let fake = try FakeNVML(settings: settings)
        let logs = try TemporaryDirectory()
        var environment = TestTracker.isolatedEnvironment(logs)
        environment["CARBONTRACKER_NVML_LIBRARY"] = fake.library
        let tracker = try TestTracker.make(in: logs, environment: environment)
        for _ in 0..<2 {
            try tracker.epochStart()
            pause(0.05)
            try tracker.epochEnd()
        }
        try tracker.stop()
        #expect(tracker.epochMeasurements.count == 2)
        #expect(tracker.epochMeasurements.last?.components.map(\.kind) == [.cpu])
        let errors = HardwareFiles.read(try #require(tracker.logFiles).error)
        #expect(
            errors.contains(
                "Could not start NVML for gpu: GPU model does not support retrieval of power usages"))
    }
}

@Suite struct VisibleDevicesTests {
    @Test func parsesAsCUDADoes() {
        #expect(VisibleDevices.parse(nil) == .all)
        #expect(VisibleDevices.parse("") == .listed([]))
        #expect(VisibleDevices.parse("  ") == .listed([]))
        #expect(VisibleDevices.parse("2,0") == .listed([.index(2), .index(0)]))
        #expect(VisibleDevices.parse("0,-1,1") == .listed([.index(0)]))
        #expect(VisibleDevices.parse("GPU-12ab,MIG-34cd") == .listed([.uuid("GPU-12ab"), .mig("MIG-34cd")]))
        #expect(VisibleDevices.parse("NoDevFiles") == .listed([]))
        #expect(VisibleDevices.parentUUID(inLegacyMIGName: "MIG-GPU-12ab/1/0") == "GPU-12ab")
        #expect(VisibleDevices.parentUUID(inLegacyMIGName: "MIG-12ab") == nil)
    }

    @Test func findsThisProcessAndItsChildren() throws {
        #expect(ProcessTree.parentPID(fromStat: "42 (a (b) c) S 7 42 42 0") == 7)
        #expect(ProcessTree.currentFamily().contains(ProcessInfo.processInfo.processIdentifier))
        #if os(Linux)
            let child = Process()
            child.executableURL = URL(fileURLWithPath: "/bin/sleep")
            child.arguments = ["5"]
            try child.run()
            defer { child.terminate() }
            #expect(ProcessTree.currentFamily().contains(child.processIdentifier))
        #endif
    }
}
