import CarbonTracker
import Foundation

/// Parses the `carbontracker` command line from one table of flags, so adding a flag is one row.
///
/// Options come first, as `--name value` or `--name=value`; the first argument that is not an
/// option, or everything after `--`, is the command. Unlike Python's `parse_known_args`, flags after
/// the command belong to the command (`carbontracker python train.py --output x` passes `--output x`
/// to `train.py`), and unknown flags are errors rather than the start of the command.
enum CLIArguments {
    /// How a flag's value is read.
    enum Value: Sendable {
        case none(@Sendable (inout CLIOptions) -> Void)
        case text(@Sendable (inout CLIOptions, String) -> Void)
        case number(@Sendable (inout CLIOptions, Double) -> Void)
        case integer(@Sendable (inout CLIOptions, Int) -> Void)
        case keys(@Sendable (inout CLIOptions, [String: String]) -> Void)
        case parseFormat(@Sendable (inout CLIOptions, ParseFormat) -> Void)
    }

    /// One flag: every spelling, the help line, and what it sets.
    struct Flag: Sendable {
        var names: [String]
        var placeholder: String?
        var help: String
        var value: Value
    }

    static let flags: [Flag] = [
        Flag(names: ["--help", "-h"], help: "Show this help and exit.", value: .none { $0.help = true }),
        Flag(
            names: ["--log_dir", "--log-dir"], placeholder: "DIR",
            help: "Log directory for tracked commands (default ./logs).", value: .text { $0.logDir = $1 }),
        Flag(
            names: ["--api_keys", "--api-keys"], placeholder: "JSON",
            help: "Intensity provider keys, e.g. '{\"electricitymaps\": \"KEY\"}' (visible in ps).",
            value: .keys { $0.apiKeys = $1 }),
        Flag(
            names: ["--api-keys-file", "--api_keys_file"], placeholder: "PATH",
            help: "Read the provider keys (the same JSON) from PATH.",
            value: .text { $0.apiKeysFile = $1 }),
        Flag(
            names: ["--parse"], placeholder: "DIR",
            help: "Print one line per distributed job and the total consumption of DIR, and exit.",
            value: .text { $0.parseDirectory = $1 }),
        Flag(
            names: ["--format"], placeholder: "FORMAT",
            help: "How --parse prints: text (default), json, csv (CodeCarbon rows) or model-card.",
            value: .parseFormat { $0.parseFormat = $1 }),
        Flag(
            names: ["--training-type", "--training_type"], placeholder: "TYPE",
            help: "training_type of --format model-card, e.g. pre-training or fine-tuning.",
            value: .text { $0.trainingType = $1 }),
        Flag(
            names: ["--emissions-csv", "--emissions_csv"], placeholder: "PATH",
            help: "Append the tracked run to a CodeCarbon-compatible CSV.",
            value: .text { $0.emissionsCSV = $1 }),
        Flag(
            names: ["--report"], placeholder: "LOGFILE|DIR",
            help: "Write an HTML report of the run in LOGFILE (a ..._carbontracker.log), or of every run and "
                + "job in the log directory DIR, and exit.",
            value: .text { $0.reportLogFile = $1 }),
        Flag(
            names: ["--output"], placeholder: "PATH",
            help: "Where --report writes (default carbon_report.html).",
            value: .text { $0.output = $1 }),
        Flag(
            names: ["--diagnose"],
            help: "Show which power source each component uses and why, the carbon intensity, and a 5 s "
                + "measurement; exit 0 when every component is measured, 1 otherwise.",
            value: .none { $0.diagnose = true }),
        Flag(
            names: ["--diagnose-seconds"], placeholder: "SECONDS",
            help: "How long --diagnose measures (default 5).", value: .number { $0.diagnoseSeconds = $1 }),
        Flag(
            names: ["--components"], placeholder: "LIST",
            help: "Components to measure: all (default), cpu, gpu or gpu,cpu.",
            value: .text { $0.components = $1 }),
        Flag(
            names: ["--sim-cpu", "--sim_cpu"], placeholder: "NAME",
            help: "Simulated CPU name (needs --sim-cpu-tdp).", value: .text { $0.simCPU = $1 }),
        Flag(
            names: ["--sim-cpu-tdp", "--sim_cpu_tdp"], placeholder: "WATTS",
            help: "Simulated CPU TDP in watts.",
            value: .number { $0.simCPUTDP = $1 }),
        Flag(
            names: ["--sim-cpu-util", "--sim_cpu_util"], placeholder: "0..1",
            help: "Simulated CPU utilisation (default 0.5).", value: .number { $0.simCPUUtil = $1 }),
        Flag(
            names: ["--sim-gpu", "--sim_gpu"], placeholder: "NAME",
            help: "Simulated GPU name (needs --sim-gpu-watts).", value: .text { $0.simGPU = $1 }),
        Flag(
            names: ["--sim-gpu-watts", "--sim_gpu_watts"], placeholder: "WATTS",
            help: "Simulated GPU power in watts.", value: .number { $0.simGPUWatts = $1 }),
        Flag(
            names: ["--sim-gpu-util", "--sim_gpu_util"], placeholder: "0..1",
            help: "Simulated GPU utilisation (default 0.5).", value: .number { $0.simGPUUtil = $1 }),
        Flag(
            names: ["--profile"], placeholder: "LOG|DIR",
            help: "Print the energy profile of the windows (regions) of a run's log, or of every run in DIR.",
            value: .text { $0.profilePath = $1 }),
        Flag(
            names: ["--idle-watts", "--idle_watts"], placeholder: "WATTS",
            help: "With --profile: the devices' idle power, for each region's energy above idle.",
            value: .number { $0.idleWatts = $1 }),
        Flag(
            names: ["--epochs"], placeholder: "N",
            help: "The command runs N epochs and marks them on \(ControlChannel.variable) (see below).",
            value: .integer { $0.epochs = $1 }),
        Flag(
            names: ["--epochs-before-pred", "--epochs_before_pred"], placeholder: "N",
            help: "With --epochs: epochs before the prediction (default 1; 0 none, -1 after all).",
            value: .integer { $0.epochsBeforePred = $1 }),
        Flag(
            names: ["--monitor-epochs", "--monitor_epochs"], placeholder: "N",
            help: "With --epochs: epochs to monitor (default -1, all).",
            value: .integer { $0.monitorEpochs = $1 }),
        Flag(
            names: ["--update-interval", "--update_interval"], placeholder: "SECONDS",
            help: "Seconds between power samples (default 1).", value: .number { $0.updateInterval = $1 }),
    ]

    /// Parses the arguments after the program name.
    /// - Throws: ``CLIUsageError`` for an unknown flag, a missing or bad value, or a bad combination.
    static func parse(_ arguments: [String]) throws(CLIUsageError) -> CLIOptions {
        var options = CLIOptions()
        var index = 0
        while index < arguments.count {
            let argument = arguments[index]
            if argument == "--" {
                options.command = Array(arguments[(index + 1)...])
                break
            }
            guard argument.hasPrefix("-"), argument != "-" else {
                options.command = Array(arguments[index...])
                break
            }
            var name = argument
            var inlineValue: String?
            if argument.hasPrefix("--"), let equals = argument.firstIndex(of: "=") {
                name = String(argument[..<equals])
                inlineValue = String(argument[argument.index(after: equals)...])
            }
            guard let flag = flags.first(where: { $0.names.contains(name) }) else {
                throw CLIUsageError(message: "unknown option '\(name)'")
            }
            if case .none(let apply) = flag.value {
                guard inlineValue == nil else {
                    throw CLIUsageError(message: "option \(name) takes no value")
                }
                apply(&options)
                index += 1
                continue
            }
            let value: String
            if let inlineValue {
                value = inlineValue
                index += 1
            } else {
                guard index + 1 < arguments.count else {
                    throw CLIUsageError(
                        message: "option \(name) needs a value (\(flag.placeholder ?? "VALUE"))")
                }
                value = arguments[index + 1]
                index += 2
            }
            try apply(flag.value, name: name, value: value, to: &options)
        }
        try validate(options)
        return options
    }

    private static func apply(
        _ kind: Value, name: String, value: String, to options: inout CLIOptions
    ) throws(CLIUsageError) {
        switch kind {
        case .none(let apply):
            apply(&options)
        case .text(let apply):
            guard !value.isEmpty else {
                throw CLIUsageError(message: "option \(name) needs a non-empty value")
            }
            apply(&options, value)
        case .number(let apply):
            guard let number = Double(value), !value.lowercased().hasPrefix("0x") else {
                throw CLIUsageError(message: "option \(name): '\(value)' is not a number")
            }
            guard number.isFinite else {
                throw CLIUsageError(message: "option \(name): '\(value)' is not a finite number")
            }
            apply(&options, number)
        case .integer(let apply):
            guard let number = Int(value) else {
                throw CLIUsageError(message: "option \(name): '\(value)' is not a whole number")
            }
            apply(&options, number)
        case .keys(let apply):
            apply(&options, try apiKeys(value, name: name))
        case .parseFormat(let apply):
            guard let format = ParseFormat(rawValue: value) else {
                let formats = ParseFormat.allCases.map(\.rawValue).joined(separator: ", ")
                throw CLIUsageError(message: "option \(name): '\(value)' is not one of \(formats)")
            }
            apply(&options, format)
        }
    }

    /// The environment variable that may hold the provider keys, as `--api-keys` takes them.
    static let apiKeysVariable = "CARBONTRACKER_API_KEYS"

    /// The provider keys for a tracked command: from `--api-keys`, else the file of `--api-keys-file`,
    /// else ``apiKeysVariable``; `nil` when none is given. No message quotes a key.
    /// - Throws: ``CLIUsageError`` when the file cannot be read or a value is not a JSON object of strings.
    static func resolveAPIKeys(_ options: CLIOptions, environment: [String: String]) throws(CLIUsageError)
        -> [String: String]?
    {
        if let keys = options.apiKeys { return keys }
        if let path = options.apiKeysFile {
            let data: [UInt8]
            switch BoundedFile.read(path, limit: BoundedFile.keyFileLimit) {
            case .success(let bytes): data = bytes
            case .failure(let failure):
                let hint =
                    failure.code == nil
                    ? "; give a small JSON file such as {\"electricitymaps\": \"KEY\"}" : ""
                throw CLIUsageError(
                    message: "--api-keys-file: cannot read '\(path)': \(failure.reason)\(hint)")
            }
            return try apiKeys(
                String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines),
                name: "--api-keys-file '\(path)'")
        }
        if let text = environment[apiKeysVariable], !text.isEmpty {
            return try apiKeys(text, name: apiKeysVariable)
        }
        return nil
    }

    /// Reads `{"provider": "KEY"}`; Python-style single quotes are accepted too, as Python's
    /// `ast.literal_eval` did.
    static func apiKeys(_ text: String, name: String) throws(CLIUsageError) -> [String: String] {
        for candidate in [text, text.replacingOccurrences(of: "'", with: "\"")] {
            if let object = try? JSONSerialization.jsonObject(with: Data(candidate.utf8)),
                let keys = object as? [String: String]
            {
                return keys
            }
        }
        throw CLIUsageError(
            message: "option \(name): expected a JSON object of strings like '{\"electricitymaps\": \"KEY\"}'"
        )
    }

    private static func validate(_ options: CLIOptions) throws(CLIUsageError) {
        if options.help { return }
        if options.apiKeys != nil && options.apiKeysFile != nil {
            throw CLIUsageError(message: "--api-keys and --api-keys-file cannot be used together")
        }
        if options.parseDirectory == nil && options.parseFormat != .text {
            throw CLIUsageError(message: "--format applies to --parse DIR only")
        }
        if options.trainingType != nil && options.parseFormat != .modelCard {
            throw CLIUsageError(message: "--training-type applies to --parse DIR --format model-card only")
        }
        if options.emissionsCSV != nil && (options.parseDirectory != nil || options.reportLogFile != nil) {
            throw CLIUsageError(message: "--emissions-csv applies to a tracked command only")
        }
        if options.parseDirectory != nil && options.reportLogFile != nil {
            throw CLIUsageError(message: "--parse and --report cannot be used together")
        }
        if options.idleWatts != nil && options.profilePath == nil {
            throw CLIUsageError(message: "--idle-watts applies with --profile only")
        }
        if options.profilePath != nil {
            if options.parseDirectory != nil || options.reportLogFile != nil || options.diagnose {
                throw CLIUsageError(message: "--profile cannot be used with --parse, --report or --diagnose")
            }
            if !options.command.isEmpty {
                throw CLIUsageError(
                    message: "--profile does not run a command; remove '\(options.command[0])'")
            }
            return
        }
        if options.diagnose {
            if options.parseDirectory != nil || options.reportLogFile != nil {
                throw CLIUsageError(message: "--diagnose cannot be used with --parse or --report")
            }
            if !options.command.isEmpty {
                throw CLIUsageError(
                    message: "--diagnose does not run a command; remove '\(options.command[0])'")
            }
            guard options.diagnoseSeconds >= 0, options.diagnoseSeconds <= 3600 else {
                throw CLIUsageError(message: "--diagnose-seconds must be between 0 and 3600")
            }
            return
        }
        if options.parseDirectory != nil || options.reportLogFile != nil {
            if !options.command.isEmpty {
                throw CLIUsageError(
                    message: "--parse and --report do not run a command; remove '\(options.command[0])'")
            }
            return
        }
        if options.command.isEmpty {
            throw CLIUsageError(message: "no command to run")
        }
        if options.epochs == nil && (options.epochsBeforePred != nil || options.monitorEpochs != nil) {
            throw CLIUsageError(
                message: "--epochs-before-pred and --monitor-epochs apply with --epochs N only")
        }
    }

    /// The full help text.
    static var help: String {
        var lines = [
            usage, "",
            "Runs COMMAND (without a shell) as one tracked epoch: its energy use and carbon footprint are",
            "printed and logged. Standard streams pass through, every signal sent to carbontracker (USR1,",
            "TERM, INT, ...) is forwarded to it, and the exit status is the command's (128 + signal number",
            "if it was killed).", "",
            "Provider keys can also come from a file (--api-keys-file) or the environment variable",
            "\(apiKeysVariable), which keeps them out of the process list.", "",
            "The command can mark epochs and named regions: it writes the lines epoch_start, epoch_end,",
            "begin NAME and end NAME to the file descriptor whose number is in \(ControlChannel.variable).",
            "With --epochs N each epoch is reported and predicted as by the library; without it the",
            "whole command is one epoch and only the regions are measured.", "", "Options:",
        ]
        for flag in flags {
            let names = flag.names.joined(separator: ", ")
            let left = "  " + names + (flag.placeholder.map { " " + $0 } ?? "")
            let padded =
                left.count < 34 ? left.padding(toLength: 34, withPad: " ", startingAt: 0) : left + "  "
            lines.append(padded + flag.help)
        }
        lines += [
            "", "Examples:", "  carbontracker --sim-cpu Xeon --sim-cpu-tdp 100 -- python train.py",
            "  carbontracker --epochs 10 -- python train.py",
            "  carbontracker --parse ./logs",
            "  carbontracker --parse ./logs --format csv > emissions.csv",
            "  carbontracker --diagnose",
            "  carbontracker --profile ./logs",
            "  carbontracker --report ./logs/1234.5_2026-01-01T000000Z_carbontracker.log --output report.html",
            "  carbontracker --report ./logs --output logs.html",
        ]
        return lines.joined(separator: "\n") + "\n"
    }

    /// The one-line usage.
    static let usage =
        "usage: carbontracker [options] [--] COMMAND [ARGS...] | --parse DIR [--format FORMAT] "
        + "| --report LOGFILE|DIR [--output PATH] | --profile LOG|DIR | --diagnose"
}
