#if os(Linux)
    /// Where Linux describes the hardware the power sources read, when no environment variable says otherwise.
    package enum PlatformPaths {
        /// The processors' description, for the CPU model name.
        package static let cpuinfo: String? = "/proc/cpuinfo"
        /// The powercap tree with the RAPL energy counters.
        package static let powercap: String? = "/sys/class/powercap"
    }
#endif
