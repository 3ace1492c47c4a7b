import Foundation
import Testing

@testable import CarbonTracker
@testable import CarbonTrackerMonitor
@testable import CarbonTrackerSources

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A single-process run killed before its final report is counted by `--parse` from its last
/// checkpoint, with one warning naming it.
@Suite(.enabled(if: CLIEndToEndTests.binary != nil, "build the carbontracker product first (swift build)"))
struct CLIKilledRunTests {
    @Test func aKilledRunIsCountedFromItsCheckpointWithOneWarning() throws {
        let binary = try #require(CLIEndToEndTests.binary)
        let scratch = try TemporaryDirectory()
        let logs = scratch.file("logs")
        let wrapper = try CLISignalTests.Wrapped.spawn(
            [binary, "--log_dir", logs, "--sim-cpu", "C", "--sim-cpu-tdp", "100", "--", "/bin/sleep", "60"],
            terminal: nil, output: scratch.file("out"),
            environment: ["CARBONTRACKER_OFFLINE": "1", "CARBONTRACKER_DISTRIBUTED": "0"])
        // Killed once its checkpoint holds over a second of the epoch.
        let checkpointed = CoreTest.eventually(within: 60) {
            let names = (try? FileManager.default.contentsOfDirectory(atPath: logs)) ?? []
            guard let standard = names.first(where: { $0.hasSuffix("_carbontracker.log") }) else {
                return false
            }
            return (LogParser.progress(ofStandardLog: logs + "/" + standard)?.elapsedSeconds ?? 0) > 1
        }
        #expect(checkpointed, "no checkpoint: \(HardwareFiles.read(scratch.file("out")))")
        kill(wrapper, SIGKILL)
        var status: Int32 = 0
        while waitpid(wrapper, &status, 0) < 0 && errno == EINTR {}

        let standard = try #require(
            try FileManager.default.contentsOfDirectory(atPath: logs).first {
                $0.hasSuffix("_carbontracker.log")
            })
        let progress = try #require(LogParser.progress(ofStandardLog: logs + "/" + standard))
        let aggregate = try LogParser.aggregateConsumption(logDir: logs)
        #expect(aggregate.runsCounted == 1)
        // 50 W (half the 100 W TDP) over the checkpoint's time, times the 1.58 PUE.
        let expected = 50 * progress.elapsedSeconds * 1.58 / 3_600_000
        #expect(
            abs(aggregate.energyKilowattHours / expected - 1) < 0.02,
            "\(aggregate.energyKilowattHours) kWh, expected \(expected)")
        #expect(aggregate.warnings.count == 1, "\(aggregate.warnings)")
        #expect(aggregate.warnings.first?.file == logs + "/" + standard)
        #expect(aggregate.warnings.first?.message.contains("checkpoint") == true)
        let cli = try CLIEndToEndTests.run(["--parse", logs])
        #expect(cli.status == 0)
        #expect(cli.standardError.components(separatedBy: "WARNING").count - 1 == 1, "\(cli.standardError)")
        #expect(cli.standardError.contains(standard))
        #expect(!cli.standardOutput.contains("use 0.0000000000000000 kWh"), "\(cli.standardOutput)")
    }
}
