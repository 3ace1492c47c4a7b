import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// How to start powermetrics, and whether it can run here.
///
/// ```swift
/// let launch = PowermetricsLaunch(environment: ProcessInfo.processInfo.environment)
/// launch.availability()   // (nil, false) when it can run
/// ```
///
/// Checking availability may run `sudo -n -l <powermetrics>` once (a few milliseconds; at most 5 s).
package struct PowermetricsLaunch: Sendable {
    /// The powermetrics program.
    package var executable: String
    /// Run through `sudo -n` (when not root and not overridden).
    var viaSudo: Bool
    /// The sudo program.
    var sudo: String = "/usr/bin/sudo"
    /// Milliseconds per sample (`-i`).
    var intervalMilliseconds: Int
    /// The child's environment.
    var environment: [String: String]
    /// Whether `CARBONTRACKER_POWERMETRICS` chose the program (then any OS will do).
    var overridden: Bool

    /// The launch the environment asks for: `CARBONTRACKER_POWERMETRICS` (run as is) or
    /// `/usr/bin/powermetrics` (through `sudo -n` unless root); `CARBONTRACKER_POWERMETRICS_INTERVAL_MS`
    /// sets the sample length (default 500).
    init(environment: [String: String]) {
        let override = environment["CARBONTRACKER_POWERMETRICS"].flatMap { $0.isEmpty ? nil : $0 }
        self.executable = override ?? "/usr/bin/powermetrics"
        self.overridden = override != nil
        self.viaSudo = override == nil && geteuid() != 0
        self.intervalMilliseconds =
            environment["CARBONTRACKER_POWERMETRICS_INTERVAL_MS"].flatMap { Int($0) }.map {
                min(max(10, $0), 60_000)
            }
            ?? 500
        self.environment = environment
    }

    init(
        executable: String, viaSudo: Bool, sudo: String, intervalMilliseconds: Int,
        environment: [String: String]
    ) {
        self.executable = executable
        self.viaSudo = viaSudo
        self.sudo = sudo
        self.intervalMilliseconds = intervalMilliseconds
        self.environment = environment
        self.overridden = true
    }

    /// The arguments of powermetrics itself.
    var arguments: [String] {
        ["--samplers", "cpu_power,gpu_power", "-i", String(intervalMilliseconds), "-b", "1"]
    }

    /// Why powermetrics cannot run, and whether that is sudo refusing (which the user can fix).
    func availability() -> (reason: String?, refused: Bool) {
        #if !os(macOS)
            if !overridden {
                return (
                    "powermetrics exists only on macOS; set CARBONTRACKER_POWERMETRICS to a compatible program "
                        + "to use it elsewhere.", false
                )
            }
        #endif
        guard access(executable, X_OK) == 0 else {
            return ("\(executable) is not an executable file.", false)
        }
        guard viaSudo else { return (nil, false) }
        do {
            let child = try ChildProcess(
                executable: sudo, arguments: ["-n", "-l", executable],
                environment: environment)
            let result = child.collect(timeoutSeconds: 5)
            if result.termination?.succeeded == true { return (nil, false) }
            return (sudoersMessage(result.termination == nil ? "no answer within 5 s" : result.error), true)
        } catch {
            return (sudoersMessage(String(describing: error)), true)
        }
    }

    /// What to do when sudo refuses, with the sudoers line for this user and program.
    func sudoersMessage(_ detail: String) -> String {
        let user = environment["USER"] ?? NSUserName()
        let said = detail.trimmingCharacters(in: .whitespacesAndNewlines)
        return "powermetrics needs root, and `sudo -n` may not run it without a password"
            + (said.isEmpty ? "" : " (sudo said: \(said))")
            + ". Allow it with `sudo visudo -f /etc/sudoers.d/powermetrics` "
            + "and this line: \(user) ALL = (root) NOPASSWD: \(executable) "
            + "(see \"What is measured and how\" in the CarbonTracker documentation), "
            + "or run training as root."
    }
}
