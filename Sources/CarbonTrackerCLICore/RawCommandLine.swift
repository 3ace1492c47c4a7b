import CarbonTracker
import Foundation

/// The command line as the bytes the system gave: arguments are not text, and one that is not UTF-8
/// (`caf\xe9` in Latin-1) must reach the command, or name a log directory, unchanged.
///
/// Flags are matched on a decoded copy (a flag is ASCII); the command's words and the log directory
/// are taken from the bytes. Cost: one copy of the arguments.
struct RawCommandLine: Sendable {
    /// The arguments after the program name.
    var arguments: [[UInt8]]

    /// This process's arguments, from `CommandLine.unsafeArgv` (not `CommandLine.arguments`, which
    /// replaces bytes that are not UTF-8 with U+FFFD).
    static func fromProcess() -> RawCommandLine {
        var arguments: [[UInt8]] = []
        for index in 1..<Int(CommandLine.argc) {
            guard let pointer = CommandLine.unsafeArgv[index] else { continue }
            arguments.append(
                Array(UnsafeBufferPointer(start: pointer, count: strlen(pointer))).map {
                    UInt8(bitPattern: $0)
                })
        }
        return RawCommandLine(arguments: arguments)
    }

    /// The arguments as text, for matching flags; bytes that are not UTF-8 become U+FFFD.
    var decoded: [String] { arguments.map { String(decoding: $0, as: UTF8.self) } }

    /// The command's words: the last `count` arguments (the command ends the command line).
    func command(count: Int) -> [[UInt8]] { Array(arguments.suffix(count)) }

    /// The bytes of the log directory when they are not UTF-8 (so its decoded text names another
    /// directory), else `nil`.
    /// - Parameter logDir: The log directory as parsed from ``decoded``.
    func logDirectoryBytes(_ logDir: String) -> [UInt8]? {
        for (index, argument) in arguments.enumerated()
        where !UTF8Validation.isValid(argument) {
            let text = String(decoding: argument, as: UTF8.self)
            if text == logDir, index > 0, ["--log_dir", "--log-dir"].contains(decoded[index - 1]) {
                return argument
            }
            for flag in ["--log_dir=", "--log-dir="]
            where text.hasPrefix(flag) && text.dropFirst(flag.count) == logDir {
                return Array(argument.dropFirst(flag.utf8.count))
            }
        }
        return nil
    }

    /// A path the tracker can use for a log directory whose name is not UTF-8: the directory is
    /// created (with its parents) under its exact bytes and opened, and the path goes through the
    /// open descriptor (`/proc/self/fd/N`, Linux), so every file is written under the exact name.
    /// - Throws: ``CLIUsageError`` when the directory cannot be created or opened, or on a system
    ///   without `/proc/self/fd`.
    static func openLogDirectory(_ bytes: [UInt8]) throws(CLIUsageError) -> String {
        let shown = String(decoding: bytes, as: UTF8.self)
        #if os(Linux)
            let slash = UInt8(ascii: "/")
            var prefix: [UInt8] = bytes.first == slash ? [slash] : []
            for component in bytes.split(separator: slash) {
                prefix += component
                let made = ChildProcess.cString(prefix)
                defer { made.deallocate() }
                if mkdir(made, 0o755) != 0 && errno != EEXIST {
                    throw CLIUsageError(
                        message: "--log_dir '\(shown)' cannot be created: \(String(cString: strerror(errno)))"
                    )
                }
                prefix.append(slash)
            }
            let path = ChildProcess.cString(bytes)
            defer { path.deallocate() }
            let descriptor = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
            guard descriptor >= 0 else {
                throw CLIUsageError(
                    message: "--log_dir '\(shown)' cannot be opened: \(String(cString: strerror(errno)))")
            }
            // Left open for the life of the process: the tracker writes through it until it stops.
            return "/proc/self/fd/\(descriptor)"
        #else
            throw CLIUsageError(
                message: "--log_dir '\(shown)' is not UTF-8; on this system give a UTF-8 name")
        #endif
    }
}
