import CarbonTracker
import Foundation

/// Runs the command `carbontracker` wraps, with this process's standard streams, and forwards
/// every catchable signal to it while it runs.
///
/// Cost: one ``ChildProcess`` start and one `waitpid`; a thread forwards signals while it runs.
enum WrappedCommand {
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
    ///   - executable: An absolute path from ``ChildProcess/resolve(bytes:searchPath:)``, as bytes.
    ///   - arguments: The full argument vector, starting with the command name, each as the bytes the
    ///     system gave (an argument that is not UTF-8 reaches the command unchanged).
    ///   - forwarder: Handlers installed by the caller, who keeps them until its logs are written, so
    ///     a signal that arrives after the command ended cannot cut the final report short.
    ///   - control: The pipe whose write end the command inherits, named by ``ControlChannel/variable``;
    ///     this process's copy of that end is closed once the command has started (or failed to).
    ///   - cgroup: A cgroup made for the command, which it starts in.
    /// - Returns: The exit status, or 128 + the signal number when the child was killed.
    /// - Throws: ``ChildProcess/LaunchError`` with status 126 when the command cannot be started.
    static func run(
        executable: [UInt8], arguments: [[UInt8]], forwarder: SignalForwarder, control: ControlChannel? = nil,
        cgroup: CommandCgroup? = nil
    ) throws(ChildProcess.LaunchError) -> Int32 {
        let ownGroup = !hasControllingTerminal()
        defer { control?.closeWriteEnd() }
        let start = { () throws(ChildProcess.LaunchError) -> ChildProcess in
            try ChildProcess(
                path: executable, arguments: arguments, environment: nil, streams: .inherited,
                ownGroup: ownGroup,
                deathSignal: parentDeathSignal,
                inheritedDescriptors: control.map { [$0.writeDescriptor] } ?? [],
                addedVariables: control.map { [ControlChannel.variable: String($0.writeDescriptor)] } ?? [:])
        }
        let child: ChildProcess
        if let cgroup {
            child = try cgroup.starting(start)
        } else {
            child = try start()
        }
        control?.closeWriteEnd()
        let forwarding = forwarder.forward(to: child.pid, ownGroup: ownGroup)
        defer { forwarder.stopForwarding(forwarding) }
        return child.reap().shellStatus
    }

    /// Whether standard input, output or error is this process's controlling terminal.
    static func hasControllingTerminal() -> Bool {
        [STDIN_FILENO, STDOUT_FILENO, STDERR_FILENO].contains { isatty($0) == 1 && tcgetpgrp($0) >= 0 }
    }
}
