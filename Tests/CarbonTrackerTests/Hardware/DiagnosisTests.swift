import Foundation
import Testing

@testable import CarbonTracker
@testable import CarbonTrackerMonitor
@testable import CarbonTrackerSources

/// `carbontracker --diagnose` in the library, against the fakes for each branch: every source's
/// verdict with its reason and fix, both NVML methods compared, the Grace module scope, powermetrics,
/// and carbon intensity with and without the network.
@Suite struct DiagnosisTests {
    /// An environment with no sensor at all (no powercap, no NVML, no powermetrics), offline.
    private static func bare(_ directory: TemporaryDirectory, _ extra: [String: String] = [:]) -> [String:
        String]
    {
        TestTracker.isolatedEnvironment(directory).merging(
            ["CARBONTRACKER_OFFLINE": "1"].merging(extra) { $1 }
        ) { $1 }
    }

    /// Runs a diagnosis on a thread of its own: it blocks for its measurement window.
    private static func run(_ options: Diagnosis.Options) async throws -> Diagnosis {
        try await IntensityTesting.blocking { try Diagnosis.run(options) }
    }

    /// A GPU-only diagnosis of a fake NVML scripted with `settings`.
    private static func diagnoseGPU(_ settings: [String: String], seconds: Double) async throws -> Diagnosis {
        let fake = try FakeNVML(settings: settings)
        let directory = try TemporaryDirectory()
        let diagnosis = try await run(
            .init(
                environment: bare(directory, ["CARBONTRACKER_NVML_LIBRARY": fake.library]), components: "gpu",
                measurementSeconds: seconds))
        withExtendedLifetime(fake) {}
        return diagnosis
    }

    private func source(_ diagnosis: Diagnosis, _ kind: ComponentKind, _ name: String) throws
        -> Diagnosis.Source
    {
        try #require(diagnosis.sources.first { $0.kind == kind && $0.name == name })
    }

    @Test func withoutSensorsItSaysWhyTheCPUIsEstimatedAndWhatToDo() async throws {
        let directory = try TemporaryDirectory()
        let diagnosis = try await Self.run(
            .init(
                environment: Self.bare(directory, ["CARBONTRACKER_CPU_ESTIMATE": "python"]),
                measurementSeconds: 0.05))
        #expect(diagnosis.outcomes == [.gpu: .missing, .cpu: .estimated])
        #expect(diagnosis.exitStatus == 1)
        let rapl = try source(diagnosis, .cpu, "RAPL")
        #expect(rapl.verdict == .unavailable)
        #expect(rapl.reason?.contains("cannot be listed") == true)
        #expect(rapl.fix?.contains("CARBONTRACKER_RAPL_DIR") == true)
        let nvml = try source(diagnosis, .gpu, "NVML")
        #expect(nvml.fix?.contains("export CARBONTRACKER_NVML_LIBRARY=") == true)
        let estimate = try source(diagnosis, .cpu, "TDP estimate")
        #expect(
            estimate.verdict == .used && estimate.method == .estimated && estimate.devices == ["AMD EPYC"])
        #expect(estimate.notes.contains { $0.hasPrefix("CPU power is estimated, not measured") })
        let reading = try #require(diagnosis.readings.first)
        #expect(
            diagnosis.readings.count == 1 && reading.device == "AMD EPYC" && reading.method == "estimated")
        #expect(abs((reading.watts ?? 0) - 60) < 1e-9)
        #expect(diagnosis.intensity.contains("no network call was made (CARBONTRACKER_OFFLINE=1)"))
        #expect(diagnosis.text.contains("GPU is missing, CPU is estimated (exit status 1)."))
        #expect(diagnosis.text.contains("Distributed role\n  single process (no launcher detected)"))
    }

    @Test func aReadableRAPLTreeIsACounterAndTheCPUIsMeasured() async throws {
        let tree = try FakePowercap.server()
        let directory = try TemporaryDirectory()
        let diagnosis = try await Self.run(
            .init(
                environment: Self.bare(directory, ["CARBONTRACKER_RAPL_DIR": tree.root]), components: "cpu",
                measurementSeconds: 0.05))
        #expect(diagnosis.outcomes == [.cpu: .measured])
        #expect(diagnosis.exitStatus == 0)
        let rapl = try source(diagnosis, .cpu, "RAPL")
        #expect(rapl.verdict == .used && rapl.method == .counter)
        #expect(rapl.devices == ["cpu:0", "dram:0", "cpu:1", "dram:1"])
        #expect(try source(diagnosis, .cpu, "CPU power model").verdict == .notTried)
        #expect(diagnosis.readings.map(\.method) == ["counter", "counter", "counter", "counter"])
        #expect(diagnosis.text.contains("Every requested component is measured (exit status 0)."))
    }

    @Test func unreadableRAPLCountersComeWithTheChmodAndTheUdevRule() async throws {
        let tree = try FakePowercap.server()
        let denying = DenyingReader()
        denying.deny(tree.root + "/intel-rapl:0/energy_uj")
        let directory = try TemporaryDirectory()
        var options = Diagnosis.Options(
            environment: Self.bare(directory), components: "cpu", measurementSeconds: 0.05)
        options.candidates = { _, context in
            [RAPLComponent(root: tree.root, reader: denying.reader)]
                + HardwareComponents.candidates(for: .cpu, context: context).filter { !($0 is RAPLComponent) }
        }
        let diagnosis = try await Self.run(options)
        let rapl = try source(diagnosis, .cpu, "RAPL")
        #expect(rapl.verdict == .unavailable)
        #expect(rapl.fix?.hasPrefix("sudo chmod +r \(tree.root)/intel-rapl:0/energy_uj") == true)
        #expect(rapl.fix?.contains(#"KERNEL=="intel-rapl:*", RUN+="/bin/chmod a+r %S%p/energy_uj""#) == true)
        #expect(diagnosis.outcomes[.cpu] == .estimated)
    }

    @Test(.enabled(if: CCompiler.isAvailable, "no C compiler to build the fake libnvidia-ml.so"))
    func nvmlIsMeasuredWithBothMethodsAndTheirRatio() async throws {
        let diagnosis = try await Self.diagnoseGPU(
            [
                "count": "1", "d0.name": "NVIDIA H100 80GB HBM3", "d0.energy_mj": "1000000",
                "d0.energy_rate_mw": "200000",
                "d0.instant_mw": "200000", "d0.power_mw": "190000",
            ], seconds: 0.3)
        #expect(diagnosis.exitStatus == 0)
        let nvml = try source(diagnosis, .gpu, "NVML")
        #expect(nvml.verdict == .used && nvml.method == .counter && nvml.devices == ["NVIDIA H100 80GB HBM3"])
        #expect(
            nvml.notes.contains("NVML measures NVIDIA H100 80GB HBM3 by its energy counter at GPU scope."))
        let methods = diagnosis.readings.map(\.method)
        #expect(methods == ["counter", "instantaneous power (NVML_FI_DEV_POWER_INSTANT)"])
        let agreement = try #require(diagnosis.agreements.first)
        // The fake counter advances at exactly 200 W; the instantaneous field says 200 W.
        #expect(abs(agreement.counterWatts - 200) < 4, "counter \(agreement.counterWatts) W")
        #expect(abs((agreement.ratio ?? 0) - 1) < 0.02)
        #expect(!agreement.disagrees)
        #expect(!diagnosis.text.contains("WARNING"))
    }

    @Test(.enabled(if: CCompiler.isAvailable, "no C compiler to build the fake libnvidia-ml.so"))
    func methodsThatDisagreeByMoreThanTenPercentAreFlagged() async throws {
        let diagnosis = try await Self.diagnoseGPU(
            [
                "count": "1", "d0.name": "NVIDIA A100-SXM4-40GB", "d0.energy_rate_mw": "100000",
                "d0.power_mw": "150000",
            ], seconds: 0.3)
        let agreement = try #require(diagnosis.agreements.first)
        #expect(agreement.sampledMethod == "averaged power (nvmlDeviceGetPowerUsage)")
        #expect(abs((agreement.ratio ?? 0) - 1.5) < 0.05)
        #expect(agreement.disagrees)
        #expect(
            diagnosis.text.contains(
                "WARNING: on NVIDIA A100-SXM4-40GB averaged power (nvmlDeviceGetPowerUsage) and the energy counter disagree by"
            ))
    }

    @Test(.enabled(if: CCompiler.isAvailable, "no C compiler to build the fake libnvidia-ml.so"))
    func aStillCounterCannotBeComparedAndSaysSo() async throws {
        let diagnosis = try await Self.diagnoseGPU(
            ["count": "1", "d0.name": "NVIDIA A10", "d0.instant_mw": "50000"], seconds: 0.1)
        #expect(diagnosis.agreements.first?.ratio == nil)
        #expect(diagnosis.text.contains("the energy counter did not advance"))
    }

    @Test(.enabled(if: CCompiler.isAvailable, "no C compiler to build the fake libnvidia-ml.so"))
    func onAGraceHopperTheCPUIsCoveredByTheModuleAndMeasured() async throws {
        let fake = try FakeNVML(settings: [
            "count": "1", "d0.name": "NVIDIA GH200 480GB", "d0.c2c": "1", "d0.energy_rate_mw": "500000",
            "d0.module_instant_mw": "500000",
        ])
        let directory = try TemporaryDirectory()
        let diagnosis = try await Self.run(
            .init(
                environment: Self.bare(directory, ["CARBONTRACKER_NVML_LIBRARY": fake.library]),
                measurementSeconds: 0.1))
        #expect(diagnosis.outcomes == [.gpu: .measured, .cpu: .measured])
        #expect(diagnosis.exitStatus == 0)
        let covered = try source(diagnosis, .cpu, "NVML module")
        #expect(covered.verdict == .used && covered.devices == ["AMD EPYC (in the GPU module figure)"])
        #expect(covered.notes.contains { $0.contains("CPU energy is counted in the GPU figures") })
        #expect(try source(diagnosis, .cpu, "CPU power model").verdict == .notTried)
        #expect(try source(diagnosis, .gpu, "NVML").notes.contains { $0.contains("at module scope") })
    }

    @Test(.enabled(if: CCompiler.isAvailable, "no C compiler to build the fake powermetrics"))
    func powermetricsServesBothComponentsWhenItRuns() async throws {
        let fake = try FakePowermetrics()
        let directory = try TemporaryDirectory()
        let environment = Self.bare(
            directory,
            fake.environment([
                "CARBONTRACKER_POWERMETRICS": fake.executable, "CARBONTRACKER_POWERMETRICS_INTERVAL_MS": "20",
            ]))
        let diagnosis = try await Self.run(.init(environment: environment, measurementSeconds: 0.3))
        #expect(diagnosis.outcomes == [.gpu: .measured, .cpu: .measured])
        #expect(try source(diagnosis, .gpu, "powermetrics").method == .sampled)
        #expect(try source(diagnosis, .cpu, "powermetrics").devices == ["CPU"])
        #expect(diagnosis.readings.contains { $0.device == "CPU" && $0.watts != nil })
    }

    @Test(.enabled(if: CCompiler.isAvailable, "no C compiler to build the fake powermetrics"))
    func aSudoThatRefusesPowermetricsComesWithTheSudoersLine() async throws {
        let fake = try FakePowermetrics()
        let sudo = try fake.fakeSudo()
        let launch = PowermetricsLaunch(
            executable: fake.executable, viaSudo: true, sudo: sudo, intervalMilliseconds: 20,
            environment: fake.environment(["FAKE_SUDO_REFUSE": "1", "USER": "alice"]))
        let cpu = AppleSiliconComponent(kind: .cpu, session: PowermetricsSession(launch: launch))
        let directory = try TemporaryDirectory()
        var options = Diagnosis.Options(
            environment: Self.bare(directory, ["USER": "alice"]), components: "cpu", measurementSeconds: 0)
        options.candidates = { _, _ in [cpu] }
        let diagnosis = try await Self.run(options)
        let source = try source(diagnosis, .cpu, "powermetrics")
        #expect(source.verdict == .unavailable)
        #expect(
            source.fix
                == "sudo visudo -f /etc/sudoers.d/powermetrics   and add the line: alice ALL = (root) NOPASSWD: \(fake.executable)"
        )
        #expect(diagnosis.outcomes[.cpu] == .missing)
    }

    @Test(.enabled(if: Libcurl.isAvailable, Libcurl.missing))
    func onlineItLocatesTheMachineAndAsksTheProvider() async throws {
        let server = try LoopbackHTTPServer(route: IntensityPayloads.londonByIP)
        defer { server.stop() }
        let directory = try TemporaryDirectory()
        var environment = TestTracker.isolatedEnvironment(directory).merging(
            IntensityTesting.environment(server)
        ) { $1 }
        environment["CARBONTRACKER_OFFLINE"] = nil
        let diagnosis = try await Self.run(
            .init(environment: environment, components: "cpu", measurementSeconds: 0))
        #expect(
            diagnosis.intensity.contains {
                $0.hasPrefix("location: London, England, GB (IP lookup at 127.0.0.1:")
            })
        #expect(
            diagnosis.intensity.contains(
                "a tracker would log: Using intensity provider: Carbon Intensity API ('carbonintensityGB')."))
        #expect(diagnosis.intensity.contains("live value now: 141.00 gCO2eq/kWh from Carbon Intensity API"))
    }

    @Test func offlineItMakesNoNetworkCall() async throws {
        let server = try LoopbackHTTPServer(route: IntensityPayloads.londonByIP)
        defer { server.stop() }
        let directory = try TemporaryDirectory()
        let environment = TestTracker.isolatedEnvironment(directory).merging(
            IntensityTesting.environment(server)
        ) { $1 }
        .merging(["CARBONTRACKER_OFFLINE": "1", "CARBONTRACKER_COUNTRY": "DK"]) { $1 }
        let diagnosis = try await Self.run(
            .init(environment: environment, components: "cpu", measurementSeconds: 0))
        #expect(diagnosis.intensity.first == "location: DK (from TrackerOptions or CARBONTRACKER_COUNTRY)")
        #expect(
            diagnosis.intensity.contains {
                $0.contains("Energi Data Service") || $0.contains("CARBONTRACKER_OFFLINE=1")
            })
        #expect(server.connectionCount == 0)
    }

    @Test func aRankOfASlurmJobSaysWhatItMeasures() async throws {
        let directory = try TemporaryDirectory()
        let environment = Self.bare(
            directory,
            [
                "SLURM_JOB_ID": "4711", "SLURM_STEP_ID": "0", "SLURM_PROCID": "3", "SLURM_LOCALID": "1",
                "SLURM_NODEID": "1", "SLURMD_NODENAME": "node2", "SLURM_NTASKS": "4",
                "SLURM_JOB_NUM_NODES": "2", "SLURM_STEP_TASKS_PER_NODE": "2(x2)",
            ])
        let diagnosis = try await Self.run(
            .init(environment: environment, components: "cpu", measurementSeconds: 0))
        #expect(
            diagnosis.distributedRole?.hasPrefix("rank 3 of 4 (local rank 1 of 2) on node node2, job 4711")
                == true)
        #expect(diagnosis.text.contains("Distributed role\n  rank 3 of 4"))
    }

    @Test func badOptionsAreRefused() {
        #expect(throws: CarbonTrackerError.self) {
            try Diagnosis.run(.init(environment: [:], components: "tpu", measurementSeconds: 0))
        }
        #expect(throws: CarbonTrackerError.self) {
            try Diagnosis.run(.init(environment: [:], components: "cpu", measurementSeconds: -1))
        }
    }

    @Test func numbersAreFormattedWithoutFoundation() {
        #expect(Diagnosis.number(212.449, digits: 2) == "212.45")
        #expect(Diagnosis.number(0.05, digits: 1) == "0.1")
        #expect(Diagnosis.number(-1.5, digits: 1) == "-1.5")
        #expect(Diagnosis.number(7, digits: 0) == "7")
        #expect(Diagnosis.number(1.0004, digits: 3) == "1.000")
    }
}
