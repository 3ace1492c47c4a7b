#if os(Linux)
    /// Where Linux describes the hardware the power sources read, when no environment variable says otherwise.
    enum PlatformPaths {
        /// The processors' description, for the CPU model name.
        static let cpuinfo: String? = "/proc/cpuinfo"
        /// The powercap tree with the RAPL energy counters.
        static let powercap: String? = "/sys/class/powercap"
    }
#endif
