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

    /// Runs `executable` with `arguments` and waits for it, forwarding SIGINT and SIGTERM.
    /// - Parameters:
    ///   - executable: An absolute path from ``resolve(_:searchPath:)``.
    ///   - arguments: The full argument vector, starting with the command name.
    /// - Returns: The exit status, or 128 + the signal number when the child was killed.
    /// - Throws: ``LaunchError`` with status 126 when `posix_spawn` fails.
    static func run(executable: String, arguments: [String]) throws(LaunchError) -> Int32 {
        var forwarder = SignalForwarder()
        forwarder.install()
        defer { forwarder.uninstall() }

        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var emptyMask = sigset_t()
        sigemptyset(&emptyMask)
        posix_spawnattr_setsigmask(&attributes, &emptyMask)
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for signal in SignalForwarder.forwarded where !isIgnored(signal) { sigaddset(&defaults, signal) }
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))

        let argv: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) } + [nil]
        defer { for pointer in argv { free(pointer) } }
        var pid: pid_t = 0
        let result = posix_spawn(&pid, executable, nil, &attributes, argv, environ)
        guard result == 0 else {
            throw LaunchError(
                message:
                    "\(arguments.first ?? executable): cannot be executed: \(String(cString: strerror(result)))",
                status: 126)
        }
        let forwarding = forwarder.forward(to: pid)
        defer { forwarder.stopForwarding(forwarding) }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 {
            if errno != EINTR { return 1 }
        }
        return exitCode(fromWaitStatus: status)
    }

    /// The shell convention for a `waitpid` status: the exit code, or 128 + the signal number.
    static func exitCode(fromWaitStatus status: Int32) -> Int32 {
        let signal = status & 0x7f
        if signal == 0 { return (status >> 8) & 0xff }
        return 128 + signal
    }

    private static func isIgnored(_ signal: Int32) -> Bool {
        var current = sigaction()
        guard sigaction(signal, nil, &current) == 0 else { return false }
        return unsafeBitCast(current.__sigaction_handler.sa_handler, to: Int.self)
            == unsafeBitCast(SIG_IGN, to: Int.self)
    }
}
