import Foundation
import Testing

@testable import CarbonTracker
@testable import CarbonTrackerSources

/// RAPL energy on a machine shared with other work: the tracked scope gets the idle power of the CPUs
/// it holds and its share of the busy CPU time's energy.
@Suite struct SharedNodeTests {
    #if os(Linux)
        /// A package whose counter follows the machine's real load: `idleWatts` plus `joulesPerBusySecond`
        /// for every CPU-second `/proc/stat` counts as busy, updated every 10 ms on a thread of its own.
        final class LoadFollowingPackage: @unchecked Sendable {
            let tree: FakePowercap
            let idleWatts: Double
            let joulesPerBusySecond: Double
            private let stopped = Latch()
            private let ended = Latch()
            private let total = LockedBox(0.0)

            init(idleWatts: Double, joulesPerBusySecond: Double) throws {
                tree = try FakePowercap()
                self.idleWatts = idleWatts
                self.joulesPerBusySecond = joulesPerBusySecond
                try tree.zone("intel-rapl:0", name: "package-0", microjoules: 0)
                Thread { [self] in run() }.start()
            }

            /// Joules the package has used so far.
            var joules: Double { total.withLock { $0 } }

            private func busy() -> Double {
                ScopeFiles.system.read("/proc/stat", limit: 1 << 20).flatMap(ProcStat.total) ?? 0
            }

            private func run() {
                var lastBusy = busy()
                var lastTime = ContinuousClock.now
                while !stopped.wait(seconds: 0.01) {
                    let now = ContinuousClock.now
                    let elapsed = lastTime.duration(to: now)
                    let seconds =
                        Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
                    let busyNow = busy()
                    let joules = total.withLock { total -> Double in
                        total += idleWatts * seconds + joulesPerBusySecond * max(0, busyNow - lastBusy)
                        return total
                    }
                    try? tree.set("intel-rapl:0", UInt64(joules * 1e6))
                    lastBusy = busyNow
                    lastTime = now
                }
                ended.open()
            }

            func stop() {
                stopped.open()
                _ = ended.wait(seconds: 5)
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

        @Test(.enabled(if: RealCgroup.isAvailable, "needs root and a writable cgroup2 mount"))
        func aJobGetsItsShareOfAPackageWhoseEnergyFollowsTheRealLoad() throws {
            let package = try LoadFollowingPackage(idleWatts: 20, joulesPerBusySecond: 10)
            defer { package.stop() }
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
                wrapping: RAPLComponent(root: package.tree.root), scope: scope)
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
