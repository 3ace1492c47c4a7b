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

/// Every signal another process may send a job reaches the command `carbontracker` tracks, and the
/// run is logged (its epoch and final report) however the command then ends.
@Suite(.enabled(if: CCompiler.isAvailable, "needs a C compiler (cc) for the checkpointing command"))
struct CLISignalForwardingTests {
    /// A running `carbontracker` (in a process group of its own, no terminal) around `command`.
    final class Job {
        let directory: TemporaryDirectory
        let wrapper: pid_t
        private(set) var reaped: Int32?

        init(command: [String]) throws {
            directory = try TemporaryDirectory()
            let binary = try #require(CLIEndToEndTests.binary, "build the carbontracker product first")
            let arguments =
                [binary, "--log_dir", directory.file("logs"), "--sim-cpu", "C", "--sim-cpu-tdp", "10", "--"]
                + command
            wrapper = try CLISignalTests.Wrapped.spawn(
                arguments, terminal: nil, output: directory.file("out"),
                environment: ["CARBONTRACKER_OFFLINE": "1", "CARBONTRACKER_DISTRIBUTED": "0"])
        }

        /// A job whose command is `checkpoint_on_signal`, started and ready for signals.
        static func checkpointing() throws -> (Job, pid_t) {
            let scratch = try TemporaryDirectory()
            let program = scratch.file("checkpoint_on_signal")
            try CCompiler.buildCached("checkpoint_on_signal.c", to: program, shared: false)
            let job = try Job(command: [
                program, scratch.file("pid"), scratch.file("records"), scratch.file("checkpoint"),
            ])
            job.scratch = scratch
            var command: pid_t = 0
            _ = CoreTest.eventually(within: 60) {
                command = pid_t(job.read("pid").trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0
                return command > 0
            }
            if command == 0 { kill(job.wrapper, SIGKILL) }
            return (job, command)
        }

        var scratch: TemporaryDirectory?

        /// A file of the command's, as text ("" when missing).
        func read(_ name: String) -> String {
            HardwareFiles.read(scratch?.file(name) ?? directory.file(name))
        }

        /// The signals the command recorded, in order.
        var recordedSignals: [Int32] {
            read("records").split(separator: "\n").compactMap { $0.split(separator: " ").first }
                .compactMap { Int32($0) }
        }

        deinit {
            if reaped == nil {
                kill(wrapper, SIGKILL)
                _ = waitForExit(seconds: 10)
            }
        }

        /// Reaps `carbontracker`; its wait status, or `nil` when it did not end within `seconds`.
        func waitForExit(seconds: Double = 60) -> Int32? {
            if let reaped { return reaped }
            let end = ContinuousClock.now + .seconds(seconds)
            var status: Int32 = 0
            while ContinuousClock.now < end {
                if waitpid(wrapper, &status, WNOHANG) == wrapper {
                    reaped = status
                    return status
                }
                usleep(10_000)
            }
            return nil
        }

        /// The run's parsed logs: one entry with its epoch and final report, or a recorded issue.
        func checkLogged() throws {
            let parse = try LogParser.parseAllLogs(logDir: directory.file("logs"))
            let entry = try #require(parse.entries.first, "no run logged: \(read("out"))")
            #expect(entry.components.first?.epochDurationsSeconds?.count == 1, "the epoch is logged")
            #expect(entry.actual != nil, "the final report is logged")
        }
    }

    #if os(Linux)
        /// The process state letter from /proc (R, S, T, Z, ...), or nil.
        static func state(_ pid: pid_t) -> Character? {
            let stat = HardwareFiles.read("/proc/\(pid)/stat")
            guard let close = stat.lastIndex(of: ")") else { return nil }
            return stat[stat.index(close, offsetBy: 2)...].first
        }
    #endif

    #if os(Linux)
        /// Slurm's `--signal=USR1@T` warning, and every other forwarded signal, reach the command (once
        /// each, from `carbontracker`); the command checkpoints on USR1 and exits 0, and the run is logged.
        @Test func everyForwardedSignalReachesTheCommandAndTheRunIsLogged() throws {
            let (job, command) = try Job.checkpointing()
            try #require(command > 0, "the command did not start: \(job.read("out"))")
            let signals: [Int32] = [
                SIGUSR2, SIGALRM, SIGWINCH, SIGCONT, SIGHUP, SIGINT, SIGTERM, SIGQUIT, SIGPIPE, SIGURG,
                __libc_current_sigrtmin(), __libc_current_sigrtmax(),
            ]
            for (index, signal) in signals.enumerated() {
                #expect(kill(job.wrapper, signal) == 0)
                let arrived = CoreTest.eventually(within: 30) { job.recordedSignals.count > index }
                #expect(arrived, "signal \(signal) did not reach the command")
            }
            #expect(job.recordedSignals == signals)
            #expect(job.read("records").split(separator: "\n").allSatisfy { $0.hasSuffix(" \(job.wrapper)") })
            #expect(kill(job.wrapper, SIGUSR1) == 0)
            let status = try #require(job.waitForExit(), "carbontracker did not end")
            #expect(status == 0, "the command's own exit status, 0; output: \(job.read("out"))")
            #expect(job.read("checkpoint") == "checkpoint\n", "the command checkpointed on USR1")
            try job.checkLogged()
        }

        /// A command that does not catch the signal dies of it; `carbontracker` survives it, logs the run
        /// and exits as the command did (128 + the signal).
        @Test func aCommandKilledByAForwardedSignalIsStillLogged() throws {
            for signal in [SIGUSR1, SIGUSR2, SIGALRM] {
                let job = try Job(command: ["/bin/sleep", "60"])
                let started = CoreTest.eventually(within: 60) {
                    Self.children(of: job.wrapper).contains {
                        HardwareFiles.read("/proc/\($0)/comm").hasPrefix("sleep")
                    }
                }
                #expect(started)
                #expect(kill(job.wrapper, signal) == 0)
                let status = try #require(job.waitForExit(), "carbontracker did not end")
                #expect(status & 0x7f == 0, "carbontracker itself was not killed by signal \(signal)")
                #expect((status >> 8) & 0xff == 128 + signal, "exit status of a command killed by \(signal)")
                try job.checkLogged()
            }
        }

        /// Outside a terminal there is no job control: SIGTSTP stops the command's group while
        /// `carbontracker` keeps running, and SIGCONT sent to `carbontracker` resumes the command.
        @Test func stopAndContinueReachTheCommandOutsideATerminal() throws {
            let (job, command) = try Job.checkpointing()
            try #require(command > 0, "the command did not start: \(job.read("out"))")
            for stop in [SIGTSTP, SIGTTIN, SIGTTOU] {
                #expect(kill(job.wrapper, stop) == 0)
                #expect(CoreTest.eventually(within: 30) { Self.state(command) == "T" }, "signal \(stop)")
                #expect(Self.state(job.wrapper) != "T", "carbontracker itself keeps running")
                #expect(kill(job.wrapper, SIGCONT) == 0)
                #expect(CoreTest.eventually(within: 30) { Self.state(command) != "T" })
            }
            #expect(kill(job.wrapper, SIGUSR1) == 0)
            #expect(job.waitForExit() == 0)
            #expect(job.read("checkpoint") == "checkpoint\n")
            try job.checkLogged()
        }

        /// The child processes of `pid`, from /proc.
        static func children(of pid: pid_t) -> [pid_t] {
            let tasks = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/task")) ?? []
            return tasks.flatMap { task in
                HardwareFiles.read("/proc/\(pid)/task/\(task)/children").split(separator: " ").compactMap {
                    pid_t($0)
                }
            }
        }
    #endif
}
