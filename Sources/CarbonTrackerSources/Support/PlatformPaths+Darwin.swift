#if !os(Linux)
    /// macOS has neither procfs nor sysfs: the CPU model comes from `sysctl` and there is no RAPL tree,
    /// unless an environment variable points at a copy of one.
    package enum PlatformPaths {
        /// No processor description file (`sysctl machdep.cpu.brand_string` names the CPU).
        package static let cpuinfo: String? = nil
        /// No powercap tree.
        package static let powercap: String? = nil
    }
#endif
