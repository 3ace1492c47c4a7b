import Foundation

/// The command or setting that makes an unavailable power source usable, for `--diagnose`.
enum SourceFix {
    /// What to run or set so that `source` can be used; `nil` when nothing applies.
    /// - Parameters:
    ///   - source: An unavailable source.
    ///   - reason: Why it is unavailable.
    ///   - environment: For the user name in a sudoers line.
    static func command(for source: any PowerComponent, reason: String, environment: [String: String])
        -> String?
    {
        switch source {
        case let rapl as RAPLComponent:
            let denied = rapl.unreadableCounterPaths()
            guard denied.isEmpty else {
                return "sudo chmod +r \(denied.joined(separator: " "))   (until reboot; to keep it, put "
                    + "\(RAPLZones.udevRule) in /etc/udev/rules.d/90-carbontracker-rapl.rules, then run "
                    + "sudo udevadm control --reload && sudo udevadm trigger --subsystem-match=powercap)"
            }
            return
                "none on this machine: it exposes no RAPL counter (virtual machines and most containers do "
                + "not); in a container that mounts /sys/class/powercap elsewhere, set CARBONTRACKER_RAPL_DIR"
        case is NVMLComponent:
            if reason.contains("could not be loaded") {
                return "install the NVIDIA driver so that `nvidia-smi` works, or "
                    + "export CARBONTRACKER_NVML_LIBRARY=/path/to/libnvidia-ml.so.1"
            }
            if reason.contains("CUDA_VISIBLE_DEVICES") {
                return
                    "list the GPUs with `nvidia-smi -L` and set CUDA_VISIBLE_DEVICES to some of them, or unset it"
            }
            if reason.contains("devicesByPID") {
                return "start GPU work before creating the tracker, or do not use devicesByPID"
            }
            if reason.contains("nvmlInit") || reason.contains("no GPU") {
                return
                    "check that the driver is loaded and sees the GPUs: `nvidia-smi` (as root: modprobe nvidia)"
            }
            return nil
        case let ioreport as AppleEnergyComponent:
            return AppleEnergyComponent.fix(
                actionable: ioreport.unavailabilityIsActionable, user: environment["USER"] ?? NSUserName())
        case let apple as AppleSiliconComponent:
            if apple.unavailabilityIsActionable {
                let user = environment["USER"] ?? NSUserName()
                return "sudo visudo -f /etc/sudoers.d/powermetrics   and add the line: "
                    + "\(user) ALL = (root) NOPASSWD: \(apple.session.launch.executable)"
            }
            #if os(macOS)
                return nil
            #else
                return "none on Linux: powermetrics exists only on macOS"
            #endif
        default:
            return nil
        }
    }
}
