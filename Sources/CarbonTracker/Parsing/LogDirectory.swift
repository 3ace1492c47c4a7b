import Foundation

extension LogParser {
    /// A standard log and the output log of the same run.
    public struct FilePair: Sendable, Equatable {
        /// Path of `..._carbontracker.log`.
        public var standardLog: String
        /// Path of `..._carbontracker_output.log`.
        public var outputLog: String

        /// Creates a pair.
        /// - Parameters:
        ///   - standardLog: Path of the standard log.
        ///   - outputLog: Path of the output log.
        public init(standardLog: String, outputLog: String) {
            self.standardLog = standardLog
            self.outputLog = outputLog
        }
    }

    /// The log pairs of a directory (Python's `get_all_logs`) and the files left out.
    public struct Listing: Sendable, Equatable {
        /// Pairs ordered by standard-log path.
        public var pairs: [FilePair]
        /// Files without a partner, empty files and files that cannot be examined.
        public var warnings: [Warning]
    }
}

/// Lists a log directory and pairs each run's standard and output logs by their shared name.
///
/// Python pairs the two sorted lists by position, so one orphan on each side shifts every later
/// pair; pairing by name cannot mismatch, and an orphan is reported instead of failing the whole
/// directory. Cost: one directory read and one `stat` per log file.
enum LogDirectory {
    static let standardSuffix = "carbontracker.log"
    static let outputSuffix = "carbontracker_output.log"

    struct Found {
        var pair: LogParser.FilePair
        var modified: timespec
    }

    static func list(_ directory: String) throws -> (found: [Found], warnings: [LogParser.Warning]) {
        var info = stat()
        guard stat(directory, &info) == 0 else {
            throw CarbonTrackerError(
                .logParseFailed,
                "The log directory '\(directory)' cannot be read: \(String(cString: strerror(errno))). "
                    + "Pass the directory the tracker wrote its logs to (its logDir).")
        }
        guard (info.st_mode & S_IFMT) == S_IFDIR else {
            throw CarbonTrackerError(
                .logParseFailed, "'\(directory)' is not a directory. Pass the directory that holds the logs.")
        }
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: directory)
        } catch {
            throw CarbonTrackerError(
                .logParseFailed,
                "The log directory '\(directory)' cannot be listed: \(error.localizedDescription). "
                    + "Check its permissions.")
        }
        var warnings: [LogParser.Warning] = []
        var standard: [String: (path: String, modified: timespec)] = [:]
        var output: [String: String] = [:]
        let prefix = directory.hasSuffix("/") ? directory : directory + "/"
        for name in names {
            let isOutput = name.hasSuffix(outputSuffix)
            guard isOutput || name.hasSuffix(standardSuffix) else { continue }
            let path = prefix + name
            guard stat(path, &info) == 0 else {
                warnings.append(
                    .init(
                        file: path,
                        message: "Cannot be examined (\(String(cString: strerror(errno)))); skipped."))
                continue
            }
            guard (info.st_mode & S_IFMT) == S_IFREG else {
                warnings.append(.init(file: path, message: "Not a regular file; skipped."))
                continue
            }
            guard info.st_size > 0 else {
                warnings.append(.init(file: path, message: "Empty file; skipped."))
                continue
            }
            if isOutput {
                output[String(name.dropLast(outputSuffix.count))] = path
            } else {
                standard[String(name.dropLast(standardSuffix.count))] = (path, info.st_mtim)
            }
        }
        var found: [Found] = []
        for (base, std) in standard {
            if let out = output.removeValue(forKey: base) {
                found.append(
                    Found(pair: .init(standardLog: std.path, outputLog: out), modified: std.modified))
            } else {
                warnings.append(
                    .init(
                        file: std.path,
                        message: "No matching non-empty output log '\(base)\(outputSuffix)'; skipped."))
            }
        }
        for (base, path) in output {
            warnings.append(
                .init(
                    file: path,
                    message: "No matching non-empty standard log '\(base)\(standardSuffix)'; skipped."))
        }
        found.sort { $0.pair.standardLog < $1.pair.standardLog }
        warnings.sort { $0.file < $1.file }
        return (found, warnings)
    }
}
