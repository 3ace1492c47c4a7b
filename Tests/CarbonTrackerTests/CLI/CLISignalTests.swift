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

/// How `carbontracker` passes signals to the command it tracks, and that the command cannot outlive
/// it: the built executable runs a compiled command that records each signal and who sent it.
@Suite(.enabled(if: CCompiler.isAvailable, "needs a C compiler (cc) for the signal-recording command"))
struct CLISignalTests {
    /// A running `carbontracker` whose command is `signal_recorder`.
    final class Wrapped {
        let directory: TemporaryDirectory
        let wrapper: pid_t
        let command: pid_t
        private(set) var reaped: Int32?

        /// Starts `carbontracker` on the recorder in a process group of its own (so a test can
        /// signal that group), or as the leader of a new session whose terminal is `terminal`.
        init(terminal: String? = nil) throws {
            directory = try TemporaryDirectory()
            let recorder = directory.file("signal_recorder")
            try CCompiler.buildCached("signal_recorder.c", to: recorder, shared: false)
            let binary = try #require(CLIEndToEndTests.binary, "build the carbontracker product first")
            let arguments = [
                binary, "--log_dir", directory.file("logs"), "--sim-cpu", "C", "--sim-cpu-tdp", "10", "--",
                recorder, directory.file("pid"), directory.file("records"),
            ]
            wrapper = try Self.spawn(
                arguments, terminal: terminal, output: directory.file("out"),
                environment: ["CARBONTRACKER_OFFLINE": "1", "CARBONTRACKER_DISTRIBUTED": "0"])
            var command: pid_t = 0
            let end = ContinuousClock.now + .seconds(60)
            while command == 0 && ContinuousClock.now < end {
                command =
                    pid_t(
                        HardwareFiles.read(directory.file("pid")).trimmingCharacters(
                            in: .whitespacesAndNewlines)) ?? 0
                if command == 0 { usleep(20_000) }
            }
            self.command = command
            if command == 0 {
                kill(wrapper, SIGKILL)
                Issue.record("the command did not start: \(HardwareFiles.read(directory.file("out")))")
            }
        }

        deinit {
            // Only after a failed test: a command reaped normally may have a recycled pid by now.
            if reaped == nil {
                kill(wrapper, SIGKILL)
                _ = waitForExit(seconds: 10)
                if command > 0 { kill(command, SIGKILL) }
            }
        }

        /// The recorder's lines, "SIGNAL SENDER".
        var records: [String] {
            HardwareFiles.read(directory.file("records")).split(separator: "\n").map(String.init)
        }

        /// Waits until the recorder has `count` lines.
        func waitForRecords(_ count: Int) -> Bool {
            let end = ContinuousClock.now + .seconds(30)
            while records.count < count && ContinuousClock.now < end { usleep(10_000) }
            return records.count >= count
        }

        /// Reaps `carbontracker`; its wait status, or `nil` when it did not end within `seconds`.
        func waitForExit(seconds: Double = 60) -> Int32? {
            if let reaped { return reaped }
            let end = ContinuousClock.now + .seconds(seconds)
            var status: Int32 = 0
            while ContinuousClock.now < end {
                let result = waitpid(wrapper, &status, WNOHANG)
                if result == wrapper {
                    reaped = status
                    return status
                }
                usleep(10_000)
            }
            return nil
        }

        /// Starts `arguments` with standard streams on `terminal` (in a new session) or on
        /// /dev/null and `output` (in a new process group).
        static func spawn(
            _ arguments: [String], terminal: String?, output: String, environment: [String: String]
        )
            throws -> pid_t
        {
            var actions = TestPlatform.spawnFileActions()
            posix_spawn_file_actions_init(&actions)
            defer { posix_spawn_file_actions_destroy(&actions) }
            var attributes = TestPlatform.spawnAttributes()
            posix_spawnattr_init(&attributes)
            defer { posix_spawnattr_destroy(&attributes) }
            if let terminal {
                // A session leader that opens a terminal makes it its controlling terminal.
                posix_spawn_file_actions_addopen(&actions, 0, terminal, O_RDWR, 0)
                posix_spawn_file_actions_adddup2(&actions, 0, 1)
                posix_spawn_file_actions_adddup2(&actions, 0, 2)
                #if os(Linux)
                    posix_spawnattr_setflags(&attributes, Int16(0x80))  // POSIX_SPAWN_SETSID
                #else
                    posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSID))
                #endif
            } else {
                posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
                posix_spawn_file_actions_addopen(&actions, 1, output, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
                posix_spawn_file_actions_adddup2(&actions, 1, 2)
                posix_spawnattr_setpgroup(&attributes, 0)
                posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETPGROUP))
            }
            var variables = ProcessInfo.processInfo.environment
            variables.merge(environment) { _, new in new }
            let argv: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) } + [nil]
            let envp: [UnsafeMutablePointer<CChar>?] =
                variables.map { strdup("\($0.key)=\($0.value)") } + [nil]
            defer { for pointer in argv + envp { free(pointer) } }
            var pid: pid_t = 0
            let result = posix_spawn(&pid, arguments[0], &actions, &attributes, argv, envp)
            guard result == 0 else { throw POSIXError(POSIXErrorCode(rawValue: result) ?? .EIO) }
            return pid
        }
    }

    /// A group signal used to reach the command twice: directly, and again through the forwarder.
    /// Outside a terminal the command has a group of its own, so each reaches it once, from
    /// `carbontracker`; so does a signal sent to `carbontracker` alone.
    @Test func signalsToTheProcessGroupReachTheCommandOnce() throws {
        let run = try Wrapped()
        try #require(run.command > 0)
        #expect(getpgid(run.command) == run.command, "the command leads a group of its own")
        for (index, signal) in [SIGTERM, SIGHUP, SIGQUIT, SIGINT].enumerated() {
            kill(-run.wrapper, signal)
            #expect(run.waitForRecords(index + 1), "signal \(signal) was not forwarded")
        }
        kill(run.wrapper, SIGTERM)
        #expect(run.waitForRecords(5))
        kill(run.command, SIGUSR1)
        let status = try #require(run.waitForExit(), "carbontracker did not end")
        #expect(status == 0, "the command's own exit status, 0")
        #expect(run.records == [SIGTERM, SIGHUP, SIGQUIT, SIGINT, SIGTERM].map { "\($0) \(run.wrapper)" })
        let entry = try #require(try LogParser.parseAllLogs(logDir: run.directory.file("logs")).entries.first)
        #expect(entry.components.first?.epochDurationsSeconds?.count == 1, "the epoch is still logged")
    }

    /// In a terminal the command shares `carbontracker`'s group (so keys and job control work as
    /// for any command): Ctrl-C and Ctrl-\ reach it once, from the terminal, and are not forwarded.
    @Test func terminalKeysReachTheCommandOnce() throws {
        let (master, terminal) = try #require(Self.openPseudoTerminal(), "no pseudo-terminal")
        defer { close(master) }
        // Whatever carbontracker prints goes to the terminal; read it so it never blocks.
        let drained = Latch()
        Thread {
            var buffer = [UInt8](repeating: 0, count: 4096)
            while read(master, &buffer, buffer.count) > 0 {}
            drained.open()
        }.start()
        let run = try Wrapped(terminal: terminal)
        try #require(run.command > 0)
        #expect(getpgid(run.command) == getpgid(run.wrapper), "the command shares the terminal's group")
        for (index, key) in [UInt8(3), 0x1C].enumerated() {  // Ctrl-C, Ctrl-\
            var byte = key
            #expect(write(master, &byte, 1) == 1)
            #expect(run.waitForRecords(index + 1))
        }
        kill(run.command, SIGUSR1)
        #expect(run.waitForExit() == 0)
        #expect(run.records == ["\(SIGINT) 0", "\(SIGQUIT) 0"], "sent by the terminal (pid 0), once each")
    }

    /// A new pseudo-terminal: the master's descriptor and the terminal's path. Swift does not import
    /// glibc's pty calls (they need _XOPEN_SOURCE), so they are looked up at run time.
    static func openPseudoTerminal() -> (master: Int32, terminal: String)? {
        typealias Open = @convention(c) (Int32) -> Int32
        typealias Name = @convention(c) (Int32) -> UnsafeMutablePointer<CChar>?
        let library = dlopen(nil, RTLD_NOW)
        guard let open = dlsym(library, "posix_openpt"), let grant = dlsym(library, "grantpt"),
            let unlock = dlsym(library, "unlockpt"), let name = dlsym(library, "ptsname")
        else { return nil }
        let master = unsafeBitCast(open, to: Open.self)(O_RDWR | O_NOCTTY)
        guard master >= 0 else { return nil }
        guard unsafeBitCast(grant, to: Open.self)(master) == 0,
            unsafeBitCast(unlock, to: Open.self)(master) == 0,
            let path = unsafeBitCast(name, to: Name.self)(master)
        else {
            close(master)
            return nil
        }
        return (master, String(cString: path))
    }

    #if os(Linux)
        /// A SIGKILLed `carbontracker` cannot stop its command, so Linux does (PR_SET_PDEATHSIG):
        /// the command does not run on, unmeasured.
        @Test func killingCarbontrackerEndsTheCommand() throws {
            let run = try Wrapped()
            try #require(run.command > 0)
            kill(run.wrapper, SIGKILL)
            let status = try #require(run.waitForExit())
            #expect(status & 0x7f == SIGKILL)
            let end = ContinuousClock.now + .seconds(30)
            while Self.isRunning(run.command) && ContinuousClock.now < end { usleep(10_000) }
            #expect(!Self.isRunning(run.command), "the command outlived carbontracker")
            if Self.isRunning(run.command) { kill(run.command, SIGKILL) }
        }

        /// Alive and not a zombie (an orphan's zombie waits for whoever adopts it to reap it).
        static func isRunning(_ pid: pid_t) -> Bool {
            guard kill(pid, 0) == 0 else { return false }
            let stat = HardwareFiles.read("/proc/\(pid)/stat")
            guard let close = stat.lastIndex(of: ")") else { return false }
            let state = stat[stat.index(close, offsetBy: 2)...].first
            return state != "Z" && state != "X"
        }
    #endif
}
