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

/// A log directory, listed and paired: each run's standard and output logs by their shared name.
///
/// ```swift
/// let directory = try LogDirectory("logs")
/// let (pairs, warnings) = try directory.list()                   // stat only
/// let (runs, _) = try directory.readRuns(keepsFigures: true) { files, log, reports in ... }
/// ```
///
/// Python pairs the two sorted lists by position, so one orphan on each side shifts every later
/// pair; pairing by name cannot mismatch, and an orphan is reported instead of failing the whole
/// directory. A log is usable when it is a non-empty regular file; a run counts only when both of
/// its logs are, or when its event log (`..._carbontracker_events.jsonl`) describes it: reading
/// prefers the event log, and listing (Python's `get_all_logs`) never looks at it. Cost: one `readdir` pass, then one `stat` per log for ``list()``; reading examines
/// each log through the descriptor it reads from instead.
final class LogDirectory: Sendable {
    static let standardSuffix = "carbontracker.log"
    static let outputSuffix = "carbontracker_output.log"
    static let eventsSuffix = "carbontracker_events.jsonl"

    /// The directory as given.
    let path: String
    /// Logs are opened relative to this descriptor of the directory, which saves a path lookup each.
    let descriptor: Int32

    /// One log, by name inside the directory.
    struct File: Sendable {
        var name: String
        /// The directory's path ending in `/`.
        var directory: String
        /// The name without its suffix, shared by the two logs of a run.
        var base: String
        var isOutput: Bool
        /// An event log (`..._carbontracker_events.jsonl`).
        var isEvents = false
        /// The directory entry's type (`DT_REG`, ...).
        var type: UInt8

        /// The directory's path and the name; built only when asked for, as most logs never need it.
        var path: String { directory + name }
        /// A regular file, or a link or an unknown type that may lead to one.
        var mayBeRegular: Bool { isRegularEntry || type == UInt8(DT_LNK) || type == UInt8(DT_UNKNOWN) }
        /// The entry is a regular file itself, so opening it cannot reach a device or block on a FIFO.
        var isRegularEntry: Bool { type == UInt8(DT_REG) }
    }

    /// The logs of one run, by their positions in the listing. A run with an event log may lack either
    /// text log; one without has both.
    struct Run: Sendable {
        var standard: Int?
        var output: Int?
        var events: Int? = nil
    }

    /// Why a log is left out.
    enum Problem: Sendable {
        case unexaminable(reason: String)
        case notRegular
        case empty

        /// The problem with the file `info` describes, if any.
        init?(_ info: stat) {
            if (info.st_mode & S_IFMT) != S_IFREG {
                self = .notRegular
            } else if info.st_size <= 0 {
                self = .empty
            } else {
                return nil
            }
        }

        init(errno code: Int32) { self = .unexaminable(reason: String(cString: strerror(code))) }

        var message: String {
            switch self {
            case .unexaminable(let reason): return "Cannot be examined (\(reason)); skipped."
            case .notRegular: return "Not a regular file; skipped."
            case .empty: return "Empty file; skipped."
            }
        }
    }

    /// Opens a directory.
    /// - Throws: ``CarbonTrackerError`` with code `.logParseFailed` when the directory is missing,
    ///   not a directory or cannot be opened.
    init(_ directory: String) throws {
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
        path = directory
        descriptor = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard descriptor >= 0 else { throw Self.unlistable(directory) }
    }

    deinit { _ = close(descriptor) }

    private static func unlistable(_ directory: String) -> CarbonTrackerError {
        CarbonTrackerError(
            .logParseFailed,
            "The log directory '\(directory)' cannot be listed: \(String(cString: strerror(errno))). "
                + "Check its permissions.")
    }

    /// Calls `body` with each log (a name ending in one of the two suffixes, or the event-log suffix
    /// when `includesEvents`), in directory order.
    /// - Throws: ``CarbonTrackerError`` with code `.logParseFailed` when the directory cannot be listed.
    func forEachLog(includesEvents: Bool = false, _ body: (File) -> Void) throws {
        let copy = dup(descriptor)
        guard copy >= 0, let stream = fdopendir(copy) else {
            if copy >= 0 { _ = close(copy) }
            throw Self.unlistable(path)
        }
        defer { closedir(stream) }
        let prefix = path.hasSuffix("/") ? path : path + "/"
        while let entry = readdir(stream) {
            let name = withUnsafePointer(to: &entry.pointee.d_name) {
                $0.withMemoryRebound(to: CChar.self, capacity: MemoryLayout.size(ofValue: $0.pointee)) {
                    String(cString: $0)
                }
            }
            let isOutput = name.hasSuffix(Self.outputSuffix)
            if !isOutput && includesEvents && name.hasSuffix(Self.eventsSuffix) {
                let base = String(name.dropLast(Self.eventsSuffix.count))
                body(
                    File(
                        name: name, directory: prefix, base: base, isOutput: false, isEvents: true,
                        type: entry.pointee.d_type))
                continue
            }
            guard isOutput || name.hasSuffix(Self.standardSuffix) else { continue }
            let base = String(name.dropLast(isOutput ? Self.outputSuffix.count : Self.standardSuffix.count))
            body(
                File(
                    name: name, directory: prefix, base: base, isOutput: isOutput, type: entry.pointee.d_type)
            )
        }
    }

    /// Pairs the logs as they are listed.
    struct Pairing {
        /// Every log listed, in directory order.
        private(set) var files: [File] = []
        private var byBase: [String: Run] = [:]

        /// Adds the next log listed; a later log with the same name replaces an earlier one.
        mutating func add(_ file: File) {
            if file.isEvents {
                byBase[file.base, default: Run(standard: nil, output: nil)].events = files.count
            } else if file.isOutput {
                byBase[file.base, default: Run(standard: nil, output: nil)].output = files.count
            } else {
                byBase[file.base, default: Run(standard: nil, output: nil)].standard = files.count
            }
            files.append(file)
        }

        /// The runs whose two logs, or whose event log, may be regular files, ordered by standard-log
        /// path, and the logs of every other name, whose warnings need no reading
        /// (``LogDirectory/warnings(_:)``).
        func runs() -> (complete: [Run], incomplete: [(standard: File?, output: File?)]) {
            var complete: [Run] = []
            var incomplete: [(standard: File?, output: File?)] = []
            for run in byBase.values {
                if let standard = run.standard, let output = run.output,
                    files[standard].mayBeRegular && files[output].mayBeRegular
                {
                    complete.append(run)
                } else if let events = run.events, files[events].mayBeRegular {
                    complete.append(run)
                } else {
                    incomplete.append((run.standard.map { files[$0] }, run.output.map { files[$0] }))
                }
            }
            // The directory is the same for all, so names sort as the paths do. Each name is made once and
            // positions are sorted, not runs: no string is copied or retained per comparison.
            let names = complete.map(standardName)
            let order = names.indices.sorted { names[$0] < names[$1] }
            return (order.map { complete[$0] }, incomplete)
        }

        /// The name of the run's standard log, whether or not the directory has it.
        private func standardName(_ run: Run) -> String {
            if let standard = run.standard { return files[standard].name }
            return files[run.output ?? run.events ?? 0].base + LogDirectory.standardSuffix
        }
    }

    /// Lists and examines every log with `stat`, without reading any.
    /// - Returns: The usable pairs ordered by standard-log path, with the standard log's modification
    ///   time, and the warnings ordered by file.
    /// - Throws: ``CarbonTrackerError`` with code `.logParseFailed` when the directory cannot be listed.
    func list() throws -> (
        pairs: [(pair: LogParser.FilePair, modified: timespec)], warnings: [LogParser.Warning]
    ) {
        var pairing = Pairing()
        try forEachLog { pairing.add($0) }
        let (complete, incomplete) = pairing.runs()
        var pairs: [(pair: LogParser.FilePair, modified: timespec)] = []
        var warnings = self.warnings(incomplete)
        for run in complete {
            guard let standardIndex = run.standard, let outputIndex = run.output else { continue }
            let standard = pairing.files[standardIndex]
            let output = pairing.files[outputIndex]
            let standardInfo = examine(standard)
            let problems = Self.warnings(
                standard: standard, standardInfo.problem, output: output, examine(output).problem)
            if problems.isEmpty {
                pairs.append(
                    (.init(standardLog: standard.path, outputLog: output.path), standardInfo.modified))
            } else {
                warnings += problems
            }
        }
        warnings.sort { $0.file < $1.file }
        return (pairs, warnings)
    }

    /// Examines a log as `stat` does, following links.
    func examine(_ file: File) -> (problem: Problem?, modified: timespec) {
        var info = stat()
        guard fstatat(descriptor, file.name, &info, 0) == 0 else {
            return (Problem(errno: errno), timespec())
        }
        return (Problem(info), info.modificationTime)
    }

    /// The warnings for the logs of names that do not make a complete run, each examined as needed.
    func warnings(_ incomplete: [(standard: File?, output: File?)]) -> [LogParser.Warning] {
        func problem(_ file: File?) -> Problem? {
            guard let file else { return nil }
            return file.mayBeRegular ? examine(file).problem : .notRegular
        }
        return incomplete.flatMap { logs in
            Self.warnings(
                standard: logs.standard, problem(logs.standard), output: logs.output, problem(logs.output))
        }
    }

    /// The warnings for a run's logs when they are not both usable: each log's problem, or, for a
    /// usable log, that its partner is missing or unusable. Empty when the run can be read.
    /// - Parameters:
    ///   - standard: The standard log, `nil` when the directory has none, and its problem.
    ///   - output: The output log, `nil` when the directory has none, and its problem.
    static func warnings(
        standard: File?, _ standardProblem: Problem?, output: File?, _ outputProblem: Problem?
    ) -> [LogParser.Warning] {
        if standard != nil && output != nil && standardProblem == nil && outputProblem == nil { return [] }
        var warnings: [LogParser.Warning] = []
        if let standard {
            warnings.append(
                .init(
                    file: standard.path,
                    message: standardProblem?.message
                        ?? "No matching non-empty output log '\(standard.base)\(outputSuffix)'; skipped."))
        }
        if let output {
            warnings.append(
                .init(
                    file: output.path,
                    message: outputProblem?.message
                        ?? "No matching non-empty standard log '\(output.base)\(standardSuffix)'; skipped."))
        }
        return warnings
    }
}
