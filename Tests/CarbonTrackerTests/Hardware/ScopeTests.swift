import Foundation
import Testing

@testable import CarbonTracker
@testable import CarbonTrackerSources

// Fake Linux kernel files (procfs, sysfs, cgroup trees): the scope exists only on Linux.
#if os(Linux)

    /// A fake `/` with `/proc/self/mountinfo`, `/proc/self/cgroup`, cgroup directories and the online CPUs.
    struct FakeCgroupRoot {
        let root: String

        init(cpus: String = "0-63") throws {
            root = NSTemporaryDirectory() + "ct-scope-\(UUID().uuidString)"
            try write("/sys/devices/system/cpu/online", cpus + "\n")
        }

        var files: ScopeFiles { ScopeFiles(root: root) }

        func write(_ path: String, _ text: String) throws {
            let full = root + path
            try FileManager.default.createDirectory(
                atPath: (full as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            try text.write(toFile: full, atomically: true, encoding: .utf8)
        }

        /// A cgroup2 directory with `cpu.stat` (and `cpuset.cpus.effective` when given).
        func cgroup2(_ directory: String, usageMicroseconds: Int = 0, cpus: String? = nil) throws {
            try write(
                directory + "/cpu.stat", "usage_usec \(usageMicroseconds)\nuser_usec 0\nsystem_usec 0\n")
            if let cpus { try write(directory + "/cpuset.cpus.effective", cpus + "\n") }
        }

        /// A v1 cpuacct directory.
        func cpuacct(_ directory: String, nanoseconds: Int = 0) throws {
            try write(directory + "/cpuacct.usage", "\(nanoseconds)\n")
        }

        func resolve(_ environment: [String: String] = [:]) throws -> WorkScope {
            try ScopeResolver(files: files, environment: environment).resolve()
        }

        static let unifiedMount = "30 23 0:26 / /sys/fs/cgroup rw,nosuid - cgroup2 cgroup2 rw,nsdelegate\n"
        static let legacyMounts = """
            31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755
            32 31 0:29 / /sys/fs/cgroup/cpu,cpuacct rw,relatime - cgroup cgroup rw,cpu,cpuacct
            34 31 0:31 / /sys/fs/cgroup/cpuset rw,relatime - cgroup cgroup rw,cpuset
            41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw

            """
    }

    @Suite struct ScopeResolverTests {
        @Test func slurmsCgroup2LayoutIsTheJobWithItsCPUs() throws {
            let fake = try FakeCgroupRoot()
            try fake.write("/proc/self/mountinfo", FakeCgroupRoot.unifiedMount)
            let job = "/system.slice/slurmstepd.scope/job_4242"
            try fake.write("/proc/self/cgroup", "0::\(job)/step_0/user/task_1\n")
            try fake.cgroup2("/sys/fs/cgroup" + job, cpus: "8-15")
            try fake.cgroup2("/sys/fs/cgroup" + job + "/step_0/user/task_1", cpus: "8-15")
            let scope = try fake.resolve()
            #expect(scope.kind == .slurmJob && scope.label == "job 4242")
            #expect(scope.cpuCount == 8 && scope.machineCPUCount == 64 && scope.cpuIDs == Array(8...15))
            #expect(scope.cpuSource == "cpuset.cpus.effective")
            #expect(scope.cgroupDirectory == fake.root + "/sys/fs/cgroup" + job)
            #expect(scope.shareDescription == "scope: job 4242, 8 of 64 CPUs")
        }

        @Test func slurmsV1LayoutIsTheJobWithTheCpusetOfTheJob() throws {
            let fake = try FakeCgroupRoot()
            try fake.write("/proc/self/mountinfo", FakeCgroupRoot.legacyMounts)
            let job = "/slurm/uid_1000/job_77"
            try fake.write(
                "/proc/self/cgroup",
                "10:cpuset:\(job)/step_batch\n4:cpu,cpuacct:\(job)/step_batch/task_0\n0::/user.slice\n")
            try fake.cpuacct("/sys/fs/cgroup/cpu,cpuacct" + job)
            try fake.cpuacct("/sys/fs/cgroup/cpu,cpuacct" + job + "/step_batch/task_0")
            try fake.write("/sys/fs/cgroup/cpuset" + job + "/cpuset.effective_cpus", "0-3,32-35\n")
            let scope = try fake.resolve()
            #expect(scope.kind == .slurmJob && scope.label == "job 77")
            #expect(scope.cpuIDs == [0, 1, 2, 3, 32, 33, 34, 35] && scope.cpuCount == 8)
            #expect(
                scope.usage == .cgroupV1(fake.root + "/sys/fs/cgroup/cpu,cpuacct" + job + "/cpuacct.usage"))
        }

        @Test func withoutACpusetSlurmsCountIsUsed() throws {
            let fake = try FakeCgroupRoot()
            try fake.write("/proc/self/mountinfo", FakeCgroupRoot.unifiedMount)
            try fake.write("/proc/self/cgroup", "0::/slurmstepd.scope/job_9/step_0\n")
            try fake.cgroup2("/sys/fs/cgroup/slurmstepd.scope/job_9")
            try fake.cgroup2("/sys/fs/cgroup/slurmstepd.scope/job_9/step_0")
            let scope = try fake.resolve(["SLURM_CPUS_ON_NODE": "12"])
            #expect(scope.label == "job 9" && scope.cpuCount == 12 && scope.cpuSource == "SLURM_CPUS_ON_NODE")
        }

        @Test func aDockerContainerIsItsCgroupAndAMountElsewhereIsFound() throws {
            let fake = try FakeCgroupRoot(cpus: "0-7")
            try fake.write("/proc/self/mountinfo", "25 20 0:22 / /cgroup2 rw - cgroup2 none rw\n")
            let path = "/system.slice/docker-3f2a9c1b7d6e5f4a3b2c1d0e.scope"
            try fake.write("/proc/self/cgroup", "0::\(path)\n")
            try fake.cgroup2("/cgroup2" + path, cpus: "2-3")
            let scope = try fake.resolve()
            #expect(scope.kind == .container && scope.label == "container 3f2a9c1b7d6e")
            #expect(scope.cpuCount == 2 && scope.machineCPUCount == 8)
            #expect(scope.usage == .cgroupV2(fake.root + "/cgroup2" + path + "/cpu.stat"))
        }

        @Test func insideAContainerWithItsOwnNamespaceTheRootIsTheContainer() throws {
            let fake = try FakeCgroupRoot(cpus: "0-15")
            try fake.write("/proc/self/mountinfo", FakeCgroupRoot.unifiedMount)
            try fake.write("/proc/self/cgroup", "0::/\n")
            try fake.write("/.dockerenv", "")
            try fake.cgroup2("/sys/fs/cgroup", cpus: "0-3")
            let scope = try fake.resolve()
            #expect(scope.kind == .container && scope.cpuCount == 4)
        }

        @Test func aSystemdScopeNestedInASliceIsItsOwnCgroup() throws {
            let fake = try FakeCgroupRoot(cpus: "0-3")
            try fake.write("/proc/self/mountinfo", FakeCgroupRoot.unifiedMount)
            let path = "/user.slice/user-1000.slice/run-r1.scope"
            try fake.write("/proc/self/cgroup", "0::\(path)\n")
            try fake.cgroup2("/sys/fs/cgroup/user.slice", cpus: "0-3")
            try fake.cgroup2("/sys/fs/cgroup" + path)
            let scope = try fake.resolve()
            #expect(scope.kind == .cgroup && scope.label == "cgroup \(path)")
            // The cpuset comes from the nearest ancestor that has one.
            #expect(scope.cpuCount == 4 && scope.cpuSource == "cpuset.cpus.effective")
        }

        @Test func theRootCgroupOnAHostIsTheMachine() throws {
            let fake = try FakeCgroupRoot(cpus: "0-1")
            try fake.write("/proc/self/mountinfo", FakeCgroupRoot.legacyMounts)
            try fake.write("/proc/self/cgroup", "4:cpu,cpuacct:/\n3:cpuset:/\n0::/\n")
            try fake.cpuacct("/sys/fs/cgroup/cpu,cpuacct")
            try fake.cgroup2("/sys/fs/cgroup/unified")
            let scope = try fake.resolve()
            #expect(scope.kind == .machine && scope.cpuCount == 2 && scope.holdsWholeMachine)
        }

        @Test func theVariableChoosesTheMachineOrACgroupAndRejectsAnythingElse() throws {
            let fake = try FakeCgroupRoot(cpus: "0-7")
            try fake.write("/proc/self/mountinfo", FakeCgroupRoot.unifiedMount)
            try fake.write("/proc/self/cgroup", "0::/slurmstepd.scope/job_5\n")
            try fake.cgroup2("/sys/fs/cgroup/slurmstepd.scope/job_5", cpus: "0")
            try fake.cgroup2("/sys/fs/cgroup/other.slice/train.scope", cpus: "4-5")
            #expect(try fake.resolve(["CARBONTRACKER_SCOPE": "machine"]).kind == .machine)
            let named = try fake.resolve(["CARBONTRACKER_SCOPE": "/other.slice/train.scope"])
            #expect(named.label == "cgroup /other.slice/train.scope" && named.cpuCount == 2)
            let absolute = try fake.resolve(["CARBONTRACKER_SCOPE": "/sys/fs/cgroup/other.slice/train.scope"])
            #expect(absolute.cpuCount == 2)
            #expect {
                try fake.resolve(["CARBONTRACKER_SCOPE": "/no/such/cgroup"])
            } throws: { error in
                (error as? CarbonTrackerError)?.code == .invalidConfiguration
                    && (error as? CarbonTrackerError)?.message.contains("machine") == true
            }
        }

        @Test func cpuListsParseAsTheKernelWritesThem() {
            #expect(WorkScope.cpuList("0-3,8,10-11\n") == [0, 1, 2, 3, 8, 10, 11])
            #expect(WorkScope.cpuList("") == nil)
            #expect(WorkScope.cpuList("3-1") == nil)
        }

        @Test func aCgroupsCPUTimeIsReadInSecondsInBothVersions() throws {
            let fake = try FakeCgroupRoot()
            try fake.cgroup2("/a", usageMicroseconds: 2_500_000)
            try fake.cpuacct("/b", nanoseconds: 1_250_000_000)
            var scope = ScopeResolver(files: fake.files, environment: [:]).machine()
            scope.usage = .cgroupV2(fake.root + "/a/cpu.stat")
            #expect(ScopeCPUTime(scope: scope, files: fake.files).cpuSeconds() == 2.5)
            scope.usage = .cgroupV1(fake.root + "/b/cpuacct.usage")
            #expect(ScopeCPUTime(scope: scope, files: fake.files).cpuSeconds() == 1.25)
        }

        @Test func aProcessTreeCountsItsChildrenThatAlreadyExited() throws {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/bin/sh")
            process.arguments = ["-c", "head -c 40000000 /dev/urandom > /dev/null; sleep 5"]
            try process.run()
            defer {
                process.terminate()
                process.waitUntilExit()
            }
            let scope = ScopeResolver(files: .system, environment: [:]).processTree(process.processIdentifier)
            #expect(
                scope.kind == .processTree && scope.label == "process tree of \(process.processIdentifier)")
            var seconds = 0.0
            for _ in 0..<200 where seconds < 0.02 {
                usleep(20_000)
                seconds = ScopeCPUTime(scope: scope).cpuSeconds() ?? 0
            }
            // `head` has exited and been reaped by the shell: its time is in the shell's figures.
            #expect(seconds >= 0.02)
        }
    }
#endif
