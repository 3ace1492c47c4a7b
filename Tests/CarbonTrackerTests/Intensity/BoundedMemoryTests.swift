import Foundation
import Testing

@testable import CarbonTracker

#if canImport(Glibc)
    import Glibc
#endif

/// The issue-13 scenario end to end: `carbontracker` wraps a command while the geolocation endpoint
/// answers with 200 MB of JSON (with and without a Content-Length) or an endless chunked body. The
/// transfer must stop at the cap with a clear line in the error log, the command must run to its end
/// with its report, and the process's peak memory (measured by `wait4`) must stay small.
@Suite struct BoundedMemoryTests {
    /// Peak resident memory allowed for the whole `carbontracker` process, in KiB. Before the cap the
    /// same answers drove it to 437 MB (Content-Length), 1.8 GB (chunked) and 2 GB (JSON decoding).
    static let peakKibibytesAllowed = 96 * 1024

    /// Runs `executable` with `arguments` and `environment`, output to files in `directory`; returns its
    /// exit status and peak resident memory in KiB.
    static func runMeasuringPeakMemory(
        _ executable: String, _ arguments: [String], environment: [String: String], directory: String
    ) throws -> (status: Int32, peakKibibytes: Int) {
        #if os(Linux)
            var actions = posix_spawn_file_actions_t()
            posix_spawn_file_actions_init(&actions)
            defer { posix_spawn_file_actions_destroy(&actions) }
            posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
            posix_spawn_file_actions_addopen(&actions, 1, directory + "/stdout", O_WRONLY | O_CREAT | O_TRUNC, 0o644)
            posix_spawn_file_actions_addopen(&actions, 2, directory + "/stderr", O_WRONLY | O_CREAT | O_TRUNC, 0o644)
            let argv = ([executable] + arguments).map { strdup($0) } + [nil]
            let envp = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
            defer { (argv + envp).forEach { free($0) } }
            var pid: pid_t = 0
            guard posix_spawn(&pid, executable, &actions, nil, argv, envp) == 0 else {
                throw CarbonTrackerError(.componentUnavailable, "could not start \(executable)")
            }
            var status: Int32 = 0
            var usage = rusage()
            while wait4(pid, &status, 0, &usage) < 0 && errno == EINTR {}
            return ((status >> 8) & 0xff, usage.ru_maxrss)
        #else
            throw CarbonTrackerError(.componentUnavailable, "wait4 peak memory is read on Linux only")
        #endif
    }

    #if os(Linux)
        @Test(arguments: [
            LoopbackHTTPServer.Stream(framing: .contentLength, totalBytes: 200_000_000),
            LoopbackHTTPServer.Stream(framing: .untilClose, totalBytes: 200_000_000),
            LoopbackHTTPServer.Stream(framing: .chunked, totalBytes: nil),
        ])
        func aHugeGeolocationAnswerIsCutAndMemoryStaysBounded(stream: LoopbackHTTPServer.Stream) async throws {
            let executable = try #require(CLIEndToEndTests.binary, "build the carbontracker product first")
            let server = try LoopbackHTTPServer { _ in .stream(stream) }
            defer { server.stop() }
            let directory = try TemporaryDirectory()
            let flag = directory.file("done")
            var environment = TestTracker.isolatedEnvironment(directory)
            environment["CARBONTRACKER_GEOLOCATION_URL"] = server.baseURL + "/json"
            environment["CARBONTRACKER_HTTP_TIMEOUT"] = "60"
            environment["PATH"] = "/usr/bin:/bin"
            // The command waits until the server has finished with the connection, so the lookup's
            // outcome is logged while the tracker runs.
            let arguments = [
                "--log_dir", directory.file("logs"), "--sim-cpu", "Sim", "--sim-cpu-tdp", "10", "--",
                "/bin/sh", "-c", "while [ ! -e '\(flag)' ]; do sleep 0.05; done",
            ]
            // Both waits block, so they run on threads of their own, never on the few shared workers.
            let path = directory.path
            let childEnvironment = environment
            async let run = IntensityTesting.blocking {
                try Self.runMeasuringPeakMemory(executable, arguments, environment: childEnvironment, directory: path)
            }
            let finished = try await IntensityTesting.blocking {
                let finished = server.waitForClosedConnections(1, seconds: 60)
                FileManager.default.createFile(atPath: flag, contents: nil)
                return finished
            }
            #expect(finished)
            let (status, peak) = try await run
            #expect(status == 0, "\(HardwareFiles.read(directory.file("stderr")))")
            #expect(peak < Self.peakKibibytesAllowed, "peak resident memory \(peak) KiB")
            #expect(server.bytesSent < 40_000_000)
            let logs = (try? FileManager.default.contentsOfDirectory(atPath: directory.file("logs"))) ?? []
            let errorLog = try #require(logs.first { $0.hasSuffix("_carbontracker_err.log") })
            let text = HardwareFiles.read(directory.file("logs/" + errorLog))
            #expect(text.contains("answered with more than 4 MiB"), "\(text)")
            #expect(HardwareFiles.read(directory.file("stdout")).contains("Actual consumption"))
            print("carbontracker peak RSS with \(stream.framing) \(stream.totalBytes.map { "\($0 / 1_000_000) MB" } ?? "endless") answer: \(peak / 1024) MiB, server sent \(server.bytesSent / 1024) KiB")
        }
    #endif
}
