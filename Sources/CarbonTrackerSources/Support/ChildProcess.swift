import CSpawn
import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A child process started without a shell: the one way the package starts programs, for the
/// library's helpers (powermetrics, `sudo -n`) and for the command `carbontracker` wraps.
///
/// ```swift
/// let child = try ChildProcess(executable: "/usr/bin/sudo", arguments: ["-n", "-l", path], environment: env)
/// let result = child.collect(timeoutSeconds: 2)   // (termination, stdout, stderr)
/// ```
///
/// With ``Streams/pipes`` (the default) standard input is `/dev/null`, so a program that asks a
/// question gets end of input instead of hanging, and standard output and error are pipes: whoever
/// reads must drain both (``pump(idleTimeoutMilliseconds:keepGoing:output:error:)`` does, with one
/// `poll`) and then ``reap()`` the child. With ``Streams/inherited`` the child shares this process's
/// streams. Cost: one `fork` and `execve` (in C, so the child can be told to die with its parent),
/// and a `waitpid`.
package final class ChildProcess: Sendable {
    /// What the child's standard streams are.
    package enum Streams: Sendable {
        /// Input from `/dev/null`, output and error on pipes this object reads.
        case pipes
        /// This process's own standard streams.
        case inherited
    }

    /// Why a program could not be started, with the status a shell would give.
    package struct LaunchError: Error, Equatable {
        /// What went wrong, in one line.
        package var message: String
        /// 127 when the program is not found, 126 when it cannot be executed.
        package var status: Int32

        package init(message: String, status: Int32) {
            self.message = message
            self.status = status
        }
    }

    /// The child's process ID.
    package let pid: pid_t
    private let output: Int32
    private let error: Int32
    private let openDescriptors: LockedBox<Set<Int32>>

    /// Starts `executable` with `arguments`, its streams on pipes, in a process group of its own (so
    /// stopping it also stops what it started), with the usual stop signals at their default action.
    /// - Parameters:
    ///   - executable: A path, or a name looked up in the `PATH` of `environment`.
    ///   - arguments: The arguments after the program name.
    ///   - environment: The child's complete environment.
    /// - Throws: ``CarbonTrackerError`` with code `.componentUnavailable` when it cannot be started.
    package convenience init(executable: String, arguments: [String], environment: [String: String]) throws {
        do {
            let path = try Self.resolve(executable, searchPath: environment["PATH"])
            try self.init(
                path: path, arguments: [executable] + arguments, environment: environment, streams: .pipes,
                ownGroup: true, deathSignal: 0)
        } catch {
            throw CarbonTrackerError(
                .componentUnavailable, "Could not start \(executable): \(error.message).")
        }
    }

    /// Starts the program at `path`: the text form of the initialiser that takes bytes.
    package convenience init(
        path: String, arguments: [String], environment: [String: String]?, streams: Streams, ownGroup: Bool,
        deathSignal: Int32, inheritedDescriptors: [Int32] = [], addedVariables: [String: String] = [:]
    ) throws(LaunchError) {
        try self.init(
            path: Array(path.utf8), arguments: arguments.map { Array($0.utf8) }, environment: environment,
            streams: streams, ownGroup: ownGroup, deathSignal: deathSignal,
            inheritedDescriptors: inheritedDescriptors, addedVariables: addedVariables)
    }

    /// Starts the program at `path`, its name and arguments as the bytes given (never decoded as text).
    /// - Parameters:
    ///   - path: An absolute path from ``resolve(bytes:searchPath:)``.
    ///   - arguments: The full argument vector, starting with the program's name.
    ///   - environment: The child's complete environment; `nil` for this process's.
    ///   - streams: Pipes, or this process's streams.
    ///   - ownGroup: Whether the child leads a process group of its own.
    ///   - deathSignal: On Linux, the signal the child gets when this process dies; 0 for none.
    ///   - inheritedDescriptors: Further descriptors of this process the child keeps open under the
    ///     same numbers (a pipe's write end it reports on); this process's copies stay close-on-exec.
    ///   - addedVariables: Variables set in the child on top of `environment` (or this process's
    ///     environment, copied byte for byte when `environment` is `nil`), replacing any of the same name.
    /// - Throws: ``LaunchError`` with status 126 when the program cannot be started.
    package init(
        path: [UInt8], arguments: [[UInt8]], environment: [String: String]?, streams: Streams, ownGroup: Bool,
        deathSignal: Int32, inheritedDescriptors: [Int32] = [], addedVariables: [String: String] = [:]
    ) throws(LaunchError) {
        let name = String(decoding: arguments.first ?? path, as: UTF8.self)
        func failure(_ code: Int32) -> LaunchError {
            LaunchError(
                message: "\(name): cannot be executed: \(String(cString: strerror(code)))", status: 126)
        }
        var output: (read: Int32, write: Int32) = (-1, -1)
        var error: (read: Int32, write: Int32) = (-1, -1)
        var input: Int32 = -1
        defer {
            for descriptor in [output.write, error.write, input] where descriptor >= 0 {
                _ = close(descriptor)
            }
        }
        if case .pipes = streams {
            do {
                output = try Self.pipe()
                error = try Self.pipe()
            } catch let code {
                for descriptor in [output.read, error.read] where descriptor >= 0 { _ = close(descriptor) }
                throw failure(code.value)
            }
            input = open("/dev/null", O_RDONLY | O_CLOEXEC)
        }
        let argv: [UnsafeMutablePointer<CChar>?] = arguments.map(Self.cString) + [nil]
        let program = Self.cString(path)
        let envp = Self.environmentBlock(environment, adding: addedVariables)
        defer {
            for pointer in argv { pointer?.deallocate() }
            program.deallocate()
            for pointer in envp ?? [] { free(pointer) }
        }
        let stdio: [Int32] = [input, output.write, error.write]
        var child: pid_t = 0
        var status: Int32 = 0
        // ETXTBSY: a process that another thread forked (not from here) still holds the executable open
        // for writing until it calls exec, for instance a script written just before. It passes in
        // milliseconds; try again a few times rather than fail.
        for attempt in 0..<10 {
            if attempt > 0 { usleep(5_000) }
            status = stdio.withUnsafeBufferPointer { stdio in
                inheritedDescriptors.withUnsafeBufferPointer { inherited in
                    if let envp {
                        return carbontracker_spawn(
                            &child, program, argv, envp, ownGroup ? 1 : 0, deathSignal, stdio.baseAddress,
                            streams == .pipes ? 1 : 0, inherited.baseAddress, Int32(inherited.count))
                    }
                    return carbontracker_spawn(
                        &child, program, argv, environ, ownGroup ? 1 : 0, deathSignal, stdio.baseAddress,
                        streams == .pipes ? 1 : 0, inherited.baseAddress, Int32(inherited.count))
                }
            }
            if status != ETXTBSY { break }
        }
        guard status == 0 else {
            for descriptor in [output.read, error.read] where descriptor >= 0 { _ = close(descriptor) }
            throw failure(status)
        }
        self.pid = child
        self.output = output.read
        self.error = error.read
        self.openDescriptors = LockedBox(Set([output.read, error.read].filter { $0 >= 0 }))
    }

    deinit { closePipes() }

    /// Finds the executable a command name refers to, as a shell would but without running one.
    /// - Parameters:
    ///   - name: A path when it contains `/`, else a name looked up in `searchPath`.
    ///   - searchPath: The `PATH` value; `nil` for `/usr/local/bin:/usr/bin:/bin`.
    /// - Returns: An absolute path to an executable regular file.
    /// - Throws: ``LaunchError`` with status 127 when there is none, 126 when it is not executable.
    package static func resolve(_ name: String, searchPath: String?) throws(LaunchError) -> String {
        let path = try resolve(bytes: Array(name.utf8), searchPath: searchPath.map { Array($0.utf8) })
        return String(decoding: path, as: UTF8.self)
    }

    /// The `KEY=value` strings of the child's environment, `nil` for this process's own unchanged.
    private static func environmentBlock(
        _ environment: [String: String]?, adding added: [String: String]
    ) -> [UnsafeMutablePointer<CChar>?]? {
        if let environment {
            let merged = environment.merging(added) { _, new in new }
            return merged.map { strdup("\($0.key)=\($0.value)") } + [nil]
        }
        guard !added.isEmpty else { return nil }
        // Copied as bytes, so a value that is not UTF-8 reaches the child unchanged.
        var block: [UnsafeMutablePointer<CChar>?] = []
        var index = 0
        while let entry = environ[index] {
            index += 1
            let replaced = added.keys.contains { key in
                let length = key.utf8.count
                let matches = key.utf8CString.withUnsafeBufferPointer {
                    strncmp(entry, $0.baseAddress!, length) == 0
                }
                return matches && entry[length] == CChar(UInt8(ascii: "="))
            }
            if !replaced { block.append(strdup(entry)) }
        }
        return block + added.map { strdup("\($0.key)=\($0.value)") } + [nil]
    }

    /// Closes the reading ends that are still open; a child still writing then gets `SIGPIPE`.
    package func closePipes() {
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
    package func pump(
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
    package func send(_ signal: Int32) {
        if kill(-pid, signal) != 0 { _ = kill(pid, signal) }
    }

    /// How a child ended.
    package struct Termination: Equatable, Sendable, CustomStringConvertible {
        /// The exit status, when it exited.
        package var exitStatus: Int32?
        /// The signal that ended it, when one did.
        package var signal: Int32?

        package init(exitStatus: Int32? = nil, signal: Int32? = nil) {
            self.exitStatus = exitStatus
            self.signal = signal
        }

        /// Decodes a `waitpid` status: the exit status, or the signal that ended the child (the core-dump
        /// flag is ignored).
        package init(waitStatus status: Int32) {
            let signal = status & 0x7f
            self = signal == 0 ? Termination(exitStatus: (status >> 8) & 0xff) : Termination(signal: signal)
        }

        /// Whether it exited with status 0.
        package var succeeded: Bool { exitStatus == 0 }
        /// "exit status 1", "signal 9" or "unknown".
        package var description: String {
            if let exitStatus { return "exit status \(exitStatus)" }
            return signal.map { "signal \($0)" } ?? "unknown"
        }
        /// The shell's convention: the exit status, or 128 + the signal number (1 when unknown).
        package var shellStatus: Int32 { exitStatus ?? signal.map { 128 + $0 } ?? 1 }
    }

    /// Waits for the child to end.
    package func reap() -> Termination {
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 {
            if errno != EINTR { return Termination() }
        }
        return Termination(waitStatus: status)
    }

    /// Runs the child to completion, killing it after `timeoutSeconds`, and returns what it printed.
    /// - Returns: How it ended (`nil` when it was killed for taking too long), its standard output
    ///   and its standard error.
    package func collect(timeoutSeconds: Double) -> (termination: Termination?, output: String, error: String)
    {
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

    private struct PipeError: Error { var value: Int32 }

    /// A pipe whose ends are closed on `exec`.
    private static func pipe() throws(PipeError) -> (read: Int32, write: Int32) {
        var descriptors: [Int32] = [-1, -1]
        let status = descriptors.withUnsafeMutableBufferPointer { carbontracker_pipe($0.baseAddress) }
        guard status == 0 else { throw PipeError(value: status) }
        return (descriptors[0], descriptors[1])
    }
}
