import Foundation
import Testing

@testable import CarbonTracker
@testable import CarbonTrackerMonitor
@testable import CarbonTrackerSources

#if canImport(Glibc)
    import Glibc
#endif

/// A fake powermetrics built from `Fixtures/hardware/fake_powermetrics.c`, with the files it reads
/// and writes in its own directory.
final class FakePowermetrics: Sendable {
    let directory: TemporaryDirectory
    var executable: String { directory.file("powermetrics") }
    var log: String { directory.file("samples.log") }

    init() throws {
        directory = try TemporaryDirectory()
        try CCompiler.buildCached("fake_powermetrics.c", to: executable, shared: false)
        try power(cpu: 5000, gpu: 1200, ane: 300)
    }

    /// Sets the milliwatts of the next windows.
    func power(cpu: Int, gpu: Int, ane: Int) throws {
        try directory.write("\(cpu) \(gpu) \(ane)\n", to: "power")
    }

    /// The fake's settings as environment variables, plus `extra`.
    func environment(_ extra: [String: String] = [:]) -> [String: String] {
        [
            "FAKE_PM_POWER": directory.file("power"), "FAKE_PM_LOG": log,
            "FAKE_PM_ARGS": directory.file("args"),
            "FAKE_SUDO_LOG": directory.file("sudo.log"), "PATH": "/usr/bin:/bin",
        ].merging(extra) { $1 }
    }

    func session(_ extra: [String: String] = [:], intervalMilliseconds: Int = 20) -> PowermetricsSession {
        PowermetricsSession(
            launch: .init(
                executable: executable, viaSudo: false, sudo: "", intervalMilliseconds: intervalMilliseconds,
                environment: environment(extra)))
    }

    /// The sample windows the fake printed: (start, end) in Unix seconds, power per rail in watts, PID.
    var samples: [(start: Double, end: Double, watts: [Double], pid: Int32)] {
        HardwareFiles.read(log).split(separator: "\n").compactMap { line in
            let fields = line.split(separator: " ").compactMap { Double($0) }
            guard fields.count == 6 else { return nil }
            let end = fields[0] / 1e9
            return (end - fields[1] / 1e9, end, fields[2..<5].map { $0 / 1000 }, Int32(fields[5]))
        }
    }

    /// The energy per rail (CPU, GPU, ANE) of the printed power trace between two wall-clock times, in joules.
    func integral(from start: Date, to end: Date) -> [Double] {
        let (from, to) = (start.timeIntervalSince1970, end.timeIntervalSince1970)
        var joules = [0.0, 0.0, 0.0]
        for sample in samples {
            let overlap = max(0, min(to, sample.end) - max(from, sample.start))
            for rail in 0..<3 { joules[rail] += sample.watts[rail] * overlap }
        }
        return joules
    }

    var arguments: [String] {
        HardwareFiles.read(directory.file("args")).split(separator: "\n").map(String.init)
    }

    /// A `sudo` stand-in: logs its arguments, refuses when FAKE_SUDO_REFUSE=1, else runs the command.
    func fakeSudo() throws -> String {
        let path = directory.file("sudo")
        try directory.write(
            """
            #!/bin/sh
            printf '%s\n' "$*" >> "$FAKE_SUDO_LOG"
            [ "$1" = "-n" ] || exit 2
            shift
            if [ "$FAKE_SUDO_REFUSE" = "1" ]; then echo "sudo: a password is required" >&2; exit 1; fi
            if [ "$1" = "-l" ]; then echo "$2"; exit 0; fi
            exec "$@"

            """, to: "sudo")
        #expect(chmod(path, 0o755) == 0)
        return path
    }
}

@Suite struct PowermetricsParserTests {
    @Test func readsHeadersAndPowerLinesInMilliwattsAndWatts() {
        var parser = PowermetricsParser()
        let text = """
            Machine model: Mac14,2
            *** Sampled system activity (Mon Nov 18 10:00:00 2024 +0100) (1002.90ms elapsed) ***
            CPU Power: 823 mW
            GPU Power: 26 mW
            ANE Power: 0 mW
            Combined Power (CPU + GPU + ANE): 849 mW
              GPU Power: 1.5W
            Intel energy model derived package power (CPUs+GT+SA): 2.48W
            *** Sampled system activity (Mon Nov 18 10:00:01 2024 +0100) ***

            """
        #expect(
            parser.feed(Array(text.utf8)) == [
                .sample(elapsedSeconds: 1.0029), .power(.cpu, watts: 0.823), .power(.gpu, watts: 0.026),
                .power(.ane, watts: 0), .power(.gpu, watts: 1.5), .power(.cpu, watts: 2.48),
                .sample(elapsedSeconds: nil),
            ])
    }

    @Test func reportsUnreadableValuesAndWaitsForTheRestOfALine() {
        var parser = PowermetricsParser()
        #expect(
            parser.feed(Array("CPU Power: lots mW\nGPU Power: 5 kW\nCPU Pow".utf8)) == [
                .malformed("CPU Power: lots mW"), .malformed("GPU Power: 5 kW"),
            ])
        #expect(parser.feed(Array("er: 12".utf8)).isEmpty)
        #expect(parser.feed(Array(" mW\n".utf8)) == [.power(.cpu, watts: 0.012)])
        var bytewise = PowermetricsParser()
        let events = Array("ANE Power: 7 mW\n".utf8).flatMap { bytewise.feed([$0]) }
        #expect(events == [.power(.ane, watts: 0.007)])
    }
}

@Suite(.enabled(if: CCompiler.isAvailable, "no C compiler (cc/clang/gcc) to build the fake powermetrics"))
struct PowermetricsTests {
    @Test func trackerEpochEnergyIsWithinOnePercentOfThePowerTraceIntegral() throws {
        let fake = try FakePowermetrics()
        let session = fake.session(intervalMilliseconds: 50)
        let cpu = AppleSiliconComponent(kind: .cpu, session: session)
        let gpu = AppleSiliconComponent(kind: .gpu, session: session)
        let logs = try TemporaryDirectory()
        let tracker = try TestTracker.make(in: logs, custom: [cpu, gpu])
        TestTracker.waitForComponents(tracker, count: 2)
        pause(0.1)
        let start = Date()
        try tracker.epochStart()
        pause(0.5)
        try fake.power(cpu: 9000, gpu: 500, ane: 100)
        pause(0.5)
        try tracker.epochEnd()
        let end = Date()
        pause(0.2)  // lets the fake log the window that holds the end
        try tracker.stop()

        let truth = fake.integral(from: start, to: end)
        let epoch = try #require(tracker.epochMeasurements.first)
        let measured =
            try #require(TestTracker.joules(epoch, .cpu)) + #require(TestTracker.joules(epoch, .gpu))
        for rail in 0..<3 {
            #expect(
                abs(measured[rail] - truth[rail]) <= 0.01 * truth[rail] + 1e-3,
                "rail \(rail): \(measured) vs \(truth)")
        }
        #expect(truth[0] > 5, "the trace covers the epoch")
        #expect(Set(fake.samples.map(\.pid)).count == 1, "one powermetrics child for CPU and GPU")
        #expect(fake.arguments == ["--samplers", "cpu_power,gpu_power", "-i", "50", "-b", "1"])
        #expect(epoch.components.map(\.method) == [.sampled, .sampled])
        let standard = HardwareFiles.read(try #require(tracker.logFiles).standard)
        #expect(standard.contains("GPU with device(s) GPU, ANE. CPU with device(s) CPU."))
    }

    @Test func environmentOverridesMakeTheAppleSourcesAvailableOnAnyOS() throws {
        let fake = try FakePowermetrics()
        let logs = try TemporaryDirectory()
        let environment = TestTracker.isolatedEnvironment(logs).merging(
            fake.environment([
                "CARBONTRACKER_POWERMETRICS": fake.executable, "CARBONTRACKER_POWERMETRICS_INTERVAL_MS": "20",
            ])
        ) { $1 }
        let tracker = try TestTracker.make(in: logs, environment: environment)
        TestTracker.waitForComponents(tracker, count: 2)
        #expect(tracker.components.map(\.handlerName) == ["powermetrics", "powermetrics"])
        try tracker.epochStart()
        pause(0.2)
        try tracker.epochEnd()
        try tracker.stop()
        #expect(Set(fake.samples.map(\.pid)).count == 1)
        let epoch = try #require(tracker.epochMeasurements.first)
        let cpu = try #require(TestTracker.joules(epoch, .cpu))
        #expect(abs(cpu[0] - 5 * epoch.durationSeconds) < 0.05 * 5 * epoch.durationSeconds)
    }

    @Test func malformedLinesAreSkippedWithOneWarning() throws {
        let fake = try FakePowermetrics()
        let session = fake.session(["FAKE_PM_STYLE": "malformed"])
        let diagnostics = RecordingDiagnostics()
        try session.acquire(diagnostics: diagnostics)
        pause(0.4)
        let (joules, ending) = session.read([.cpu, .gpu, .ane])
        session.release()
        #expect(ending == nil)
        let printed = fake.samples.reduce([0.0, 0.0, 0.0]) { sum, sample in
            (0..<3).map { sum[$0] + sample.watts[$0] * (sample.end - sample.start) }
        }
        for rail in 0..<3 {
            #expect(abs(joules[rail] - printed[rail]) < 0.1 * printed[rail], "\(joules) vs \(printed)")
        }
        let warnings = diagnostics.messages("warning")
        #expect(warnings.count == 1)
        #expect(warnings.first?.contains("could not be read") == true)
    }

    @Test func valuesInWattsAreRead() throws {
        let fake = try FakePowermetrics()
        let session = fake.session(["FAKE_PM_STYLE": "watts", "FAKE_PM_SAMPLES": "3"])
        try session.acquire(diagnostics: SilentDiagnostics())
        pause(0.3)
        let (joules, ending) = session.read([.cpu])
        session.release()
        #expect(ending == "powermetrics stopped (exit status 0).")
        let printed = fake.samples.reduce(0) { $0 + $1.watts[0] * ($1.end - $1.start) }
        #expect(abs(joules[0] - printed) < 1e-3)
    }

    @Test func truncatedOutputKeepsTheCompleteSamplesThenTheComponentStops() throws {
        let fake = try FakePowermetrics()
        let session = fake.session(["FAKE_PM_STYLE": "truncated", "FAKE_PM_SAMPLES": "5"])
        let cpu = AppleSiliconComponent(kind: .cpu, session: session)
        try cpu.start(diagnostics: SilentDiagnostics())
        pause(0.4)
        let printed = fake.samples.reduce(0) { $0 + $1.watts[0] * ($1.end - $1.start) }
        #expect(fake.samples.count == 5)
        guard case .cumulativeJoules(let joules) = try cpu.read().first else {
            Issue.record("expected a cumulative reading")
            return
        }
        #expect(abs(joules - printed) < 1e-3)
        let error = try #require(throws: CarbonTrackerError.self) { try cpu.read() }
        #expect(error.code == .componentUnavailable)
        #expect(error.message == "powermetrics stopped (exit status 0).")
        cpu.shutdown()
    }

    @Test func aDyingPowermetricsIsReportedAndTrainingContinues() throws {
        let fake = try FakePowermetrics()
        let session = fake.session([
            "FAKE_PM_SAMPLES": "10", "FAKE_PM_EXIT": "1",
            "FAKE_PM_STDERR": "powermetrics: lost contact with the SMC",
        ])
        let cpu = AppleSiliconComponent(kind: .cpu, session: session)
        let gpu = try SimulatedComponent(kind: .gpu, deviceName: "Sim GPU", watts: 100)
        let logs = try TemporaryDirectory()
        let tracker = try TestTracker.make(in: logs, custom: [cpu, gpu])
        TestTracker.waitForComponents(tracker, count: 2)
        for _ in 0..<3 {
            try tracker.epochStart()
            pause(0.15)
            try tracker.epochEnd()
        }
        #expect(tracker.epochMeasurements.count == 3)
        #expect(tracker.epochMeasurements.last?.components.map(\.kind) == [.gpu])
        let errors = HardwareFiles.read(try #require(tracker.logFiles).error)
        #expect(
            errors.contains("powermetrics stopped (exit status 1): powermetrics: lost contact with the SMC"))
        #expect(errors.contains("Continuing without CPU measurements."))
    }

    @Test func aPowermetricsThatExitsBeforeItsFirstSampleCannotStart() throws {
        let fake = try FakePowermetrics()
        let session = fake.session([
            "FAKE_PM_SAMPLES": "0", "FAKE_PM_EXIT": "1",
            "FAKE_PM_STDERR": "powermetrics must be invoked as the superuser",
        ])
        let cpu = AppleSiliconComponent(kind: .cpu, session: session)
        let error = try #require(throws: CarbonTrackerError.self) {
            try cpu.start(diagnostics: SilentDiagnostics())
        }
        #expect(
            error.message
                == "powermetrics stopped (exit status 1): powermetrics must be invoked as the superuser")
    }

    @Test func aRefusingSudoMakesItUnavailableWithTheSudoersLine() throws {
        let fake = try FakePowermetrics()
        let launch = PowermetricsLaunch(
            executable: fake.executable, viaSudo: true, sudo: try fake.fakeSudo(), intervalMilliseconds: 20,
            environment: fake.environment(["FAKE_SUDO_REFUSE": "1"]))
        let cpu = AppleSiliconComponent(kind: .cpu, session: PowermetricsSession(launch: launch))
        #expect(!cpu.isAvailable())
        let reason = try #require(cpu.unavailabilityReason())
        #expect(reason.contains("sudo said: sudo: a password is required"))
        #expect(reason.contains("ALL = (root) NOPASSWD: \(fake.executable)"))
        #expect(cpu.unavailabilityIsActionable)

        let estimate = TDPEstimateComponent(
            cpuinfoPath: HardwareFiles.fixture("cpuinfo-epyc.txt"), fallbackFor: [cpu])
        let diagnostics = RecordingDiagnostics()
        try estimate.start(diagnostics: diagnostics)
        #expect(diagnostics.messages("warning").contains { $0.contains("NOPASSWD") })
    }

    @Test func runsThroughNonInteractiveSudoWhenAllowed() throws {
        let fake = try FakePowermetrics()
        let launch = PowermetricsLaunch(
            executable: fake.executable, viaSudo: true, sudo: try fake.fakeSudo(), intervalMilliseconds: 20,
            environment: fake.environment())
        let gpu = AppleSiliconComponent(kind: .gpu, session: PowermetricsSession(launch: launch))
        #expect(gpu.isAvailable())
        try gpu.start(diagnostics: SilentDiagnostics())
        pause(0.1)
        #expect(try gpu.read().count == 2)
        gpu.shutdown()
        let sudoCalls = HardwareFiles.read(fake.directory.file("sudo.log")).split(separator: "\n")
        #expect(
            sudoCalls == [
                "-n -l \(fake.executable)", "-n \(fake.executable) --samplers cpu_power,gpu_power -i 20 -b 1",
            ])
    }

    @Test func stoppingIsBoundedEvenWhenTheChildIgnoresSIGTERM() throws {
        let fake = try FakePowermetrics()
        let session = fake.session(["FAKE_PM_IGNORE_TERM": "1"])
        try session.acquire(diagnostics: SilentDiagnostics())
        // The fake logs a sample just after printing it.
        let deadline = Date().addingTimeInterval(2)
        while fake.samples.isEmpty && Date() < deadline { pause(0.01) }
        let pid = try #require(fake.samples.first?.pid)
        let clock = ContinuousClock()
        let stopping = clock.now
        session.release()
        #expect(clock.now - stopping < .seconds(3))
        pause(0.1)
        #expect(kill(pid, 0) != 0, "the child was killed and reaped")
    }

    #if os(Linux)
        @Test func withoutAnOverrideItIsUnavailableOffMacOS() {
            let cpu = AppleSiliconComponent(kind: .cpu, environment: [:])
            #expect(cpu.unavailabilityReason()?.contains("only on macOS") == true)
            #expect(!cpu.unavailabilityIsActionable)
        }
    #endif
}
