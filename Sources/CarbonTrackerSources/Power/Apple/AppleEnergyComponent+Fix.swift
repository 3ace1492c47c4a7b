extension AppleEnergyComponent {
    /// What `--diagnose` tells the user to do when IOReport cannot be used.
    /// - Parameters:
    ///   - actionable: Whether IOReport loaded but its counters failed the self-check.
    ///   - user: The user name for the sudoers line of the powermetrics fallback.
    /// - Returns: The fix, in a sentence.
    package static func fix(actionable: Bool, user: String) -> String {
        #if os(macOS) && arch(arm64)
            return "this path is compiled and unit-tested but has not yet run on a Mac: please report this "
                + "`carbontracker --diagnose` output to the CarbonTracker issue tracker; meanwhile powermetrics "
                + "measures without it: `sudo visudo -f /etc/sudoers.d/powermetrics` and add the line "
                + "`\(user) ALL = (root) NOPASSWD: /usr/bin/powermetrics`"
        #elseif os(macOS)
            return "none on an Intel Mac: IOReport's Energy Model counters exist on Apple silicon only"
        #else
            return actionable
                ? "check the library that CARBONTRACKER_IOREPORT_LIBRARY names: its counters failed the self-check"
                : "none on this system: IOReport exists only on macOS (Apple silicon)"
        #endif
    }
}
