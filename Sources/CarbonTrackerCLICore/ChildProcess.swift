import CSpawn
import Foundation

/// Runs the tracked command directly (`posix_spawn`, no shell) with this process's standard streams.
///
/// Cost: one `posix_spawn` and one `waitpid`; a thread forwards signals while the child runs.
enum ChildProcess {
    /// Why a command could not be started, with the status a shell would give.
    struct LaunchError: Error, Equatable {
        /// What went wrong, in one line.
        var message: String
        /// 127 when the command is not found, 126 when it cannot be executed.
        var status: Int32
    }

    /// Finds the executable a command name refers to, as a shell would but without running one.
    /// - Parameters:
    ///   - name: The command's first word: a path when it contains `/`, else a name looked up in `PATH`.
    ///   - searchPath: The `PATH` value; `nil` for `/usr/local/bin:/usr/bin:/bin`.
    /// - Returns: An absolute path to an executable regular file.
    /// - Throws: ``LaunchError`` with status 127 when there is none, 126 when it is not executable.
    static func resolve(_ name: String, searchPath: String?) throws(LaunchError) -> String {
        let cwd = FileManager.default.currentDirectoryPath
        if name.contains("/") {
            let path = name.hasPrefix("/") ? name : cwd + "/" + name
            guard isRegularFile(path) else {
                throw LaunchError(message: "\(name): no such file", status: 127)
            }
            guard access(path, X_OK) == 0 else {
                throw LaunchError(message: "\(name): permission denied (not executable)", status: 126)
            }
            return path
        }
        var notExecutable: String?
        let directories = (searchPath ?? "/usr/local/bin:/usr/bin:/bin").split(
            separator: ":", omittingEmptySubsequences: false)
        for directory in directories {
            let base =
                directory.isEmpty
                ? cwd : (directory.hasPrefix("/") ? String(directory) : cwd + "/" + directory)
            let candidate = base + "/" + name
            guard isRegularFile(candidate) else { continue }
            if access(candidate, X_OK) == 0 { return candidate }
            notExecutable = notExecutable ?? candidate
        }
        if let notExecutable {
            throw LaunchError(message: "\(notExecutable): permission denied (not executable)", status: 126)
        }
        throw LaunchError(message: "\(name): command not found", status: 127)
    }

    private static func isRegularFile(_ path: String) -> Bool {
        var info = stat()
        return stat(path, &info) == 0 && (info.st_mode & S_IFMT) == S_IFREG
    }

    /// The signal the command gets on Linux when `carbontracker` itself dies without a chance to stop
    /// it (SIGKILL, a crash): SIGKILL, so nothing runs on unmeasured. Every catchable signal is
    /// forwarded instead (``SignalForwarder``), which lets the command clean up.
    static let parentDeathSignal = SIGKILL

    /// Runs `executable` with `arguments` and waits for it, forwarding signals through `forwarder`.
    ///
    /// When one of the standard streams is this process's controlling terminal, the command shares
    /// this process group, so the terminal's keys and job control work on it as usual. Otherwise
    /// (batch jobs, CI, services) it gets a process group of its own, so a signal sent to this
    /// process's group reaches it once, through the forwarder, instead of twice. On Linux it is
    /// killed if this process dies first.
    /// - Parameters:
    ///   - executable: An absolute path from ``resolve(_:searchPath:)``.
    ///   - arguments: The full argument vector, starting with the command name.
    ///   - forwarder: Handlers installed by the caller, who keeps them until its logs are written, so
    ///     a signal that arrives after the command ended cannot cut the final report short.
    /// - Returns: The exit status, or 128 + the signal number when the child was killed.
    /// - Throws: ``LaunchError`` with status 126 when the command cannot be started.
    static func run(executable: String, arguments: [String], forwarder: SignalForwarder) throws(LaunchError)
        -> Int32
    {
        let ownGroup = !hasControllingTerminal()
        let argv: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) } + [nil]
        defer { for pointer in argv { free(pointer) } }
        var pid: pid_t = 0
        let result = carbontracker_spawn(&pid, executable, argv, environ, ownGroup ? 1 : 0, parentDeathSignal)
        guard result == 0 else {
            throw LaunchError(
                message:
                    "\(arguments.first ?? executable): cannot be executed: \(String(cString: strerror(result)))",
                status: 126)
        }
        let forwarding = forwarder.forward(to: pid, ownGroup: ownGroup)
        defer { forwarder.stopForwarding(forwarding) }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 {
            if errno != EINTR { return 1 }
        }
        return exitCode(fromWaitStatus: status)
    }

    /// Whether standard input, output or error is this process's controlling terminal.
    static func hasControllingTerminal() -> Bool {
        [STDIN_FILENO, STDOUT_FILENO, STDERR_FILENO].contains { isatty($0) == 1 && tcgetpgrp($0) >= 0 }
    }

    /// The shell convention for a `waitpid` status: the exit code, or 128 + the signal number.
    static func exitCode(fromWaitStatus status: Int32) -> Int32 {
        let signal = status & 0x7f
        if signal == 0 { return (status >> 8) & 0xff }
        return 128 + signal
    }
}
