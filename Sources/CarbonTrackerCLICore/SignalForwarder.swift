import Dispatch
import Foundation

/// The pipe a signal handler writes to: `write` is async-signal-safe, locks and allocation are not.
/// Created once, before any handler is installed, so the handler only reads two constants.
private final class SignalPipe: Sendable {
    let readEnd: Int32
    let writeEnd: Int32

    init() {
        var fds: [Int32] = [-1, -1]
        if pipe(&fds) == 0 {
            _ = fcntl(fds[0], F_SETFL, fcntl(fds[0], F_GETFL) | O_NONBLOCK)
            _ = fcntl(fds[1], F_SETFL, fcntl(fds[1], F_GETFL) | O_NONBLOCK)
            _ = fcntl(fds[0], F_SETFD, FD_CLOEXEC)
            _ = fcntl(fds[1], F_SETFD, FD_CLOEXEC)
        }
        readEnd = fds[0]
        writeEnd = fds[1]
    }
}

private let signalPipe = SignalPipe()

/// Forwards every signal another process may send to stop, warn or resize a job (the ones in
/// ``forwarded``) to one child process, so the command gets them as if it ran alone.
///
/// A handler records each signal in a pipe; a thread reads the pipe and signals the child. A child
/// in a process group of its own (``WrappedCommand/run(executable:arguments:forwarder:)`` outside
/// a terminal) gets every signal, sent to its group, as a signal to a job's group would reach all of
/// it: once, since nothing else reaches that group. A child sharing this process's group (in a
/// terminal) gets only signals that came from another process: what the terminal sends (Ctrl-C,
/// Ctrl-\, Ctrl-Z, hang-up, window size) went to the whole group and so already reached it. A signal
/// this process ignored when it started (a background job's SIGINT) stays ignored, for the child too.
///
/// The stop signals (SIGTSTP, SIGTTIN, SIGTTOU) are handled as a shell handles its job:
/// - In a terminal, `carbontracker` is part of the job, so it stops with the command (Ctrl-Z stops
///   both, `fg`/`bg` continue both) and the shell sees the job stopped.
/// - Outside a terminal there is no job control: the command's group is stopped, `carbontracker`
///   keeps running (and measuring an idle command) and forwards the SIGCONT that resumes it. It
///   never stops itself there, so it is never left stopped while its command runs on.
///
/// SIGPIPE is forwarded only when another process sent it; one raised by this process's own write
/// to a closed pipe makes that write fail instead. Signals about this process itself (SIGSEGV,
/// SIGBUS, SIGFPE, SIGILL, SIGABRT, SIGSYS, SIGTRAP, SIGXCPU, SIGXFSZ, its own timers' SIGPROF and
/// SIGVTALRM) are not forwarded, and SIGKILL and SIGSTOP cannot be caught: a SIGKILLed
/// `carbontracker` takes its command with it on Linux (``WrappedCommand/parentDeathSignal``).
///
/// One child at a time per process: the handlers are process-wide.
struct SignalForwarder {
    /// The signals forwarded: the job-control, termination, warning and user signals, and on Linux
    /// the real-time ones (SIGRTMIN through SIGRTMAX).
    static let forwarded: [Int32] = {
        var signals: [Int32] = [
            SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGALRM, SIGWINCH, SIGCONT, SIGPIPE,
            SIGURG, SIGTSTP, SIGTTIN, SIGTTOU,
        ]
        #if os(Linux)
            signals += Array(__libc_current_sigrtmin()...__libc_current_sigrtmax())
        #endif
        return signals
    }()

    /// The signals whose default action stops a process, handled as a shell would (see above).
    static let stopSignals: Set<Int32> = [SIGTSTP, SIGTTIN, SIGTTOU]
    private var previous: [(Int32, sigaction)] = []
    private var previousMask = sigset_t()

    /// Installs the handlers; signals that arrive before ``forward(to:)`` are kept and forwarded then.
    mutating func install() {
        drain()
        for signal in Self.forwarded {
            var current = sigaction()
            guard sigaction(signal, nil, &current) == 0 else { continue }
            if current.ignoresSignal { continue }
            var action = sigaction()
            action.setInfoHandler { signal, info, _ in
                let fromTerminal = signalCameFromKernel(info)
                if fromTerminal && (signal == SIGTSTP || signal == SIGTTIN || signal == SIGTTOU) {
                    // The terminal stopped the whole job (or this process touched the terminal from
                    // the background): stop as the default action would, now, before a write that
                    // raised SIGTTOU is restarted and raises it again.
                    kill(getpid(), SIGSTOP)
                    return
                }
                if signal == SIGPIPE && (info?.pointee.si_code ?? -1) == SI_USER
                    && signalSender(info) == getpid()
                {
                    return  // this process's own write to a closed pipe: that write fails with EPIPE
                }
                var record: (UInt8, UInt8) = (UInt8(truncatingIfNeeded: signal), fromTerminal ? 1 : 0)
                _ = withUnsafeBytes(of: &record) { write(signalPipe.writeEnd, $0.baseAddress, 2) }
            }
            action.sa_flags = SA_SIGINFO | SA_RESTART
            sigemptyset(&action.sa_mask)
            var old = sigaction()
            if sigaction(signal, &action, &old) == 0 { previous.append((signal, old)) }
        }
        // A parent that started us from a thread with these signals blocked (a Dispatch worker does)
        // would keep them pending forever; this thread takes them while the child runs.
        var unblock = sigset_t()
        sigemptyset(&unblock)
        for (signal, _) in previous { sigaddset(&unblock, signal) }
        pthread_sigmask(SIG_UNBLOCK, &unblock, &previousMask)
    }

    /// Starts forwarding to `child` until ``stopForwarding(_:)``.
    /// - Parameters:
    ///   - child: The child's process ID.
    ///   - ownGroup: Whether the child leads a process group of its own (then the group is signalled).
    /// - Returns: A group that is left when the forwarding thread has stopped.
    func forward(to child: pid_t, ownGroup: Bool) -> DispatchGroup {
        let group = DispatchGroup()
        group.enter()
        let readEnd = signalPipe.readEnd
        let thread = Thread {
            defer { group.leave() }
            var record: (UInt8, UInt8) = (0, 0)
            while true {
                var poller = pollfd(fd: readEnd, events: Int16(POLLIN), revents: 0)
                if poll(&poller, 1, -1) < 0 && errno != EINTR { return }
                let count = withUnsafeMutableBytes(of: &record) { read(readEnd, $0.baseAddress, 2) }
                guard count == 2 else { continue }
                if record.0 == 0 { return }
                let signal = Int32(record.0)
                if ownGroup {
                    // The child may have left its group (setsid); then it alone is signalled.
                    if kill(-child, signal) != 0 && errno == ESRCH { kill(child, signal) }
                } else if record.1 == 0 {
                    kill(child, signal)
                    // In a terminal this process is part of the job: it stops with its command.
                    if Self.stopSignals.contains(signal) { kill(getpid(), SIGSTOP) }
                }
            }
        }
        thread.name = "carbontracker-signals"
        thread.start()
        return group
    }

    /// Stops the forwarding thread started by ``forward(to:)``.
    func stopForwarding(_ group: DispatchGroup) {
        var stop: (UInt8, UInt8) = (0, 0)
        _ = withUnsafeBytes(of: &stop) { write(signalPipe.writeEnd, $0.baseAddress, 2) }
        group.wait()
    }

    /// Restores the handlers that were in place before ``install()``.
    mutating func uninstall() {
        pthread_sigmask(SIG_SETMASK, &previousMask, nil)
        for (signal, old) in previous {
            var action = old
            sigaction(signal, &action, nil)
        }
        previous = []
    }

    /// Discards records left from an earlier child.
    private func drain() {
        var buffer = [UInt8](repeating: 0, count: 64)
        while buffer.withUnsafeMutableBytes({ read(signalPipe.readEnd, $0.baseAddress, 64) }) > 0 {}
    }
}
