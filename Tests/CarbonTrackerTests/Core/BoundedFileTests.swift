import Foundation
import Testing

@testable import CarbonTracker
@testable import CarbonTrackerMonitor
@testable import CarbonTrackerSources

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Every small file the tool reads is a regular file of bounded size: a FIFO, a device or a huge
/// file gives a clear error within a second and bounded memory, never a hang.
struct BoundedFileTests {
    /// A directory holding a FIFO, a 1 GB sparse file and a small file.
    final class HostileFiles {
        let directory: TemporaryDirectory
        var fifo: String { directory.file("fifo") }
        var sparse: String { directory.file("sparse") }

        init() throws {
            directory = try TemporaryDirectory()
            #expect(mkfifo(directory.file("fifo"), 0o600) == 0)
            let descriptor = open(directory.file("sparse"), O_WRONLY | O_CREAT | O_TRUNC, 0o600)
            #expect(descriptor >= 0)
            #expect(ftruncate(descriptor, 1 << 30) == 0)
            close(descriptor)
        }
    }

    /// Runs `body` and returns how long it took, in seconds.
    static func seconds(_ body: () throws -> Void) rethrows -> Double {
        let start = ContinuousClock.now
        try body()
        return (ContinuousClock.now - start) / .seconds(1)
    }

    @Test func theHelperRefusesFIFOsDevicesAndLargeFilesAtOnce() throws {
        let files = try HostileFiles()
        var failures: [BoundedFile.Failure.Kind] = []
        let elapsed = Self.seconds {
            for path in [files.fifo, "/dev/zero", files.sparse] {
                if case .failure(let failure) = BoundedFile.read(path, limit: 4096) {
                    failures.append(failure.kind)
                }
            }
        }
        #expect(elapsed < 1, "took \(elapsed) s")
        #expect(
            failures == [.notRegular("a FIFO"), .notRegular("a character device"), .tooLarge(limit: 4096)])
        // A pseudo-file whose size is not reported is still bounded: /proc/self/maps exceeds 64 bytes.
        #if os(Linux)
            guard case .failure(let failure) = BoundedFile.read("/proc/self/maps", limit: 64) else {
                Issue.record("read past the limit")
                return
            }
            #expect(failure.kind == .tooLarge(limit: 64))
        #endif
        try "{\"a\": \"b\"}\n".write(toFile: files.directory.file("small"), atomically: true, encoding: .utf8)
        #expect(
            try BoundedFile.readText(files.directory.file("small"), limit: 11).get() == "{\"a\": \"b\"}\n")
        guard case .failure(let small) = BoundedFile.read(files.directory.file("small"), limit: 10) else {
            Issue.record("an 11-byte file read with a limit of 10")
            return
        }
        #expect(small.kind == .tooLarge(limit: 10))
    }

    @Test func sysfsAttributesAreBounded() throws {
        let files = try HostileFiles()
        let elapsed = Self.seconds {
            for path in [files.fifo, files.sparse, "/dev/zero"] {
                guard case .failure(let failure) = SysfsReader.posix.read(path) else {
                    Issue.record("\(path) was read")
                    continue
                }
                #expect(
                    failure.reason.contains("FIFO") || failure.reason.contains("larger")
                        || failure.reason.contains("device"))
            }
        }
        #expect(elapsed < 1, "took \(elapsed) s")
    }

    @Test func aHostileCPUInfoFileIsReportedAndTheModelIsUnknown() throws {
        let files = try HostileFiles()
        for path in [files.fifo, files.sparse, "/dev/zero"] {
            var component: TDPEstimateComponent?
            let elapsed = Self.seconds {
                component = TDPEstimateComponent(environment: ["CARBONTRACKER_CPUINFO": path])
            }
            #expect(elapsed < 1, "\(path): took \(elapsed) s")
            #expect(component?.modelName == CPUModel.unknown)
            let diagnostics = RecordingDiagnostics()
            try component?.start(diagnostics: diagnostics)
            #expect(
                diagnostics.messages("warning").contains {
                    $0.contains(path) && $0.contains("CARBONTRACKER_CPUINFO")
                },
                "\(diagnostics.all)")
        }
    }

    @Test func aFIFOAsTheNVMLLibraryIsRefusedWithoutLoading() throws {
        let files = try HostileFiles()
        let elapsed = Self.seconds {
            #expect {
                try NVMLLibrary(path: files.fifo)
            } throws: { error in
                (error as? CarbonTrackerError)?.message.contains("FIFO") == true
            }
        }
        #expect(elapsed < 1, "took \(elapsed) s")
    }

    #if os(Linux)
        /// `--api-keys-file` on a FIFO, /dev/zero and a 1 GB sparse file: a usage error naming the
        /// reason within a second, and the process never grows past 200 MB.
        @Test(
            .enabled(if: CLIEndToEndTests.binary != nil, "build the carbontracker product first"),
            .enabled(
                if: FileManager.default.isExecutableFile(atPath: "/usr/bin/time"),
                "needs GNU time (/usr/bin/time) to measure the CLI's own peak memory"))
        func theAPIKeysFileIsBoundedInTheCLI() throws {
            let files = try HostileFiles()
            let binary = try #require(CLIEndToEndTests.binary)
            for (path, reason) in [
                (files.fifo, "FIFO"), ("/dev/zero", "device"), (files.sparse, "larger than"),
            ] {
                let start = ContinuousClock.now
                let run = try Self.runMeasured(
                    [binary, "--api-keys-file", path, "--", "true"], output: files.directory.file("err"))
                let elapsed = (ContinuousClock.now - start) / .seconds(1)
                #expect(run.status == 2, "\(path): \(run.output)")
                #expect(
                    run.output.contains("--api-keys-file") && run.output.contains(reason), "\(run.output)")
                #expect(elapsed < 5, "\(path): took \(elapsed) s (the process start included)")
                #expect(run.maxResidentKilobytes < 200_000, "\(path): \(run.maxResidentKilobytes) kB")
                print(
                    "--api-keys-file \(path): \(String(format: "%.3f", elapsed)) s, peak \(run.maxResidentKilobytes) kB"
                )
            }
        }

        /// Runs `arguments` with standard error in `output`; its exit status, what it wrote and its
        /// peak resident memory (`wait4`).
        static func runMeasured(_ arguments: [String], output: String) throws -> (
            status: Int32, output: String, maxResidentKilobytes: Int
        ) {
            var actions = posix_spawn_file_actions_t()
            posix_spawn_file_actions_init(&actions)
            defer { posix_spawn_file_actions_destroy(&actions) }
            posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
            posix_spawn_file_actions_addopen(&actions, 1, output, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
            posix_spawn_file_actions_adddup2(&actions, 1, 2)
            // The peak is measured by /usr/bin/time, whose own child starts from its small process: a
            // child spawned straight from this test process would report this process's peak (Linux
            // carries the old address space's high-water mark across exec).
            let measured = ["/usr/bin/time", "-f", "%M", "-o", output + ".rss"] + arguments
            let argv: [UnsafeMutablePointer<CChar>?] = measured.map { strdup($0) } + [nil]
            defer { for pointer in argv { free(pointer) } }
            var pid: pid_t = 0
            let result = posix_spawn(&pid, measured[0], &actions, nil, argv, environ)
            guard result == 0 else { throw POSIXError(POSIXErrorCode(rawValue: result) ?? .EIO) }
            var status: Int32 = 0
            while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
            let peak = HardwareFiles.read(output + ".rss").split(separator: "\n").last.flatMap { Int($0) } ?? Int.max
            let text = HardwareFiles.read(output).split(separator: "\n", omittingEmptySubsequences: false)
                .filter { !$0.hasPrefix("Command exited with non-zero status") }.joined(separator: "\n")
            return ((status >> 8) & 0xff, text, peak)
        }
    #endif
}
