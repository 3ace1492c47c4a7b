import Foundation
import Testing

@testable import CarbonTracker
@testable import CarbonTrackerMonitor
@testable import CarbonTrackerSources

/// A stand-in for libIOReport and CoreFoundation built from `Fixtures/hardware/fake_ioreport.c` into its
/// own directory, scripted through `fake-ioreport.conf` beside it: one `NAME|UNIT|V0,V1,...` line per
/// channel, the Nth sample of a subscription reporting VN.
final class FakeIOReport: Sendable {
    let directory: TemporaryDirectory
    var library: String { directory.file("libIOReport.dylib") }

    init(_ lines: [String]) throws {
        directory = try TemporaryDirectory()
        try configure(lines)
        try CCompiler.buildCached("fake_ioreport.c", to: library, shared: true)
    }

    func configure(_ lines: [String]) throws {
        try directory.write(lines.map { $0 + "\n" }.joined(), to: "fake-ioreport.conf")
    }

    /// A component reading the fake, with a self-check `selfCheckSeconds` long.
    func component(_ kind: ComponentKind, selfCheckSeconds: Double = 0.01) -> AppleEnergyComponent {
        AppleEnergyComponent(kind: kind, libraryPath: library, selfCheckSeconds: selfCheckSeconds)
    }
}

/// The joules in a reading, or `nil` when it is not a counter value.
private func joules(_ reading: DeviceReading) -> Double? {
    if case .cumulativeJoules(let value) = reading { return value }
    return nil
}

private func close(_ readings: [DeviceReading], _ expected: [Double]) -> Bool {
    let values = readings.compactMap(joules)
    return values.count == expected.count && zip(values, expected).allSatisfy { abs($0 - $1) < 1e-9 }
}

/// IOReport's "Energy Model" counters through the `CIOReport` shim, on any OS, with a fake library
/// that answers the shim's IOReport and CoreFoundation calls. (The real library exists only on macOS.)
@Suite(.enabled(if: CCompiler.isAvailable, "needs a C compiler (cc) to build the fake IOReport library"))
struct AppleEnergyTests {
    @Test func eachChannelIsReadInItsOwnUnit() throws {
        // Sample 0 and 1 are the self-check; reads start from sample 1.
        let fake = try FakeIOReport([
            "CPU Energy|mJ|0,1000,3000",
            "DRAM|nJ|0,1000000000,3500000000",
            "GPU Energy|uJ|0,1000000,6000000",
            "ANE|mJ|0,0,250",
            "PACC0_CPU|mJ|0,900,2900",
        ])
        let cpu = fake.component(.cpu)
        let gpu = fake.component(.gpu)
        #expect(cpu.unavailabilityReason() == nil)
        #expect(cpu.devices() == ["CPU", "DRAM"])
        #expect(gpu.devices() == ["GPU", "ANE"])
        #expect(cpu.measurementMethod() == .counter)
        try cpu.start(diagnostics: SilentDiagnostics())
        try gpu.start(diagnostics: SilentDiagnostics())
        // CPU 2000 mJ, DRAM 2.5e9 nJ; GPU 5e6 uJ, ANE 250 mJ. The per-cluster PACC0_CPU is not added.
        #expect(close(try cpu.read(), [2, 2.5]))
        #expect(close(try gpu.read(), [5, 0.25]))
        cpu.shutdown()
        gpu.shutdown()
    }

    @Test func countersAreDifferencedAndARestartCountsFromZero() throws {
        let fake = try FakeIOReport(["CPU Energy|mJ|1000,2000,2500,400,900"])
        let cpu = fake.component(.cpu)
        let diagnostics = RecordingDiagnostics()
        try cpu.start(diagnostics: diagnostics)
        #expect(close(try cpu.read(), [0.5]))
        // 2500 -> 400: the counter restarted; the 400 mJ since then are counted, never a negative amount.
        #expect(close(try cpu.read(), [0.9]))
        #expect(close(try cpu.read(), [1.4]))
        #expect(diagnostics.messages("debug").contains { $0.contains("CPU Energy counter went down") })
        #expect(diagnostics.messages("info").contains(AppleEnergyComponent.untestedNote))
    }

    @Test func aChannelMissingFromASampleIsUnavailableForThatRead() throws {
        let fake = try FakeIOReport(["CPU Energy|mJ|0,1000,2000", "DRAM|mJ|0,10,20"])
        let cpu = fake.component(.cpu)
        try cpu.start(diagnostics: SilentDiagnostics())
        try fake.configure(["CPU Energy|mJ|0,1000,2000"])
        #expect(try cpu.read() == [.cumulativeJoules(1), .unavailable])
    }

    @Test(arguments: [
        (["CPU Energy|mJ|5,5,5"], "counters did not advance"),
        (["GPU Energy|mJ|0,10"], "has no CPU channel (channels: GPU Energy)"),
        (["CPU Energy|W|0,10"], "counts in \"W\", which is not an energy unit"),
        (["CPU Energy|J|0,1000000"], "which is not a plausible energy"),
        (["CPU Energy|mJ|-10,-5"], "reported a negative counter"),
        (["no_group"], "no \"Energy Model\" channel group"),
        (["no_subscription", "CPU Energy|mJ|0,10"], "refused a subscription"),
    ])
    func aFailedSelfCheckSaysWhy(lines: [String], reason: String) throws {
        let fake = try FakeIOReport(lines)
        let cpu = fake.component(.cpu)
        #expect(!cpu.isAvailable())
        let said = try #require(cpu.unavailabilityReason())
        #expect(said.contains(reason), "\(said)")
        #expect(cpu.devices() == [])
        #expect(throws: CarbonTrackerError.self) { try cpu.start(diagnostics: SilentDiagnostics()) }
    }

    @Test func aMissingLibrarySaysSoAndOnlyMacOSHasADefault() throws {
        let directory = try TemporaryDirectory()
        let missing = AppleEnergyComponent(
            kind: .gpu, libraryPath: directory.file("none.dylib"), selfCheckSeconds: 0)
        #expect(missing.unavailabilityReason()?.contains("none.dylib could not be loaded") == true)
        #if !os(macOS)
            let system = AppleEnergyComponent(kind: .cpu, environment: [:])
            #expect(system.unavailabilityReason() == "IOReport exists only on macOS.")
        #endif
    }

    @Test func channelsAreNamedOnePerDeviceWithoutTheEnergySuffix() throws {
        let sample = [
            "DIE_0_CPU Energy", "DIE_1_CPU Energy", "EACC_CPU", "GPU Energy", "GPU SRAM", "ANE0", "DRAM0",
        ].map { IOReportValue(name: $0, unit: "mJ", value: 1) }
        #expect(
            try AppleEnergyChannels(kind: .cpu, sample: sample).devices == [
                "DIE_0_CPU", "DIE_1_CPU", "DRAM0",
            ])
        #expect(try AppleEnergyChannels(kind: .gpu, sample: sample).devices == ["GPU", "ANE0"])
        #expect(AppleEnergyChannels.joulesPerUnit("nJ") == 1e-9)
        #expect(AppleEnergyChannels.joulesPerUnit("µJ") == 1e-6)
        #expect(AppleEnergyChannels.joulesPerUnit("mW") == nil)
    }

    @Test func aTrackerMeasuresEveryChannelAsACounter() throws {
        let fake = try FakeIOReport([
            "CPU Energy|mJ|" + (0..<400).map { String($0 * 100) }.joined(separator: ","),
            "DRAM|mJ|" + (0..<400).map { String($0 * 10) }.joined(separator: ","),
            "GPU Energy|mJ|" + (0..<400).map { String($0 * 50) }.joined(separator: ","),
            "ANE|mJ|" + (0..<400).map { String($0 * 5) }.joined(separator: ","),
        ])
        let logs = try TemporaryDirectory()
        var environment = TestTracker.isolatedEnvironment(logs)
        environment["CARBONTRACKER_IOREPORT_LIBRARY"] = fake.library
        let tracker = try TestTracker.make(in: logs, environment: environment)
        TestTracker.waitForComponents(tracker, count: 2)
        #expect(tracker.components.map(\.handlerName) == ["IOReport", "IOReport"])
        try tracker.epochStart()
        pause(0.2)
        try tracker.epochEnd()
        try tracker.stop()
        let files = try #require(tracker.logFiles)
        let standard = HardwareFiles.read(files.standard)
        #expect(standard.contains("GPU with device(s) GPU, ANE. CPU with device(s) CPU, DRAM."))
        #expect(standard.contains("[method: counter]"))
        let cpu = try #require(tracker.epochMeasurements.first.flatMap { TestTracker.joules($0, .cpu) })
        #expect(cpu.count == 2 && cpu[0] > 0 && cpu[1] > 0 && cpu[0] > cpu[1])
    }

    @Test func aFailedSelfCheckIsLoggedAndTheCPUFallsBackToTheEstimate() throws {
        let fake = try FakeIOReport(["CPU Energy|mJ|7", "GPU Energy|mJ|7"])
        let logs = try TemporaryDirectory()
        var environment = TestTracker.isolatedEnvironment(logs)
        environment["CARBONTRACKER_IOREPORT_LIBRARY"] = fake.library
        let tracker = try TestTracker.make(in: logs, components: "cpu", environment: environment)
        TestTracker.waitForComponents(tracker)
        #expect(tracker.components.map(\.handlerName) == ["CPU power model"])
        try tracker.stop()
        let files = try #require(tracker.logFiles)
        #expect(
            HardwareFiles.read(files.error).contains(
                "IOReport could not measure the CPU: IOReport's CPU counters did not advance"))
    }

    @Test func aFailedSelfCheckIsLoggedWhenPowermetricsStandsIn() throws {
        let fake = try FakeIOReport(["CPU Energy|mJ|7", "GPU Energy|mJ|7"])
        let powermetrics = try FakePowermetrics()
        let logs = try TemporaryDirectory()
        var environment = TestTracker.isolatedEnvironment(logs).merging(
            powermetrics.environment([
                "CARBONTRACKER_POWERMETRICS": powermetrics.executable,
                "CARBONTRACKER_POWERMETRICS_INTERVAL_MS": "20",
            ])
        ) { $1 }
        environment["CARBONTRACKER_IOREPORT_LIBRARY"] = fake.library
        let tracker = try TestTracker.make(in: logs, components: "gpu", environment: environment)
        TestTracker.waitForComponents(tracker)
        #expect(tracker.components.map(\.handlerName) == ["powermetrics"])
        try tracker.stop()
        let files = try #require(tracker.logFiles)
        #expect(
            HardwareFiles.read(files.error).contains(
                "IOReport could not be used, so powermetrics is: IOReport's GPU counters did not advance"))
    }
}
