#if os(Linux)
    import Glibc

    /// A signal handler that receives the sender's details (`SA_SIGINFO`).
    typealias SignalInfoHandler =
        @convention(c) (Int32, UnsafeMutablePointer<siginfo_t>?, UnsafeMutableRawPointer?) -> Void

    extension sigaction {
        /// Whether the disposition is `SIG_IGN` (glibc keeps the handler in `__sigaction_handler`).
        var ignoresSignal: Bool {
            unsafeBitCast(__sigaction_handler.sa_handler, to: Int.self)
                == unsafeBitCast(SIG_IGN, to: Int.self)
        }

        /// Installs `handler` as the `SA_SIGINFO` handler; the caller sets `sa_flags`.
        mutating func setInfoHandler(_ handler: SignalInfoHandler) {
            __sigaction_handler.sa_sigaction = handler
        }
    }

    /// Whether the kernel raised the signal (a terminal's Ctrl-C, Ctrl-\ or hang-up) rather than a
    /// process calling `kill`: Linux marks those with `SI_KERNEL`. Async-signal-safe.
    func signalCameFromKernel(_ info: UnsafeMutablePointer<siginfo_t>?) -> Bool {
        info.map { $0.pointee.si_code == SI_KERNEL } ?? false
    }

    /// The process that sent the signal (0 when the kernel raised it). Async-signal-safe.
    func signalSender(_ info: UnsafeMutablePointer<siginfo_t>?) -> pid_t {
        info?.pointee._sifields._kill.si_pid ?? 0
    }
#endif
