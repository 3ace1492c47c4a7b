import Foundation
import Testing

@testable import CarbonTracker
@testable import CarbonTrackerSources

/// The sensorless CPU model: which per-vCPU figures it picks, and that its energy follows the scope's
/// CPU time and held CPUs.
@Suite struct CPUPowerModelTests {
    @Test func aFamilyNameIsNotMatchedToOnePartAndGetsThePerVCPUDefault() {
        for name in ["AMD EPYC", "Intel Xeon", "Intel(R) Xeon(R) CPU @ 2.20GHz", "Unknown CPU"] {
            let model = CPUPowerModel.forCPU(named: name, cpuinfo: "flags : fpu hypervisor\n")
            #expect(model.isDefault, "\(name)")
            #expect(model.idleWattsPerCPU == 0.74 && model.maximumWattsPerCPU == 3.5)
            #expect(model.basis.contains("does not name one part") && model.basis.contains("SPECpower"))
        }
    }

    @Test func anExactPartIsItsSocketTDPOverItsHardwareThreads() {
        // Bare metal: siblings are the socket's threads.
        let bare = CPUPowerModel.forCPU(
            named: "Intel(R) Xeon(R) Platinum 8375C CPU @ 2.90GHz",
            cpuinfo: "model name : x\nsiblings : 64\ncpu cores : 32\nflags : fpu sse\n")
        #expect(!bare.isDefault && abs(bare.maximumWattsPerCPU - 300.0 / 64) < 1e-12)
        #expect(abs(bare.idleWattsPerCPU - 300.0 / 64 * 0.74 / 3.5) < 1e-12)
        // In a guest the name's core count tells the part's threads; the guest's siblings do not.
        let guest = CPUPowerModel.forCPU(
            named: "AMD EPYC 7763 64-Core Processor",
            cpuinfo: "siblings : 2\ncpu cores : 1\nflags : hypervisor\n")
        #expect(abs(guest.maximumWattsPerCPU - 280.0 / 128) < 1e-12)
        #expect(guest.basis.contains("AMD EPYC 7763") && guest.basis.contains("128 hardware threads"))
        // A known part in a guest without a core count falls back to the default.
        let hidden = CPUPowerModel.forCPU(
            named: "Intel(R) Xeon(R) Platinum 8375C CPU @ 2.90GHz",
            cpuinfo: "siblings : 2\nflags : hypervisor\n")
        #expect(hidden.isDefault)
    }

    #if os(Linux)
        @Test func energyIsIdleTimesHeldCPUsPlusTheDynamicPartOfTheCPUTimeUsed() throws {
            let fake = try FakeCgroupRoot(cpus: "0-63")
            try fake.cgroup2("/job", usageMicroseconds: 5_000_000)
            try fake.write("/cpuinfo", "model name\t: AMD EPYC\nflags\t\t: fpu hypervisor\n")
            var scope = ScopeResolver(files: fake.files, environment: [:]).machine()
            scope.kind = .slurmJob
            scope.label = "job 1"
            scope.cpuCount = 8
            scope.usage = .cgroupV2(fake.root + "/job/cpu.stat")
            let cpu = CPUPowerModelComponent(
                scope: scope, cpuinfoPath: fake.root + "/cpuinfo", files: fake.files, fallbackFor: [])
            let diagnostics = RecordingDiagnostics()
            try cpu.start(diagnostics: diagnostics)
            #expect(
                diagnostics.messages("info").contains {
                    $0.contains("8 CPUs held by job 1") && $0.contains("SPECpower")
                })
            #expect(cpu.provenanceNote()?.contains("CARBONTRACKER_CPU_ESTIMATE=python") == true)
            let start = ContinuousClock.now
            var previous = 0.0
            var dynamic: [Double] = []
            // 0.1 s of CPU time, then 0.2 s: twice the work, twice the dynamic energy.
            for usage in [5_100_000, 5_300_000] {
                Thread.sleep(forTimeInterval: 0.1)
                try fake.cgroup2("/job", usageMicroseconds: usage)
                guard case .cumulativeJoules(let joules) = try cpu.read()[0] else {
                    Issue.record("a cumulative reading")
                    return
                }
                let elapsed = start.duration(to: .now)
                let seconds =
                    Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
                // The idle part is 0.74 W × 8 CPUs over the elapsed time (the component's clock began a moment earlier).
                dynamic.append(joules - previous)
                #expect(joules <= 0.74 * 8 * (seconds + 0.05) + 2.76 * Double(usage - 5_000_000) / 1e6)
                #expect(joules >= 0.74 * 8 * (seconds - 0.05) + 2.76 * Double(usage - 5_000_000) / 1e6)
                previous = joules
            }
            // Each step adds ≈ 0.74 × 8 × 0.1 s of idle energy plus 2.76 J per CPU-second.
            #expect(abs((dynamic[1] - dynamic[0]) - 2.76 * 0.1) < 0.74 * 8 * 0.05)
        }
    #endif

    #if os(Linux)
        @Test(.enabled(if: RealCgroup.isAvailable, "needs root and a writable cgroup2 mount"))
        func realWorkInARealCgroupIsChargedInProportion() throws {
            var dynamicJoules: [Double] = []
            for megabytes in [60, 120] {
                let cgroup = try RealCgroup()
                defer { cgroup.remove() }
                var scope = ScopeResolver(files: .system, environment: [:]).machine()
                scope.kind = .cgroup
                scope.label = "cgroup \(cgroup.path)"
                scope.cpuCount = 1
                scope.usage = .cgroupV2(cgroup.directory + "/cpu.stat")
                let cpu = CPUPowerModelComponent(
                    scope: scope, cpuinfoPath: nil, files: .system, fallbackFor: [])
                try cpu.start(diagnostics: RecordingDiagnostics())
                let start = ContinuousClock.now
                try cgroup.run("head -c \(megabytes)000000 /dev/urandom > /dev/null")
                guard case .cumulativeJoules(let joules) = try cpu.read()[0] else { return }
                let elapsed = start.duration(to: .now)
                let seconds =
                    Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
                let usage = try #require(ScopeCPUTime(scope: scope).cpuSeconds())
                #expect(usage > 0.02, "the work ran inside the cgroup")
                dynamicJoules.append(joules - cpu.model.idleWattsPerCPU * seconds)
            }
            let ratio = dynamicJoules[1] / dynamicJoules[0]
            #expect(ratio > 1.5 && ratio < 2.7, "twice the work: \(dynamicJoules)")
        }
    #endif
}

/// A cgroup made for one test under the real cgroup2 mount (found in `/proc/self/mountinfo`).
struct RealCgroup {
    /// Its path inside the hierarchy and its directory.
    let path: String
    let directory: String

    static var mount: String? {
        CgroupHierarchy(files: .system).unified?.mountPoint
    }

    /// Root, a cgroup2 mount, and a cgroup can be made under it.
    static let isAvailable: Bool = {
        guard getuid() == 0, let mount else { return false }
        let probe = mount + "/ct-probe-\(getpid())"
        guard mkdir(probe, 0o755) == 0 else { return false }
        rmdir(probe)
        return true
    }()

    init() throws {
        let mount = try #require(Self.mount)
        path = "/ct-test-\(getpid())-\(UUID().uuidString.prefix(8))"
        directory = mount + path
        guard mkdir(directory, 0o755) == 0 else { throw POSIXError(.EACCES) }
    }

    /// Runs `command` with `sh`, which first moves itself into the cgroup, and waits for it.
    func run(_ command: String) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", "echo $$ > '\(directory)/cgroup.procs' && exec sh -c '\(command)'"]
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw POSIXError(.EIO) }
    }

    /// Removes the cgroup (its processes have exited).
    func remove() {
        for _ in 0..<50 {
            if rmdir(directory) == 0 { return }
            usleep(10_000)
        }
    }
}
