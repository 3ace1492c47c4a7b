import CarbonTracker
import Foundation

/// The `carbontracker` command: tracks a command as one epoch, adds up a log directory, or writes
/// an HTML report.
///
/// ```swift
/// exit(CarbonTrackerCommand.main())
/// ```
public enum CarbonTrackerCommand {
    /// Runs this process's command line, read as bytes (``main(arguments:environment:console:)``
    /// with every argument of the command and the log directory passed on unchanged, UTF-8 or not).
    /// - Parameter console: Where messages go.
    /// - Returns: The exit status, as ``main(arguments:environment:console:)`` describes it.
    public static func main(console: ConsoleOutput = .process) -> Int32 {
        let raw = RawCommandLine.fromProcess()
        return main(
            arguments: raw.decoded, raw: raw, environment: ProcessInfo.processInfo.environment,
            console: console)
    }

    /// Runs the command line and returns the process exit status.
    /// - Parameters:
    ///   - arguments: The arguments after the program name.
    ///   - environment: The environment, for `PATH` and the tracker's overrides.
    ///   - console: Where messages go.
    /// - Returns: 0 on success, 1 when a log or report cannot be read or written (or, with
    ///   `--diagnose`, when a component is estimated or missing), 2 for a bad command line, 126/127
    ///   when the command cannot be run, else the command's own status.
    public static func main(
        arguments: [String], environment: [String: String] = ProcessInfo.processInfo.environment,
        console: ConsoleOutput = .process
    ) -> Int32 {
        main(arguments: arguments, raw: nil, environment: environment, console: console)
    }

    private static func main(
        arguments: [String], raw: RawCommandLine?, environment: [String: String], console: ConsoleOutput
    ) -> Int32 {
        let options: CLIOptions
        do {
            options = try CLIArguments.parse(arguments)
        } catch {
            return usageError(error.message, console: console)
        }
        if options.help {
            console.standardOutput(CLIArguments.help)
            return 0
        }
        if let directory = options.parseDirectory {
            return parse(
                directory, format: options.parseFormat, trainingType: options.trainingType, console: console)
        }
        if let logFile = options.reportLogFile {
            return report(logFile, output: options.output, console: console)
        }
        if let path = options.profilePath {
            return profile(path, idleWatts: options.idleWatts, console: console)
        }
        // --diagnose and a tracked command use the keys alike: from --api_keys, --api-keys-file or the
        // environment (--diagnose cannot be combined with --parse or --report).
        let apiKeys: [String: String]?
        do {
            apiKeys = try CLIArguments.resolveAPIKeys(options, environment: environment)
        } catch {
            return usageError(error.message, console: console)
        }
        if options.diagnose {
            return diagnose(options, apiKeys: apiKeys, environment: environment, console: console)
        }
        return track(options, raw: raw, apiKeys: apiKeys, environment: environment, console: console)
    }

    private static func usageError(_ message: String, console: ConsoleOutput) -> Int32 {
        console.standardError(
            "carbontracker: error: \(message)\n\(CLIArguments.usage)\nTry 'carbontracker --help' for more.\n")
        return 2
    }

    private static func failure(_ message: String, console: ConsoleOutput) -> Int32 {
        console.standardError("carbontracker: error: \(message)\n")
        return 1
    }

    private static func diagnose(
        _ options: CLIOptions, apiKeys: [String: String]?, environment: [String: String],
        console: ConsoleOutput
    ) -> Int32 {
        do {
            let diagnosis = try Diagnosis.run(
                Diagnosis.Options(
                    environment: environment, components: options.components,
                    measurementSeconds: options.diagnoseSeconds, apiKeys: apiKeys))
            console.standardOutput(diagnosis.text)
            return diagnosis.exitStatus
        } catch {
            return usageError(describe(error), console: console)
        }
    }

    private static func parse(
        _ directory: String, format: ParseFormat, trainingType: String?, console: ConsoleOutput
    ) -> Int32 {
        do {
            if format == .text {
                let aggregate = try LogParser.aggregateConsumption(logDir: directory)
                for warning in aggregate.warnings {
                    console.standardError("CarbonTracker: WARNING - \(warning)\n")
                }
                if aggregate.energyKilowattHoursRange != nil && aggregate.runsWithoutRange > 0 {
                    console.standardError(
                        "CarbonTracker: WARNING - \(aggregate.runsWithoutRange) run(s) logged no range (Python "
                            + "logs, or logs from before ranges); their figures enter the bounds unwidened.\n"
                    )
                }
                // One line per distributed job, then Python's sentence for the whole directory.
                let jobLines = aggregate.jobs.map { $0.summaryLine + "\n" }.joined()
                console.standardOutput(jobLines + aggregate.sentence + "\n")
                return 0
            }
            // One streaming pass: memory grows with the number of runs, not with their epochs.
            let logs = try LogExport.Directory(logDir: directory)
            // JSON carries its warnings inside; the other formats keep standard output clean for a file.
            if format != .json {
                for warning in logs.warnings {
                    console.standardError("carbontracker: warning: \(warning)\n")
                }
            }
            switch format {
            case .text: break
            case .json: console.standardOutput(LogExport.json(logs))
            case .csv: console.standardOutput(LogExport.codeCarbonCSV(logs))
            case .modelCard: console.standardOutput(LogExport.modelCard(logs, trainingType: trainingType))
            }
            return 0
        } catch {
            return failure(describe(error), console: console)
        }
    }

    private static func report(_ logFile: String, output: String, console: ConsoleOutput) -> Int32 {
        if output.lowercased().hasSuffix(".pdf") {
            return usageError(
                "PDF reports are not supported; use an .html output, e.g. --output "
                    + "\(String(output.dropLast(4))).html, and print it to PDF from a browser if needed",
                console: console)
        }
        do {
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: logFile, isDirectory: &isDirectory),
                isDirectory.boolValue
            {
                let report = try DirectoryReport(logDirectory: logFile)
                for warning in report.warnings {
                    console.standardError("carbontracker: warning: \(warning)\n")
                }
                try report.write(toFile: output)
            } else {
                let report = try HTMLReport(standardLogFile: logFile)
                for warning in report.warnings {
                    console.standardError("carbontracker: warning: \(warning)\n")
                }
                try report.write(toFile: output)
            }
            console.standardOutput("Report generated: \(output)\n")
            return 0
        } catch {
            return failure(describe(error), console: console)
        }
    }

    private static func track(
        _ options: CLIOptions, raw: RawCommandLine?, apiKeys: [String: String]?,
        environment: [String: String],
        console: ConsoleOutput
    ) -> Int32 {
        // The command's words and PATH as bytes: what is not UTF-8 reaches the command unchanged.
        let command = raw?.command(count: options.command.count) ?? options.command.map { Array($0.utf8) }
        let searchPath: [UInt8]? =
            raw == nil
            ? environment["PATH"].map { Array($0.utf8) }
            : getenv("PATH").map {
                Array(UnsafeBufferPointer(start: $0, count: strlen($0))).map(UInt8.init(bitPattern:))
            }
        let executable: [UInt8]
        do {
            executable = try ChildProcess.resolve(bytes: command[0], searchPath: searchPath)
        } catch {
            console.standardError("carbontracker: \(error.message)\n")
            return error.status
        }
        var logDir = options.logDir
        if let bytes = raw?.logDirectoryBytes(options.logDir) {
            do {
                logDir = try RawCommandLine.openLogDirectory(bytes)
            } catch {
                return usageError(error.message, console: console)
            }
        }
        // Installed before the tracker starts and kept until its final report is written: a signal
        // meant for the command (Slurm's USR1 warning, a TERM) neither kills this process before the
        // command runs (it is forwarded once it does) nor after it ended, while the logs are written.
        var forwarder = SignalForwarder()
        forwarder.install()
        defer { forwarder.uninstall() }
        let epochsFromLines = options.epochs != nil
        // The command's marks arrive on a pipe read by a thread of its own; without the pipe it still runs.
        // Opened before anything else, so its number is small (a shell's `>&N` takes one digit).
        let control: ControlChannel?
        do {
            control = try ControlChannel()
        } catch {
            console.standardError(
                "carbontracker: warning: \(error.message); the command cannot mark epochs\n")
            control = nil
        }
        var tracker: CarbonTracker?
        // The command's own work is measured: a cgroup of its own, else this process's tree.
        let cgroup = CommandCgroup.make(environment: environment)
        defer { cgroup?.remove() }
        var trackerOptions = TrackerOptions(
            console: console, environment: environment, emissionsCSV: options.emissionsCSV)
        let requested = environment["CARBONTRACKER_SCOPE"]?.trimmingCharacters(in: .whitespaces) ?? ""
        if requested.isEmpty || requested.lowercased() == "auto" {
            trackerOptions.scope = cgroup?.directory ?? CommandCgroup.fallbackScope
        }
        do {
            tracker = try CarbonTracker(
                epochs: options.epochs ?? 1,
                epochsBeforePred: options.epochsBeforePred ?? (epochsFromLines ? 1 : 0),
                monitorEpochs: options.monitorEpochs ?? -1, updateInterval: options.updateInterval ?? 1,
                components: options.components, logDir: logDir,
                apiKeys: apiKeys,
                simCPU: options.simCPU, simCPUTDP: options.simCPUTDP, simCPUUtil: options.simCPUUtil,
                simGPU: options.simGPU, simGPUWatts: options.simGPUWatts, simGPUUtil: options.simGPUUtil,
                options: trackerOptions)
            if !epochsFromLines { try tracker?.epochStart() }
        } catch let error as CarbonTrackerError where error.code == .invalidConfiguration {
            return usageError(error.message, console: console)
        } catch {
            // The command still runs: losing the measurement costs less than losing the user's job.
            console.standardError("carbontracker: warning: not tracking: \(describe(error))\n")
            tracker = nil
        }
        let handler = ControlLineHandler(tracker: tracker, epochsFromLines: epochsFromLines, console: console)
        control?.start(handler.handle)
        let status: Int32
        do {
            status = try WrappedCommand.run(
                executable: executable, arguments: command, forwarder: forwarder, control: control,
                cgroup: cgroup)
        } catch {
            console.standardError("carbontracker: \(error.message)\n")
            control?.finish()
            try? tracker?.stop()
            tracker?.awaitFinalPush()
            return error.status
        }
        // Every line the command wrote before it ended is applied before the run is closed.
        control?.finish()
        handler.finish()
        if epochsFromLines && tracker != nil && control != nil && !handler.sawEpochLine {
            console.standardError(
                "carbontracker: warning: --epochs was given but the command wrote no epoch_start line to "
                    + "the descriptor in \(ControlChannel.variable); no epoch was measured\n")
        }
        do {
            if !epochsFromLines { try tracker?.epochEnd() }
            try tracker?.stop()
        } catch {
            console.standardError("carbontracker: warning: \(describe(error))\n")
        }
        // The command has ended; the run's final totals go to the Pushgateway (when one is set) before
        // this process exits, waiting at most the push time-out and one second.
        tracker?.awaitFinalPush()
        return status
    }

    private static func profile(_ path: String, idleWatts: Double?, console: ConsoleOutput) -> Int32 {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            return failure(
                "--profile: '\(path)' does not exist; give a log file or a log directory", console: console)
        }
        let directory = isDirectory.boolValue ? path : (path as NSString).deletingLastPathComponent
        do {
            let parse = try LogParser.parseAllLogs(logDir: directory.isEmpty ? "." : directory)
            for warning in parse.warnings { console.standardError("carbontracker: warning: \(warning)\n") }
            var entries = parse.entries
            if !isDirectory.boolValue {
                let name = (path as NSString).lastPathComponent
                entries = entries.filter { entry in
                    [entry.standardFile, entry.outputFile, entry.eventLogFile ?? ""].contains {
                        ($0 as NSString).lastPathComponent == name
                    }
                }
                guard !entries.isEmpty else {
                    return failure(
                        "--profile: '\(path)' is not a carbontracker log of a run; give a "
                            + "..._carbontracker.log, its _output.log or _events.jsonl, or a log directory",
                        console: console)
                }
            }
            console.standardOutput(ProfileText.describe(entries, idleWatts: idleWatts))
            return 0
        } catch {
            return failure(describe(error), console: console)
        }
    }

    private static func describe(_ error: any Error) -> String {
        (error as? CarbonTrackerError)?.message ?? "\(error)"
    }
}
