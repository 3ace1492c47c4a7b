#if os(Linux)
    /// Where Linux describes cgroups, CPU time and CPU topology, under a ``ScopeFiles`` root.
    package enum KernelPaths {
        /// This process's mounts.
        package static let mountInfo: String? = "/proc/self/mountinfo"
        /// The busy and idle time of every CPU.
        package static let stat: String? = "/proc/stat"
        /// One directory per process.
        package static let processes: String? = "/proc"
        /// The online CPUs, as a cpuset list.
        package static let onlineCPUs: String? = "/sys/devices/system/cpu/online"
        /// Files whose presence says this process runs in a container.
        package static let containerMarkers = ["/.dockerenv", "/run/.containerenv"]

        /// The cgroups of `process` (`"self"` or a pid).
        package static func cgroups(of process: String) -> String? { "/proc/\(process)/cgroup" }
        /// The status line of `pid`, with its CPU times.
        package static func stat(of pid: Int32) -> String? { "/proc/\(pid)/stat" }
        /// The package that `cpu` belongs to.
        package static func packageID(of cpu: Int) -> String? {
            "/sys/devices/system/cpu/cpu\(cpu)/topology/physical_package_id"
        }
    }
#endif
