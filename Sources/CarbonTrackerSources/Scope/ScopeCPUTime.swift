import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The busy time of the machine's CPUs, from `/proc/stat`.
package enum ProcStat {
    /// Clock ticks per second of `/proc/stat` (`USER_HZ`).
    package static let ticksPerSecond: Double = {
        let ticks = sysconf(Int32(_SC_CLK_TCK))
        return ticks > 0 ? Double(ticks) : 100
    }()

    /// Busy seconds of one `cpu…` line: user, nice, system, irq, softirq and steal (not idle or iowait;
    /// guest time is already inside user).
    static func busySeconds(_ line: Substring) -> Double? {
        let fields = line.split(separator: " ", omittingEmptySubsequences: true)
        guard fields.count >= 8 else { return nil }
        var ticks = 0.0
        for index in [1, 2, 3, 6, 7] + (fields.count > 8 ? [8] : []) {
            guard let value = Double(fields[index]) else { return nil }
            ticks += value
        }
        return ticks / ticksPerSecond
    }

    /// Busy seconds of all CPUs (the `cpu ` line).
    package static func total(_ text: String) -> Double? {
        guard let line = text.split(separator: "\n").first(where: { $0.hasPrefix("cpu ") }) else {
            return nil
        }
        return busySeconds(line)
    }

    /// Busy seconds of each CPU (the `cpuN` lines).
    package static func perCPU(_ text: String) -> [(cpu: Int, busySeconds: Double)] {
        var result: [(Int, Double)] = []
        for line in text.split(separator: "\n") where line.hasPrefix("cpu") && !line.hasPrefix("cpu ") {
            let name = line.prefix { $0 != " " }.dropFirst(3)
            guard let cpu = Int(name), let busy = busySeconds(line) else { continue }
            result.append((cpu, busy))
        }
        return result
    }
}

/// Reads the CPU time a ``WorkScope`` has used so far, in seconds.
///
/// A cgroup costs one small file read; the machine one read of `/proc/stat`; a process tree a walk of
/// `/proc` (one `stat` file per process), so it is read at the sampling interval, not faster.
package struct ScopeCPUTime: Sendable {
    package let usage: WorkScope.Usage
    package let files: ScopeFiles

    package init(scope: WorkScope, files: ScopeFiles = .system) {
        self.usage = scope.usage
        self.files = files
    }

    /// Seconds of CPU time used by the scope since it began (or since boot), or `nil` when unreadable.
    package func cpuSeconds() -> Double? {
        switch usage {
        case .machine:
            return KernelPaths.stat.flatMap { files.read($0, limit: 1 << 20) }.flatMap(ProcStat.total)
        case .cgroupV2(let path):
            guard let text = ScopeFiles.readFile(path, limit: 4096) else { return nil }
            for line in text.split(separator: "\n") where line.hasPrefix("usage_usec ") {
                return Double(line.dropFirst("usage_usec ".count)).map { $0 / 1_000_000 }
            }
            return nil
        case .cgroupV1(let path):
            return ScopeFiles.readFile(path, limit: 64).flatMap {
                Double($0.trimmingCharacters(in: .whitespacesAndNewlines))
            }.map { $0 / 1_000_000_000 }
        case .processTree(let pid):
            return processTreeSeconds(pid)
        }
    }

    /// CPU seconds of `root` and its live descendants (each with its reaped children), plus, when `root`
    /// is this process, the children it reaped (`getrusage`).
    private func processTreeSeconds(_ root: Int32) -> Double? {
        var parents: [Int32: Int32] = [:]
        var seconds: [Int32: Double] = [:]
        let names =
            KernelPaths.processes.flatMap {
                try? FileManager.default.contentsOfDirectory(atPath: files.path($0))
            }
            ?? []
        for name in names {
            guard let pid = Int32(name),
                let text = KernelPaths.stat(of: pid).flatMap({ files.read($0, limit: 4096) }),
                let close = text.lastIndex(of: ")")
            else { continue }
            // Fields after the command name: state ppid … utime(14) stime(15) cutime(16) cstime(17).
            let fields = text[text.index(after: close)...].split(separator: " ")
            guard fields.count > 15, let ppid = Int32(fields[1]) else { continue }
            var ticks = 0.0
            for index in 11...14 { ticks += Double(fields[index]) ?? 0 }
            parents[pid] = ppid
            seconds[pid] = ticks / ProcStat.ticksPerSecond
        }
        guard seconds[root] != nil || root == getpid() else { return nil }
        var total = 0.0
        for (pid, value) in seconds {
            var current = pid
            var depth = 0
            while current != root, let parent = parents[current], parent > 0, depth < 4096 {
                current = parent
                depth += 1
            }
            if current == root { total += value }
        }
        if root == getpid() && files.root.isEmpty {
            // This process's own figure in /proc already counts the children it reaped (cutime).
            if seconds[root] == nil {
                total += Self.rusageSeconds(children: false) + Self.rusageSeconds(children: true)
            }
        }
        return total
    }

    /// User and system seconds from `getrusage`.
    /// - Parameter children: This process's reaped children rather than the process itself.
    package static func rusageSeconds(children: Bool) -> Double {
        var usage = rusage()
        #if canImport(Glibc)
            let who = children ? RUSAGE_CHILDREN : RUSAGE_SELF
            guard getrusage(__rusage_who_t(who.rawValue), &usage) == 0 else { return 0 }
        #else
            guard getrusage(children ? RUSAGE_CHILDREN : RUSAGE_SELF, &usage) == 0 else { return 0 }
        #endif
        return Double(usage.ru_utime.tv_sec) + Double(usage.ru_utime.tv_usec) / 1e6
            + Double(usage.ru_stime.tv_sec) + Double(usage.ru_stime.tv_usec) / 1e6
    }
}
