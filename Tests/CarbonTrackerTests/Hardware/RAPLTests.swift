import Foundation
import Testing

@testable import CarbonTracker
@testable import CarbonTrackerMonitor
@testable import CarbonTrackerSources

#if canImport(Glibc)
    import Glibc
#endif

/// A powercap tree in a temporary directory, shaped like `/sys/class/powercap`.
struct FakePowercap {
    let directory: TemporaryDirectory
    var root: String { directory.file("powercap") }

    init() throws {
        directory = try TemporaryDirectory()
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
    }

    func zone(_ path: String, name: String, microjoules: UInt64? = 0, range: UInt64? = 262_143_328_850) throws
    {
        let zone = root + "/" + path
        try FileManager.default.createDirectory(atPath: zone, withIntermediateDirectories: true)
        try HardwareFiles.write(name + "\n", to: zone + "/name")
        if let microjoules { try set(path, microjoules) }
        if let range { try HardwareFiles.write("\(range)\n", to: zone + "/max_energy_range_uj") }
    }

    func set(_ path: String, _ microjoules: UInt64) throws {
        try HardwareFiles.write("\(microjoules)\n", to: root + "/" + path + "/energy_uj")
    }

    /// A top-level link, as the kernel adds for every subzone.
    func link(_ name: String, to path: String) throws {
        try FileManager.default.createSymbolicLink(
            atPath: root + "/" + name, withDestinationPath: root + "/" + path)
    }

    /// A typical two-socket server with psys, core/uncore subzones, MMIO copies and top-level links.
    static func server() throws -> FakePowercap {
        let tree = try FakePowercap()
        try tree.zone("intel-rapl:0", name: "package-0", microjoules: 1_000_000)
        try tree.zone("intel-rapl:0/intel-rapl:0:0", name: "core", microjoules: 500_000)
        try tree.zone("intel-rapl:0/intel-rapl:0:1", name: "uncore", microjoules: 100_000)
        try tree.zone("intel-rapl:0/intel-rapl:0:2", name: "dram", microjoules: 2_000_000)
        try tree.link("intel-rapl:0:0", to: "intel-rapl:0/intel-rapl:0:0")
        try tree.link("intel-rapl:0:2", to: "intel-rapl:0/intel-rapl:0:2")
        try tree.zone("intel-rapl:1", name: "psys", microjoules: 9_000_000)
        try tree.zone("intel-rapl:2", name: "package-1", microjoules: 3_000_000)
        try tree.zone("intel-rapl:2/intel-rapl:2:0", name: "dram", microjoules: 4_000_000)
        try tree.link("intel-rapl:2:0", to: "intel-rapl:2/intel-rapl:2:0")
        try tree.zone("intel-rapl-mmio:0", name: "package-0", microjoules: 7_000_000)
        try FileManager.default.createDirectory(
            atPath: tree.root + "/intel-rapl", withIntermediateDirectories: true)
        return tree
    }
}

/// A reader that answers EACCES for chosen files, as the kernel does for a non-root user; used
/// where the tests run as root, which file modes cannot stop.
final class DenyingReader: Sendable {
    private let denied = LockedBox<Set<String>>([])

    func deny(_ path: String) { denied.withLock { _ = $0.insert(path) } }

    var reader: SysfsReader {
        SysfsReader { [self] path in
            if denied.withLock({ $0.contains(path) }) {
                return .failure(SysfsReadError(path: path, code: EACCES))
            }
            return SysfsReader.posix.read(path)
        }
    }
}

@Suite struct RAPLTests {
    @Test func discoversPackagesAndDRAMOnceSkippingPsysSubzonesAndMMIO() throws {
        let tree = try FakePowercap.server()
        let zones = try RAPLZones.discover(root: tree.root, reader: .posix)
        #expect(zones.map(\.device) == ["cpu:0", "dram:0", "cpu:1", "dram:1"])
        #expect(zones[1].directory.hasSuffix("intel-rapl:0/intel-rapl:0:2"))
        #expect(zones[0].rangeMicrojoules == 262_143_328_850)
        #expect(RAPLComponent(root: tree.root).devices() == ["cpu:0", "dram:0", "cpu:1", "dram:1"])
    }

    @Test func countsADRAMZoneFoundTwiceUnderDifferentPathsOnce() throws {
        let tree = try FakePowercap()
        try tree.zone("intel-rapl:0", name: "package-0")
        try tree.zone("intel-rapl:0/intel-rapl:0:2", name: "dram")
        try tree.zone("intel-rapl:0:2", name: "dram")
        let zones = try RAPLZones.discover(root: tree.root, reader: .posix)
        #expect(zones.map(\.device) == ["cpu:0", "dram:0"])
    }

    @Test func readsCounterDifferencesAndAddsTheRangeWhenACounterWraps() throws {
        let tree = try FakePowercap()
        try tree.zone("intel-rapl:0", name: "package-0", microjoules: 900, range: 1_000)
        try tree.zone("intel-rapl:0/intel-rapl:0:2", name: "dram", microjoules: 10, range: 1_000)
        let rapl = RAPLComponent(root: tree.root)
        try rapl.start(diagnostics: SilentDiagnostics())
        #expect(try rapl.read() == [.cumulativeJoules(0), .cumulativeJoules(0)])
        try tree.set("intel-rapl:0", 150)  // wrapped: 900 → 1000 → 150 is 250 µJ
        try tree.set("intel-rapl:0/intel-rapl:0:2", 60)
        #expect(try rapl.read() == [.cumulativeJoules(250e-6), .cumulativeJoules(50e-6)])
        try tree.set("intel-rapl:0", 950)
        #expect(try rapl.read() == [.cumulativeJoules(1050e-6), .cumulativeJoules(50e-6)])
        #expect(rapl.measurementMethod() == .counter)
    }

    @Test func limitsTheReadIntervalSoNoCounterCanWrapTwice() throws {
        let tree = try FakePowercap()
        try tree.zone("intel-rapl:0", name: "package-0", microjoules: 0, range: 6_000_000_000)
        let rapl = RAPLComponent(root: tree.root)
        let started = ContinuousClock.now
        try rapl.start(diagnostics: SilentDiagnostics())
        // 6000 J at the assumed 500 W peak wraps after 12 s.
        #expect(rapl.maximumReadInterval == 6000 / RAPLComponent.assumedPeakWatts)
        try tree.set("intel-rapl:0", 5_000_000_000)  // 5000 J between two reads: kilowatts at least
        _ = try rapl.read()
        // The two reads were at most `elapsed` apart, so the power seen was at least 5000 J / elapsed and
        // the interval is at most the range over twice that (however slow a loaded machine made them).
        let elapsed = started.duration(to: .now)
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
        let bound = 6000 / max(RAPLComponent.assumedPeakWatts, 2 * 5000 / seconds)
        let interval = try #require(rapl.maximumReadInterval)
        #expect(interval > 0 && interval <= bound * (1 + 1e-9) && interval < 12, "\(interval) s")

        let unbounded = try FakePowercap()
        try unbounded.zone("intel-rapl:0", name: "package-0", range: nil)
        #expect(RAPLComponent(root: unbounded.root).maximumReadInterval == nil)
    }

    @Test func aMissingDirectoryOrPackageMakesItUnavailableWithAReason() throws {
        let missing = RAPLComponent(root: "/nonexistent/powercap")
        #expect(!missing.isAvailable())
        #expect(missing.unavailabilityReason()?.contains("/nonexistent/powercap") == true)

        let psysOnly = try FakePowercap()
        try psysOnly.zone("intel-rapl:0", name: "psys")
        #expect(
            RAPLComponent(root: psysOnly.root).unavailabilityReason()?.contains("no RAPL package zone")
                == true)
    }

    @Test func unreadableCountersAreNamedWithTheChmodCommandAndTheUdevRule() throws {
        let tree = try FakePowercap.server()
        let denying = DenyingReader()
        let package = tree.root + "/intel-rapl:0/energy_uj"
        let dram = tree.root + "/intel-rapl:2/intel-rapl:2:0/energy_uj"
        denying.deny(package)
        denying.deny(dram)
        let rapl = RAPLComponent(root: tree.root, reader: denying.reader)
        #expect(!rapl.isAvailable())
        let reason = try #require(rapl.unavailabilityReason())
        #expect(reason.contains("sudo chmod +r \(package) \(dram)"))
        #expect(reason.contains("\(package) and \(dram)"))
        #expect(reason.contains(#"SUBSYSTEM=="powercap""#))
        #expect(rapl.unavailabilityIsActionable)
        #expect(!RAPLComponent(root: "/nonexistent").unavailabilityIsActionable)
    }

    /// Runs only without root: root reads files whatever their mode (the test above covers root).
    @Test(
        .enabled(
            if: geteuid() != 0, "running as root, where chmod 000 does not deny reads; see the test above"))
    func fileModesThatDenyReadingAreReportedLikeTheKernelsRefusal() throws {
        let tree = try FakePowercap()
        try tree.zone("intel-rapl:0", name: "package-0")
        let counter = tree.root + "/intel-rapl:0/energy_uj"
        #expect(chmod(counter, 0) == 0)
        let reason = try #require(RAPLComponent(root: tree.root).unavailabilityReason())
        #expect(reason.contains("sudo chmod +r \(counter)"))
    }

    @Test func aCounterThatBecomesUnreadableWhileMonitoringThrowsPermissionDenied() throws {
        let tree = try FakePowercap()
        try tree.zone("intel-rapl:0", name: "package-0")
        let denying = DenyingReader()
        let rapl = RAPLComponent(root: tree.root, reader: denying.reader)
        try rapl.start(diagnostics: SilentDiagnostics())
        denying.deny(tree.root + "/intel-rapl:0/energy_uj")
        let error = try #require(throws: CarbonTrackerError.self) { try rapl.read() }
        #expect(error.code == .permissionDenied)
        #expect(error.message.contains("sudo chmod +r \(tree.root)/intel-rapl:0/energy_uj"))
    }

    @Test func trackerEpochEnergyEqualsTheCounterDeltaIncludingWraps() throws {
        let tree = try FakePowercap()
        let range: UInt64 = 20_000_000  // 20 J: wraps at the assumed peak after 40 ms
        try tree.zone("intel-rapl:0", name: "package-0", microjoules: 19_000_000, range: range)
        try tree.zone("intel-rapl:0/intel-rapl:0:2", name: "dram", microjoules: 5_000_000, range: range)
        let logs = try TemporaryDirectory()
        var environment = TestTracker.isolatedEnvironment(logs)
        environment["CARBONTRACKER_RAPL_DIR"] = tree.root
        let tracker = try TestTracker.make(in: logs, components: "cpu", environment: environment)
        TestTracker.waitForComponents(tracker)
        #expect(tracker.components.first?.handlerName == "RAPL")
        pause(0.1)
        try tracker.epochStart()
        pause(0.15)
        // Package: 19 J → 4 J (wrap, +5 J) → 15 J (+11 J) → 2 J (wrap, +7 J) = 23 J. DRAM: 5 J → 5.5 J.
        for (package, dram) in [(4_000_000, 5_200_000), (15_000_000, 5_300_000), (2_000_000, 5_500_000)]
            as [(UInt64, UInt64)]
        {
            try tree.set("intel-rapl:0", package)
            try tree.set("intel-rapl:0/intel-rapl:0:2", dram)
            pause(0.15)
        }
        pause(0.1)
        try tracker.epochEnd()
        try tracker.stop()
        let epoch = try #require(tracker.epochMeasurements.first)
        let joules = try #require(TestTracker.joules(epoch, .cpu))
        #expect(abs(joules[0] - 23) < 1e-9)
        #expect(abs(joules[1] - 0.5) < 1e-9)
        #expect(epoch.components.first?.method == .counter)
        let standard = HardwareFiles.read(try #require(tracker.logFiles).standard)
        #expect(standard.contains("CPU with device(s) cpu:0, dram:0."))
        #expect(standard.contains("Measured energy (J) for cpu: [23.0 0.5] [method: counter]"))
    }

    @Test func trainingContinuesWithoutCPUWhenCountersBecomeUnreadable() throws {
        let tree = try FakePowercap()
        try tree.zone("intel-rapl:0", name: "package-0")
        let denying = DenyingReader()
        let rapl = RAPLComponent(root: tree.root, reader: denying.reader)
        let gpu = try SimulatedComponent(kind: .gpu, deviceName: "Sim GPU", watts: 100)
        let logs = try TemporaryDirectory()
        let tracker = try TestTracker.make(in: logs, custom: [rapl, gpu])
        TestTracker.waitForComponents(tracker, count: 2)
        try tracker.epochStart()
        pause(0.05)
        try tracker.epochEnd()
        denying.deny(tree.root + "/intel-rapl:0/energy_uj")
        try tracker.epochStart()
        pause(0.1)
        try tracker.epochEnd()
        try tracker.epochStart()
        try tracker.epochEnd()
        #expect(tracker.epochMeasurements.count == 3)
        #expect(tracker.epochMeasurements.last?.components.map(\.kind) == [.gpu])
        let errors = HardwareFiles.read(try #require(tracker.logFiles).error)
        #expect(errors.contains("sudo chmod +r \(tree.root)/intel-rapl:0/energy_uj"))
        #expect(errors.contains("Continuing without CPU measurements."))
    }
}

/// A RAPL counter that disappears mid-run: named once, its energy up to then kept, every later
/// figure marked incomplete, never a silent zero.
struct RAPLSourceFailureTests {
    @Test func aCounterThatDisappearsKeepsItsEnergyAndIsMarkedIncomplete() throws {
        let tree = try FakePowercap()
        try tree.zone("intel-rapl:0", name: "package-0", microjoules: 1_000_000)
        try tree.zone("intel-rapl:0/intel-rapl:0:2", name: "dram", microjoules: 5_000_000)
        let logs = try TemporaryDirectory()
        var environment = TestTracker.isolatedEnvironment(logs)
        environment["CARBONTRACKER_RAPL_DIR"] = tree.root
        let tracker = try TestTracker.make(in: logs, components: "cpu", environment: environment, epochs: 2)
        TestTracker.waitForComponents(tracker)
        try tracker.epochStart()
        pause(0.1)
        try tree.set("intel-rapl:0", 4_000_000)  // +3 J
        try tree.set("intel-rapl:0/intel-rapl:0:2", 5_500_000)  // +0.5 J
        pause(0.15)
        // The package counter disappears; later increments of the file that is gone cannot be seen.
        try FileManager.default.removeItem(atPath: tree.root + "/intel-rapl:0/energy_uj")
        pause(0.15)
        try tree.set("intel-rapl:0/intel-rapl:0:2", 6_000_000)  // +0.5 J
        pause(0.15)
        try tracker.epochEnd()
        try tracker.epochStart()
        // Epoch 1 ends on the sampling thread's next reading: the counter moves only once it was taken,
        // however loaded the machine.
        #expect(CoreTest.eventually(within: 10) { tracker.epochMeasurements.count == 1 })
        try tree.set("intel-rapl:0/intel-rapl:0:2", 6_250_000)  // +0.25 J
        pause(0.15)
        try tracker.epochEnd()
        try tracker.stop()
        let first = try #require(tracker.epochMeasurements.first)
        let joules = try #require(TestTracker.joules(first, .cpu))
        #expect(abs(joules[0] - 3) < 1e-9, "the package's energy up to the failure is kept")
        #expect(abs(joules[1] - 1) < 1e-9, "the DRAM counter goes on")
        #expect(first.components.first?.method == .incomplete)
        #expect(tracker.epochMeasurements.last?.components.first?.method == .incomplete)
        let standard = HardwareFiles.read(try #require(tracker.logFiles).standard)
        #expect(
            standard.contains("Measured energy (J) for cpu: [3.0 1.0] [method: incomplete]"), "\(standard)")
        let errors = HardwareFiles.read(try #require(tracker.logFiles).error)
        #expect(
            errors.components(separatedBy: "stopped answering mid-run").count - 1 == 1,
            "named once: \(errors)")
        #expect(errors.contains("intel-rapl:0/energy_uj"))
    }
}
