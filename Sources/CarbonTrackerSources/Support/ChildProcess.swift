import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A child process started without a shell, its standard output and error on pipes.
///
/// ```swift
/// let child = try ChildProcess(executable: "/usr/bin/sudo", arguments: ["-n", "-l", path], environment: env)
/// let result = child.collect(timeoutSeconds: 2)   // (termination, stdout, stderr)
/// ```
///
/// Standard input is `/dev/null`, so a program that asks a question gets end of input instead of
/// hanging. The child leads its own process group, so stopping it also stops what it started.
/// Whoever reads must drain both pipes (``pump(idleTimeoutMilliseconds:output:error:)`` does, with
/// one `poll`) and then ``reap()`` it.
final class ChildProcess: Sendable {
    /// The child's process ID.
    let pid: pid_t
    private let output: Int32
    private let error: Int32
    private let openDescriptors: LockedBox<Set<Int32>>

    /// Starts `executable` with `arguments`.
    /// - Parameters:
    ///   - executable: A path, or a name looked up in `PATH`.
    ///   - arguments: The arguments after the program name.
    ///   - environment: The child's complete environment.
    /// - Throws: ``CarbonTrackerError`` with code `.componentUnavailable` when it cannot be started.
    init(executable: String, arguments: [String], environment: [String: String]) throws {
        let outputPipe = try Self.pipe()
        let errorPipe: (read: Int32, write: Int32)
        do { errorPipe = try Self.pipe() } catch {
            _ = close(outputPipe.read)
            _ = close(outputPipe.write)
            throw error
        }
        defer {
            _ = close(outputPipe.write)
            _ = close(errorPipe.write)
        }

        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_adddup2(&actions, outputPipe.write, 1)
        posix_spawn_file_actions_adddup2(&actions, errorPipe.write, 2)

        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var noSignals = sigset_t()
        sigemptyset(&noSignals)
        posix_spawnattr_setsigmask(&attributes, &noSignals)
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for signal in [SIGPIPE, SIGTERM, SIGINT, SIGHUP] { sigaddset(&defaults, signal) }
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setpgroup(&attributes, 0)
        var flags = POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETPGROUP
        #if canImport(Darwin)
            flags |= POSIX_SPAWN_CLOEXEC_DEFAULT
        #endif
        posix_spawnattr_setflags(&attributes, Int16(flags))

        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        let envp = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { for pointer in argv + envp { free(pointer) } }
        var child = pid_t()
        var status: Int32 = 0
        // ETXTBSY: a process that another thread forked (not from here) still holds the executable open
        // for writing until it calls exec, for instance a script written just before. It passes in
        // milliseconds; try again a few times rather than fail the source.
        for attempt in 0..<10 {
            if attempt > 0 { usleep(5_000) }
            status =
                executable.contains("/")
                ? posix_spawn(&child, executable, &actions, &attributes, argv, envp)
                : posix_spawnp(&child, executable, &actions, &attributes, argv, envp)
            if status != ETXTBSY { break }
        }
        guard status == 0 else {
            _ = close(outputPipe.read)
            _ = close(errorPipe.read)
            throw CarbonTrackerError(
                .componentUnavailable, "Could not start \(executable): \(String(cString: strerror(status))).")
        }
        self.pid = child
        self.output = outputPipe.read
        self.error = errorPipe.read
        self.openDescriptors = LockedBox([outputPipe.read, errorPipe.read])
    }

    deinit { closePipes() }

    /// Closes the reading ends that are still open; a child still writing then gets `SIGPIPE`.
    func closePipes() {
        openDescriptors.withLock { open in
            for descriptor in open { _ = close(descriptor) }
            open.removeAll()
        }
    }

    /// Reads both pipes until both are closed, handing each chunk to its handler.
    ///
    /// - Parameters:
    ///   - idleTimeoutMilliseconds: How long one `poll` waits; after each wait `keepGoing` is asked.
    ///   - keepGoing: Returns `false` to stop reading early (the pipes stay open).
    ///   - output: Receives standard-output bytes.
    ///   - error: Receives standard-error bytes.
    /// - Returns: `true` when both pipes reached end of file (the descriptors are then closed).
    @discardableResult
    func pump(
        idleTimeoutMilliseconds: Int32 = 100, keepGoing: () -> Bool = { true },
        output: (ArraySlice<UInt8>) -> Void, error: (ArraySlice<UInt8>) -> Void
    ) -> Bool {
        var open = openDescriptors.withLock { Array($0) }
        var buffer = [UInt8](repeating: 0, count: 16_384)
        while !open.isEmpty {
            var descriptors = open.map { pollfd(fd: $0, events: Int16(POLLIN), revents: 0) }
            let ready = poll(&descriptors, nfds_t(descriptors.count), idleTimeoutMilliseconds)
            if ready < 0 && errno != EINTR { break }
            for descriptor in descriptors where descriptor.revents != 0 {
                let count = buffer.withUnsafeMutableBytes { read(descriptor.fd, $0.baseAddress!, $0.count) }
                if count > 0 {
                    let chunk = buffer[0..<count]
                    descriptor.fd == self.output ? output(chunk) : error(chunk)
                } else if count == 0 || (errno != EINTR && errno != EAGAIN) {
                    open.removeAll { $0 == descriptor.fd }
                    openDescriptors.withLock { _ = $0.remove(descriptor.fd) }
                    _ = close(descriptor.fd)
                }
            }
            if !keepGoing() { return false }
        }
        return true
    }

    /// Sends `signal` to the child's process group (or the child alone, if that fails).
    func send(_ signal: Int32) {
        if kill(-pid, signal) != 0 { _ = kill(pid, signal) }
    }

    /// How a child ended.
    struct Termination: Equatable, Sendable, CustomStringConvertible {
        /// The exit status, when it exited.
        var exitStatus: Int32?
        /// The signal that ended it, when one did.
        var signal: Int32?

        /// Whether it exited with status 0.
        var succeeded: Bool { exitStatus == 0 }
        /// "exit status 1", "signal 9" or "unknown".
        var description: String {
            if let exitStatus { return "exit status \(exitStatus)" }
            return signal.map { "signal \($0)" } ?? "unknown"
        }
    }

    /// Waits for the child to end.
    func reap() -> Termination {
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 {
            if errno != EINTR { return Termination() }
        }
        let signal = status & 0x7f
        return signal == 0 ? Termination(exitStatus: (status >> 8) & 0xff) : Termination(signal: signal)
    }

    /// Runs the child to completion, killing it after `timeoutSeconds`, and returns what it printed.
    /// - Returns: How it ended (`nil` when it was killed for taking too long), its standard output
    ///   and its standard error.
    func collect(timeoutSeconds: Double) -> (termination: Termination?, output: String, error: String) {
        let deadline = ContinuousClock.now + .milliseconds(Int(timeoutSeconds * 1000))
        var output: [UInt8] = []
        var error: [UInt8] = []
        var signalled = false
        // A descendant that left the process group could hold the pipes open for ever.
        let giveUp = deadline + .seconds(1)
        pump(
            keepGoing: {
                if ContinuousClock.now > deadline && !signalled {
                    signalled = true
                    send(SIGKILL)
                }
                return ContinuousClock.now < giveUp
            }, output: { output += $0 }, error: { error += $0 })
        closePipes()
        let termination = reap()
        return (
            signalled ? nil : termination,
            String(decoding: output, as: UTF8.self), String(decoding: error, as: UTF8.self)
        )
    }

    /// A pipe whose ends are closed on `exec`, so no other child started meanwhile inherits them
    /// (which would keep it open after our child exits).
    private static func pipe() throws -> (read: Int32, write: Int32) {
        var descriptors: [Int32] = [0, 0]
        #if os(Linux)
            // `pipe2` is not exported to Swift; a socket pair takes the close-on-exec flag atomically too.
            let status = socketpair(
                AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0, &descriptors)
            if status == 0 { _ = Glibc.shutdown(descriptors[0], Int32(SHUT_WR)) }
        #else
            let status = Darwin.pipe(&descriptors)
            if status == 0 {
                _ = fcntl(descriptors[0], F_SETFD, FD_CLOEXEC)
                _ = fcntl(descriptors[1], F_SETFD, FD_CLOEXEC)
            }
        #endif
        guard status == 0 else {
            throw CarbonTrackerError(
                .componentUnavailable, "Could not create a pipe: \(String(cString: strerror(errno))).")
        }
        return (descriptors[0], descriptors[1])
    }
}
