import Foundation
import Testing

@testable import CarbonTracker
@testable import CarbonTrackerSources

/// RAPL energy on a machine shared with other work: the tracked scope gets the idle power of the CPUs
/// it holds and its share of the busy CPU time's energy.
@Suite struct SharedNodeTests {
    #if os(Linux)
        /// A package whose counter follows the machine's real load: `idleWatts` plus `joulesPerBusySecond`
        /// for every CPU-second `/proc/stat` counts as busy since it was made. The counter is computed when
        /// it is read (through the RAPL reader's seam), so it never lags the load on a busy machine.
        final class LoadFollowingPackage: Sendable {
            let tree: FakePowercap
            let idleWatts: Double
            let joulesPerBusySecond: Double
            private let origin = MonotonicTime()
            private let startBusy: Double

            init(idleWatts: Double, joulesPerBusySecond: Double) throws {
                tree = try FakePowercap()
                self.idleWatts = idleWatts
                self.joulesPerBusySecond = joulesPerBusySecond
                try tree.zone("intel-rapl:0", name: "package-0", microjoules: 0)
                startBusy = Self.busy()
            }

            /// Joules the package has used so far.
            var joules: Double { idleWatts * origin.now() + joulesPerBusySecond * (Self.busy() - startBusy) }

            /// RAPL reading this tree, its package counter computed at each read.
            func counters() -> RAPLComponent {
                let counter = tree.root + "/intel-rapl:0/energy_uj"
                return RAPLComponent(
                    root: tree.root,
                    reader: SysfsReader { [self] path in
                        path == counter ? .success("\(UInt64(joules * 1e6))\n") : SysfsReader.posix.read(path)
                    })
            }

            private static func busy() -> Double {
                ScopeFiles.system.read("/proc/stat", limit: 1 << 20).flatMap(ProcStat.total) ?? 0
            }
        }

        /// Starts `sh -c command`, outside any cgroup made here.
        private static func start(_ command: String) throws -> Process {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/bin/sh")
            process.arguments = ["-c", command]
            try process.run()
            return process
        }

        /// Whether the machine runs nothing else meanwhile: the package follows the whole machine's load,
        /// so the other suites of a parallel `swift test` would count as idle power and outside work.
        static let machineIsQuiet = ProcessInfo.processInfo.environment["CARBONTRACKER_QUIET_MACHINE"] == "1"

        @Test(
            .enabled(if: RealCgroup.isAvailable, "needs root and a writable cgroup2 mount"),
            .enabled(
                if: machineIsQuiet,
                "needs a machine with no other load; .ci/run runs it alone (CARBONTRACKER_QUIET_MACHINE=1)"))
        func aJobGetsItsShareOfAPackageWhoseEnergyFollowsTheRealLoad() throws {
            let package = try LoadFollowingPackage(idleWatts: 20, joulesPerBusySecond: 10)
            let cgroup = try RealCgroup()
            defer { cgroup.remove() }
            let machine = ScopeResolver(files: .system, environment: [:]).machine()
            var scope = machine
            scope.kind = .cgroup
            scope.label = "cgroup \(cgroup.path)"
            // The job holds the first of the machine's CPUs.
            scope.cpuIDs = Array((machine.cpuIDs ?? [0]).prefix(max(1, machine.cpuCount / 2)))
            scope.cpuCount = scope.cpuIDs!.count
            scope.usage = .cgroupV2(cgroup.directory + "/cpu.stat")
            let rapl = ScopeAttributedComponent(
                wrapping: package.counters(), scope: scope)
            try rapl.start(diagnostics: RecordingDiagnostics())
            let startJoules = package.joules
            let start = ContinuousClock.now
            // Busy work outside the scope, and the same work inside it; both read while they run.
            let outside = try Self.start("head -c 120000000 /dev/urandom > /dev/null")
            let insideDone = Latch()
            Thread {
                try? cgroup.run("head -c 120000000 /dev/urandom > /dev/null")
                insideDone.open()
            }.start()
            var last = 0.0
            while !insideDone.wait(seconds: 0.05) || outside.isRunning {
                guard case .cumulativeJoules(let joules) = try rapl.read()[0] else { break }
                #expect(joules >= last)
                last = joules
            }
            // A quiet stretch, so the idle power shows in the readings.
            for _ in 0..<10 {
                Thread.sleep(forTimeInterval: 0.05)
                _ = try rapl.read()
            }
            guard case .cumulativeJoules(let attributed) = try rapl.read()[0] else {
                Issue.record("a cumulative reading")
                return
            }
            let elapsed = start.duration(to: .now)
            let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
            let packageJoules = package.joules - startJoules
            let scopeCPUSeconds = try #require(ScopeCPUTime(scope: scope).cpuSeconds())
            #expect(scopeCPUSeconds > 0.05, "the inside work ran in the cgroup")
            let heldShare = Double(scope.cpuCount) / Double(machine.cpuCount)
            let expected = 20 * seconds * heldShare + 10 * scopeCPUSeconds
            #expect(
                abs(attributed - expected) < 0.3 * expected,
                "attributed \(attributed) J, expected \(expected) J")
            #expect(
                attributed < packageJoules * 0.9, "the outside work and unheld idle power are not charged")
            let idle = try #require(rapl.idleWattsEstimates.first ?? nil)
            #expect(idle > 10 && idle < 26, "idle estimate \(idle) W")
            let note = try #require(rapl.attributionNote())
            #expect(
                note.hasPrefix(
                    "scope: cgroup \(cgroup.path), \(scope.cpuCount) of \(machine.cpuCount) CPUs, "))
            #expect(note.hasSuffix("% of busy CPU time"))
        }
    #endif
}

#if os(Linux)
    /// Two jobs that share one package, on fake kernel files: their shares add up to the package's energy
    /// when their CPU time is all the package's busy time, and one job holding every CPU gets it whole.
    @Suite struct SharedNodeAccountingTests {
        /// A 4-CPU machine with one package, a counter and two cgroups, all in files the test writes.
        private struct Node {
            let fake: FakeCgroupRoot
            let tree: FakePowercap

            init() throws {
                fake = try FakeCgroupRoot(cpus: "0-3")
                tree = try FakePowercap()
                try tree.zone("intel-rapl:0", name: "package-0", microjoules: 0)
                for cpu in 0..<4 {
                    try fake.write("/sys/devices/system/cpu/cpu\(cpu)/topology/physical_package_id", "0\n")
                }
                try step(joules: 0, busyTicks: [0, 0, 0, 0], jobs: [0, 0])
            }

            /// Writes the counter, each CPU's busy ticks (1/100 s) and each job's CPU time in microseconds.
            func step(joules: Double, busyTicks: [Int], jobs: [Int]) throws {
                try tree.set("intel-rapl:0", UInt64(joules * 1e6))
                let lines = busyTicks.enumerated().map {
                    "cpu\($0.offset) \($0.element) 0 0 1000 0 0 0 0 0 0"
                }
                try fake.write(
                    "/proc/stat", "cpu  0 0 0 0 0 0 0 0 0 0\n" + lines.joined(separator: "\n") + "\n")
                for (index, usage) in jobs.enumerated() {
                    try fake.cgroup2("/job\(index)", usageMicroseconds: usage)
                }
            }

            func job(_ index: Int, cpus: [Int]) -> ScopeAttributedComponent {
                var scope = ScopeResolver(files: fake.files, environment: [:]).machine()
                scope.kind = .slurmJob
                scope.label = "job \(index)"
                scope.cpuIDs = cpus
                scope.cpuCount = cpus.count
                scope.usage = .cgroupV2(fake.root + "/job\(index)/cpu.stat")
                return ScopeAttributedComponent(
                    wrapping: RAPLComponent(root: tree.root), scope: scope, files: fake.files)
            }
        }

        private static func joules(_ component: ScopeAttributedComponent) throws -> Double {
            guard case .cumulativeJoules(let value) = try component.read()[0] else { return .nan }
            return value
        }

        @Test func theJobsOfANodeAddUpToItsEnergyAndAWholeMachineJobGetsItAll() throws {
            let node = try Node()
            let first = node.job(0, cpus: [0, 1])
            let second = node.job(1, cpus: [2, 3])
            // A job holding every CPU whose CPU time is all the busy time (both jobs' work).
            let whole = node.job(2, cpus: [0, 1, 2, 3])
            for component in [first, second, whole] {
                try component.start(diagnostics: RecordingDiagnostics())
            }
            var energy = 0.0
            var ticks = [0, 0, 0, 0]
            var usage = [0, 0, 0]
            // Loads that vary, so the idle power can be fitted: job 0 busy on CPU 0, job 1 on CPUs 2 and 3.
            for (first_, second_) in [(1, 0), (1, 2), (0, 1), (1, 1), (0, 2), (1, 0), (0, 0)] {
                Thread.sleep(forTimeInterval: 0.1)
                ticks[0] += first_ * 10
                ticks[2] += second_ * 5
                ticks[3] += second_ * 5
                usage[0] += first_ * 100_000
                usage[1] += second_ * 100_000
                usage[2] = usage[0] + usage[1]
                energy += 4 + 1.5 * Double(first_ + second_)
                try node.step(joules: energy, busyTicks: ticks, jobs: usage)
                let shares = try Self.joules(first) + Self.joules(second)
                // Each tracker times its intervals on its own clock: the idle parts differ by microseconds.
                #expect(abs(shares - energy) < energy * 0.005, "shares \(shares) J of \(energy) J")
                #expect(abs(try Self.joules(whole) - energy) < 1e-6)
            }
            // The idle power (40 W here: 4 J per 0.1 s) is fitted from the readings; half of it is each job's.
            let idle = try #require(first.idleWattsEstimates.first ?? nil)
            #expect(idle > 25 && idle <= 40.5, "idle estimate \(idle) W")
            #expect(first.attributionNote()?.hasPrefix("scope: job 0, 2 of 4 CPUs, ") == true)
            // The range spans charging all of the job's energy by its busy-time share and all by its CPUs
            // held (half the package here, while its busy share moves between 0 and 1): the two differ.
            let spread = first.errorModel().attributionFactors
            #expect(
                spread.contains(1) && spread.upperBound - spread.lowerBound > 0.05,
                "attribution factors \(spread)")
            #expect(
                first.errorModel().counterUpdatePeriodSeconds
                    == PowerErrorModel.rapl.counterUpdatePeriodSeconds)
        }
    }
#endif
