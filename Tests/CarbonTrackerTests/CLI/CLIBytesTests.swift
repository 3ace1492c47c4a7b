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

/// Arguments, environment values and paths are bytes: what is not UTF-8 reaches the command, and
/// names the log directory, unchanged.
@Suite(.enabled(if: CLIEndToEndTests.binary != nil, "build the carbontracker product first (swift build)"))
struct CLIBytesTests {
    /// "café" in Latin-1: not UTF-8.
    static let latin1: [UInt8] = Array("caf".utf8) + [0xE9]

    /// Runs `arguments` (bytes) with `environment` added, output to `output`; the exit status.
    static func run(_ arguments: [[UInt8]], environment: [[UInt8]] = [], output: String) throws -> Int32 {
        var actions = TestPlatform.spawnFileActions()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, output, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        posix_spawn_file_actions_addopen(&actions, 2, output + ".err", O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        func cString(_ bytes: [UInt8]) -> UnsafeMutablePointer<CChar>? {
            let pointer = UnsafeMutablePointer<CChar>.allocate(capacity: bytes.count + 1)
            for (index, byte) in bytes.enumerated() { pointer[index] = CChar(bitPattern: byte) }
            pointer[bytes.count] = 0
            return pointer
        }
        let inherited = ProcessInfo.processInfo.environment.map { Array("\($0.key)=\($0.value)".utf8) }
        let extra = [Array("CARBONTRACKER_OFFLINE=1".utf8), Array("CARBONTRACKER_DISTRIBUTED=0".utf8)]
        let argv = arguments.map(cString) + [nil]
        let envp = (inherited + extra + environment).map(cString) + [nil]
        defer { for pointer in argv + envp { pointer?.deallocate() } }
        var pid: pid_t = 0
        let result = posix_spawn(&pid, argv[0]!, &actions, nil, argv, envp)
        guard result == 0 else { throw POSIXError(POSIXErrorCode(rawValue: result) ?? .EIO) }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        return status
    }

    /// The names in `directory`, as bytes.
    static func names(in directory: [UInt8]) -> [[UInt8]] {
        guard let handle = opendir(directory.map { CChar(bitPattern: $0) } + [0]) else { return [] }
        defer { closedir(handle) }
        var names: [[UInt8]] = []
        while let entry = readdir(handle) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { Array($0.prefix { $0 != 0 }) }
            if name != Array(".".utf8) && name != Array("..".utf8) { names.append(name) }
        }
        return names
    }

    #if os(Linux)
        /// Linux only: a log directory that is not UTF-8 is written through `/proc/self/fd`.
        @Test func argumentsAndTheLogDirectoryKeepTheirBytes() throws {
            let binary = try #require(CLIEndToEndTests.binary)
            let scratch = try TemporaryDirectory()
            let base = Array(scratch.path.utf8) + [UInt8(ascii: "/")]
            let logs = base + Self.latin1 + Array("-logs".utf8)
            let marker = base + Self.latin1 + Array(".marker".utf8)
            let status = try Self.run(
                [
                    Array(binary.utf8), Array("--log_dir".utf8), logs, Array("--sim-cpu".utf8),
                    Array("C".utf8),
                    Array("--sim-cpu-tdp".utf8), Array("10".utf8), Array("--".utf8),
                    Array("/usr/bin/touch".utf8),
                    marker,
                ], output: scratch.file("out"))
            #expect(status == 0, "\(HardwareFiles.read(scratch.file("out.err")))")
            let names = Self.names(in: Array(scratch.path.utf8))
            #expect(names.contains(Self.latin1 + Array(".marker".utf8)), "the argument arrived unchanged")
            #expect(names.contains(Self.latin1 + Array("-logs".utf8)), "the log directory has the exact name")
            // Nothing was written under a repaired name (U+FFFD encoded as EF BF BD).
            #expect(
                !names.contains { name in
                    name.indices.dropLast(2).contains { name[$0..<$0 + 3] == [0xEF, 0xBF, 0xBD] }
                })
            let logNames = Self.names(in: logs).map { String(decoding: $0, as: UTF8.self) }
            #expect(logNames.contains { $0.hasSuffix("_carbontracker.log") }, "\(logNames)")
            #expect(logNames.contains { $0.hasSuffix("_carbontracker_output.log") }, "\(logNames)")
            // The directory is read back by the parser under its exact name: one run, with its final report.
            let descriptor = open(
                logs.map { CChar(bitPattern: $0) } + [0], O_RDONLY | O_DIRECTORY | O_CLOEXEC)
            defer { close(descriptor) }
            let parse = try LogParser.parseAllLogs(logDir: "/proc/self/fd/\(descriptor)")
            #expect(parse.entries.count == 1 && parse.entries.first?.actual != nil)
        }

    #endif

    @Test func environmentValuesKeepTheirBytes() throws {
        let binary = try #require(CLIEndToEndTests.binary)
        let scratch = try TemporaryDirectory()
        let status = try Self.run(
            [
                Array(binary.utf8), Array("--log_dir".utf8), Array(scratch.file("logs").utf8),
                Array("--sim-cpu".utf8), Array("C".utf8), Array("--sim-cpu-tdp".utf8), Array("10".utf8),
                Array("--".utf8), Array("/usr/bin/env".utf8),
            ], environment: [Array("CARBONTRACKER_TEST_BYTES=".utf8) + Self.latin1],
            output: scratch.file("out"))
        #expect(status == 0)
        let output = try Data(contentsOf: URL(fileURLWithPath: scratch.file("out")))
        let lines = output.split(separator: UInt8(ascii: "\n")).map { Array($0) }
        #expect(lines.contains(Array("CARBONTRACKER_TEST_BYTES=".utf8) + Self.latin1))
    }
}
