import Foundation
import Testing

@testable import CarbonTracker
@testable import CarbonTrackerMonitor
@testable import CarbonTrackerSources

/// A GPU that other work shares: NVML lists processes outside the tracked scope on it, and the scope is
/// charged its part by the per-process SM utilisation NVML reports, else the whole GPU with a warning.
/// The scope is this test process's tree; PID 1 (never its descendant) stands for the foreign work.
@Suite(.enabled(if: CCompiler.isAvailable, "no C compiler (cc/clang/gcc) to build the fake libnvidia-ml.so"))
struct NVMLShareTests {
    private static let me = ProcessInfo.processInfo.processIdentifier
    private static let scope = ScopeResolver(files: .system, environment: [:]).processTree(me)

    /// One GPU with an energy counter, running this process and, with `foreign`, PID 1 too.
    private static func settings(foreign: Bool, ourPercent: Int = 30, theirPercent: Int = 90) -> [String:
        String]
    {
        var settings: [String: String] = [
            "count": "1", "d0.name": "NVIDIA A100-SXM4-40GB", "d0.energy_mj": "1000000",
            "d0.power_mw": "100000",
            "d0.compute_pids": foreign ? "\(me),1" : "\(me)",
        ]
        settings["d0.process_sm"] = foreign ? "\(me):\(ourPercent),1:\(theirPercent)" : "\(me):\(ourPercent)"
        return settings
    }

    private static func started(_ fake: FakeNVML, flags: [String] = []) throws -> (
        NVMLComponent, RecordingDiagnostics
    ) {
        let gpu = NVMLComponent(
            libraryPath: fake.library, visibleDevices: nil, devicesByPID: false, processFamily: { [me] },
            scope: scope, shareRefreshSeconds: 0)
        let diagnostics = RecordingDiagnostics()
        try gpu.start(diagnostics: diagnostics)
        return (gpu, diagnostics)
    }

    /// Reads once, moves the counter from 1000 J to `joules`, reads again; returns the second reading.
    private static func chargedAfter(
        _ fake: FakeNVML, _ gpu: NVMLComponent, _ settings: [String: String], joules: Int
    )
        throws -> DeviceReading
    {
        _ = try gpu.read()
        var moved = settings
        moved["d0.energy_mj"] = String(joules * 1000)
        try fake.configure(moved)
        return try gpu.read()[0]
    }

    @Test func aGPUWithOnlyTheScopesProcessesIsChargedWhole() throws {
        let settings = Self.settings(foreign: false)
        let fake = try FakeNVML(settings: settings)
        let (gpu, diagnostics) = try Self.started(fake)
        #expect(try Self.chargedAfter(fake, gpu, settings, joules: 1400) == .cumulativeJoules(1400))
        #expect(diagnostics.messages("warning").isEmpty)
        #expect(gpu.attributionNote() == nil)
        #expect(gpu.provenanceNote() == nil)
        #expect(
            !fake.calls.contains("nvmlDeviceGetProcessUtilization"), "no foreign work, no utilisation query")
    }

    @Test(arguments: [(30, 90), (50, 50), (80, 20)])
    func aForeignProcessSplitsTheEnergyByUtilisation(ours: Int, theirs: Int) throws {
        let settings = Self.settings(foreign: true, ourPercent: ours, theirPercent: theirs)
        let fake = try FakeNVML(settings: settings)
        let (gpu, diagnostics) = try Self.started(fake)
        let share = Double(ours) / Double(ours + theirs)
        let reading = try Self.chargedAfter(fake, gpu, settings, joules: 1400)
        guard case .cumulativeJoules(let charged) = reading else {
            Issue.record("expected a counter reading, got \(reading)")
            return
        }
        #expect(abs(charged - (1000 + 400 * share)) < 1e-9)
        _ = try gpu.read()
        let warnings = diagnostics.messages("warning")
        #expect(warnings.count == 1, "once per GPU, not per read")
        #expect(warnings.first?.contains("NVML lists processes outside process tree of \(Self.me)") == true)
        #expect(warnings.first?.contains("on NVIDIA A100-SXM4-40GB (PID 1)") == true)
        let percent = Int((share * 100).rounded())
        #expect(gpu.attributionNote() == "scope: process tree of \(Self.me), \(percent)% of GPU utilisation")
        #expect(gpu.provenanceNote()?.contains("\(percent)% is charged to it") == true)
    }

    @Test func aSampledGPUIsSplitToo() throws {
        var settings = Self.settings(foreign: true, ourPercent: 25, theirPercent: 75)
        settings["d0.energy_status"] = "3"
        settings["d0.instant_mw"] = "200000"
        let fake = try FakeNVML(settings: settings)
        let (gpu, _) = try Self.started(fake)
        #expect(try gpu.read() == [.watts(50)])
    }

    @Test func whileNobodyUsesTheSMsTheLastShareHolds() throws {
        var settings = Self.settings(foreign: true, ourPercent: 20, theirPercent: 60)
        let fake = try FakeNVML(settings: settings)
        let (gpu, _) = try Self.started(fake)
        _ = try gpu.read()
        settings["d0.process_sm"] = nil  // NVML: "Not Found", no sample since the last query
        settings["d0.energy_mj"] = "1100000"
        try fake.configure(settings)
        #expect(try gpu.read() == [.cumulativeJoules(1025)])
    }

    @Test(arguments: [[], ["-DOMIT_nvmlDeviceGetProcessUtilization"]])
    func unsupportedUtilisationCountsTheGPUWholeWithAWarning(flags: [String]) throws {
        var settings = Self.settings(foreign: true)
        settings["d0.process_sm_status"] = "3"
        let fake = try FakeNVML(flags: flags, settings: settings)
        let (gpu, diagnostics) = try Self.started(fake)
        #expect(try Self.chargedAfter(fake, gpu, settings, joules: 1400) == .cumulativeJoules(1400))
        let warnings = diagnostics.messages("warning")
        #expect(warnings.count == 2)
        let reason = flags.isEmpty ? "Not Supported" : "function not found"
        #expect(
            warnings.contains {
                $0.contains("cannot report per-process utilisation of NVIDIA A100-SXM4-40GB (\(reason)")
                    && $0.contains("whole energy is counted for process tree of \(Self.me)")
            })
        #expect(gpu.attributionNote() == nil)
    }

    @Test func theWholeMachineScopeNeverSplits() throws {
        let fake = try FakeNVML(settings: Self.settings(foreign: true))
        let gpu = NVMLComponent(
            libraryPath: fake.library, visibleDevices: nil, devicesByPID: false, processFamily: { [] },
            scope: ScopeResolver(files: .system, environment: [:]).machine(), shareRefreshSeconds: 0)
        let diagnostics = RecordingDiagnostics()
        try gpu.start(diagnostics: diagnostics)
        _ = try gpu.read()
        #expect(diagnostics.messages("warning").isEmpty)
        #expect(!fake.calls.contains { $0.hasPrefix("nvmlDeviceGetComputeRunningProcesses") })
    }

    @Test func processesInAPIDNamespaceOfTheirOwnCannotBeMatched() {
        #expect(WorkScope.sharesHostPIDNamespace(statusText: "Name:\tpython\nNSpid:\t4711\n"))
        #expect(!WorkScope.sharesHostPIDNamespace(statusText: "Name:\tpython\nNSpid:\t91234\t7\n"))
        #expect(WorkScope.sharesHostPIDNamespace(statusText: "Name:\tpython\n"))
    }

    @Test func aCgroupScopesProcessesIncludeItsChildCgroups() throws {
        let tree = try TemporaryDirectory()
        let job = tree.file("job_4242")
        try FileManager.default.createDirectory(
            atPath: job + "/step_0/user/task_0", withIntermediateDirectories: true)
        try "".write(toFile: job + "/cgroup.procs", atomically: true, encoding: .utf8)
        try "4711\n".write(toFile: job + "/step_0/cgroup.procs", atomically: true, encoding: .utf8)
        try "4720\n4721\n".write(
            toFile: job + "/step_0/user/task_0/cgroup.procs", atomically: true, encoding: .utf8)
        var scope = Self.scope
        scope.usage = .cgroupV2(job + "/cpu.stat")
        #expect(scope.processIDs() == [4711, 4720, 4721])
        scope.usage = .cgroupV2(tree.file("gone") + "/cpu.stat")
        #expect(scope.processIDs() == nil)
    }

    @Test(.enabled(if: RealCgroup.isAvailable, "needs root and a writable cgroup2 mount"))
    func aRealCgroupsProcessesAreItsScopesProcesses() throws {
        let cgroup = try RealCgroup()
        defer { cgroup.remove() }
        let child = cgroup.directory + "/task_0"
        #expect(mkdir(child, 0o755) == 0)
        defer { rmdir(child) }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", "echo $$ > '\(child)/cgroup.procs' && exec sleep 30"]
        try process.run()
        defer {
            // SIGKILL: the test process may block SIGTERM, and its children inherit the mask.
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
        var scope = Self.scope
        scope.usage = .cgroupV2(cgroup.directory + "/cpu.stat")
        let deadline = Date().addingTimeInterval(5)
        while scope.processIDs()?.contains(process.processIdentifier) != true && Date() < deadline {
            pause(0.01)
        }
        #expect(scope.processIDs() == [process.processIdentifier], "the task cgroup's process, not ours")
    }

    @Test func theTrackerLogsTheShareOnTheGPULineAndWarnsInTheErrorLog() async throws {
        try await IntensityTesting.blocking {
            // A counter that advances at 400 W, so the epoch's boundaries fall anywhere between samples.
            var settings = Self.settings(foreign: true, ourPercent: 30, theirPercent: 90)
            settings["d0.energy_mj"] = "0"
            settings["d0.energy_rate_mw"] = "400000"
            let fake = try FakeNVML(settings: settings)
            let logs = try TemporaryDirectory()
            var environment = TestTracker.isolatedEnvironment(logs)
            environment["CARBONTRACKER_NVML_LIBRARY"] = fake.library
            environment["CARBONTRACKER_SCOPE"] = "process"
            let tracker = try TestTracker.make(
                in: logs, components: "gpu", environment: environment, epochs: 1)
            TestTracker.waitForComponents(tracker)
            try tracker.epochStart()
            pause(0.3)
            try tracker.epochEnd()
            try tracker.stop()
            let epoch = try #require(tracker.epochMeasurements.first)
            let joules = try #require(TestTracker.joules(epoch, .gpu)?.first)
            let expected = 100 * epoch.durationSeconds
            #expect(abs(joules - expected) < 0.05 * expected, "a quarter of the GPU's 400 W over the epoch")
            let files = try #require(tracker.logFiles)
            let standard = HardwareFiles.read(files.standard)
            #expect(
                standard.contains(
                    "[method: counter, scope: process tree of \(Self.me), 25% of GPU utilisation]"))
            #expect(standard.contains("NVML lists processes outside process tree of \(Self.me)"))
            #expect(HardwareFiles.read(files.error).contains("NVML lists processes outside"))
            #expect(HardwareFiles.read(files.output).contains("25% is charged to it"))
            let gpuLog = LogParser.ComponentLog.all(from: LogParser.parseStandardLog(standard)).first
            #expect(gpuLog?.measurementMethod == .counter)
            #expect(
                gpuLog?.measuredEnergyJoules?.first?.first.map { abs($0 - joules) < 1e-3 * joules } == true)
            try Self.expectPythonReads((files.standard as NSString).deletingLastPathComponent)
        }
    }

    /// Python carbontracker 2.4.7's parser reads the log with the share tag, where `CARBONTRACKER_PYTHON`
    /// names a Python that has it.
    private static func expectPythonReads(_ directory: String) throws {
        guard let python = ProcessInfo.processInfo.environment["CARBONTRACKER_PYTHON"] else { return }
        let script = """
            import sys
            from carbontracker import parser
            logs = parser.parse_all_logs(sys.argv[1])
            print(sorted(logs[0]["components"].keys()), logs[0]["components"]["gpu"]["avg_power_usages (W)"])
            """
        let result = try TestProcess.run(python, ["-c", script, directory])
        #expect(result.status == 0, "Python parser failed: \(result.error)")
        #expect(result.output.hasPrefix("['gpu']"))
    }
}
