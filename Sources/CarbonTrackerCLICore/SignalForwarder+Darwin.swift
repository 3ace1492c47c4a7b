#if canImport(Darwin)
    import Darwin

    /// A signal handler that receives the sender's details (`SA_SIGINFO`).
    typealias SignalInfoHandler =
        @convention(c) (Int32, UnsafeMutablePointer<siginfo_t>?, UnsafeMutableRawPointer?) -> Void

    extension sigaction {
        /// Whether the disposition is `SIG_IGN` (Darwin keeps the handler in `__sigaction_u`).
        var ignoresSignal: Bool {
            unsafeBitCast(__sigaction_u.__sa_handler, to: Int.self) == unsafeBitCast(SIG_IGN, to: Int.self)
        }

        /// Installs `handler` as the `SA_SIGINFO` handler; the caller sets `sa_flags`.
        mutating func setInfoHandler(_ handler: SignalInfoHandler) {
            __sigaction_u.__sa_sigaction = handler
        }
    }

    /// Whether the kernel raised the signal (a terminal's Ctrl-C, Ctrl-\ or hang-up) rather than a
    /// process calling `kill`. Darwin has no `SI_KERNEL`; it fills `si_pid` with the sender's process
    /// ID for `kill`, and leaves it 0 when the kernel raised the signal. Async-signal-safe.
    func signalCameFromKernel(_ info: UnsafeMutablePointer<siginfo_t>?) -> Bool {
        info.map { $0.pointee.si_pid == 0 } ?? false
    }

    /// The process that sent the signal (0 when the kernel raised it). Async-signal-safe.
    func signalSender(_ info: UnsafeMutablePointer<siginfo_t>?) -> pid_t {
        info?.pointee.si_pid ?? 0
    }
#endif
