import Foundation
import Testing

@testable import CarbonTracker
@testable import CarbonTrackerMonitor
@testable import CarbonTrackerSources

#if canImport(Glibc)
    import Glibc
#endif

/// The issue-13 scenario end to end: `carbontracker` wraps a command while the geolocation endpoint
/// answers with 200 MB of JSON (with and without a Content-Length) or an endless chunked body. The
/// transfer must stop at the cap with a clear line in the error log, the command must run to its end
/// with its report, and the process's peak memory must stay small.
@Suite(.enabled(if: Libcurl.isAvailable, Libcurl.missing))
struct BoundedMemoryTests {
    /// Peak resident memory allowed for the whole `carbontracker` process, in KiB. Before the cap the
    /// same answers drove it to 437 MB (Content-Length), 1.8 GB (chunked) and 2 GB (JSON decoding).
    static let peakKibibytesAllowed = 96 * 1024

    #if os(Linux)
        /// Starts `executable` with `arguments` and `environment`, output to files in `directory`.
        static func spawn(
            _ executable: String, _ arguments: [String], environment: [String: String], directory: String
        ) throws -> pid_t {
            var actions = posix_spawn_file_actions_t()
            posix_spawn_file_actions_init(&actions)
            defer { posix_spawn_file_actions_destroy(&actions) }
            posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
            posix_spawn_file_actions_addopen(
                &actions, 1, directory + "/stdout", O_WRONLY | O_CREAT | O_TRUNC, 0o644)
            posix_spawn_file_actions_addopen(
                &actions, 2, directory + "/stderr", O_WRONLY | O_CREAT | O_TRUNC, 0o644)
            let argv = ([executable] + arguments).map { strdup($0) } + [nil]
            let envp = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
            defer { for pointer in argv + envp { free(pointer) } }
            var pid: pid_t = 0
            guard posix_spawn(&pid, executable, &actions, nil, argv, envp) == 0 else {
                throw CarbonTrackerError(.componentUnavailable, "could not start \(executable)")
            }
            return pid
        }

        /// The peak resident memory of the running process `pid`, in KiB (`VmHWM`). Unlike `wait4`'s
        /// `ru_maxrss`, it counts only the process's own memory after `exec`, not the test runner's
        /// that a spawned child briefly shares.
        static func peakKibibytes(_ pid: pid_t) -> Int? {
            let status = HardwareFiles.read("/proc/\(pid)/status")
            guard let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }) else {
                return nil
            }
            return Int(line.split(separator: " ").dropFirst().first ?? "")
        }

        @Test(arguments: [
            LoopbackHTTPServer.Stream(framing: .contentLength, totalBytes: 200_000_000),
            LoopbackHTTPServer.Stream(framing: .untilClose, totalBytes: 200_000_000),
            LoopbackHTTPServer.Stream(framing: .chunked, totalBytes: nil),
        ])
        func aHugeGeolocationAnswerIsCutAndMemoryStaysBounded(stream: LoopbackHTTPServer.Stream) async throws
        {
            let executable = try #require(CLIEndToEndTests.binary, "build the carbontracker product first")
            let server = try LoopbackHTTPServer { _ in .stream(stream) }
            defer { server.stop() }
            let directory = try TemporaryDirectory()
            let flag = directory.file("done")
            var environment = TestTracker.isolatedEnvironment(directory)
            environment["CARBONTRACKER_GEOLOCATION_URL"] = server.baseURL + "/json"
            environment["CARBONTRACKER_HTTP_TIMEOUT"] = "60"
            environment["PATH"] = "/usr/bin:/bin"
            // The command runs until the test has seen the lookup fail and read the peak memory.
            let arguments = [
                "--log_dir", directory.file("logs"), "--sim-cpu", "Sim", "--sim-cpu-tdp", "10", "--",
                "/bin/sh", "-c", "while [ ! -e '\(flag)' ]; do sleep 0.05; done",
            ]
            let pid = try Self.spawn(
                executable, arguments, environment: environment, directory: directory.path)
            let logs = directory.file("logs")
            // Every wait blocks, so each runs on a thread of its own, never on the few shared workers.
            let (logged, peak) = try await IntensityTesting.blocking { () -> (String?, Int?) in
                _ = server.waitForClosedConnections(1, seconds: 60)
                var logged: String?
                let end = Date().addingTimeInterval(30)
                while logged == nil && Date() < end {
                    let names = (try? FileManager.default.contentsOfDirectory(atPath: logs)) ?? []
                    logged = names.filter { $0.hasSuffix("_carbontracker_err.log") }
                        .map { HardwareFiles.read(logs + "/" + $0) }
                        .first { $0.contains("answered with more than 4 MiB") }
                    if logged == nil { usleep(20_000) }
                }
                let peak = Self.peakKibibytes(pid)
                _ = FileManager.default.createFile(atPath: flag, contents: nil)
                return (logged, peak)
            }
            let status = try await IntensityTesting.blocking { () -> Int32 in
                var status: Int32 = 0
                while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
                return (status >> 8) & 0xff
            }
            #expect(logged != nil, "no line about the cut answer in the error log")
            #expect(status == 0, "\(HardwareFiles.read(directory.file("stderr")))")
            let kibibytes = try #require(peak)
            #expect(kibibytes < Self.peakKibibytesAllowed, "peak resident memory \(kibibytes) KiB")
            #expect(server.bytesSent < 40_000_000)
            #expect(HardwareFiles.read(directory.file("stdout")).contains("Actual consumption"))
            let size = stream.totalBytes.map { "\($0 / 1_000_000) MB" } ?? "endless"
            print(
                "carbontracker peak RSS (VmHWM) with a \(stream.framing) \(size) answer: \(kibibytes / 1024) MiB; "
                    + "the server could send \(server.bytesSent / 1024) KiB")
        }
    #endif
}
