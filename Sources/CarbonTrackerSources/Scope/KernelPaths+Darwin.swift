#if !os(Linux)
    /// macOS has no cgroups, procfs or sysfs: the scope is the whole machine, or this process's tree
    /// through `getrusage`.
    package enum KernelPaths {
        /// No mount table file.
        package static let mountInfo: String? = nil
        /// No per-CPU time file.
        package static let stat: String? = nil
        /// No process directory.
        package static let processes: String? = nil
        /// No online-CPU list (the processor count comes from `ProcessInfo`).
        package static let onlineCPUs: String? = nil
        /// No container markers.
        package static let containerMarkers: [String] = []

        /// No cgroups.
        package static func cgroups(of process: String) -> String? { nil }
        /// No per-process status file.
        package static func stat(of pid: Int32) -> String? { nil }
        /// No topology files.
        package static func packageID(of cpu: Int) -> String? { nil }
    }
#endif
