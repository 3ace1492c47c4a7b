/// What the `carbontracker` command line asks for, after parsing.
struct CLIOptions: Equatable, Sendable {
    /// Where tracked runs write their logs (`--log_dir`).
    var logDir = "./logs"
    /// Carbon-intensity provider keys (`--api_keys`).
    var apiKeys: [String: String]?
    /// A file holding the provider keys (`--api-keys-file`).
    var apiKeysFile: String?
    /// A log directory whose runs to add up (`--parse`).
    var parseDirectory: String?
    /// A standard log to turn into a report (`--report`).
    var reportLogFile: String?
    /// Where the report goes (`--output`).
    var output = "carbon_report.html"
    /// Simulated CPU name (`--sim-cpu`).
    var simCPU: String?
    /// Simulated CPU TDP in watts (`--sim-cpu-tdp`).
    var simCPUTDP: Double?
    /// Simulated CPU utilisation in 0...1 (`--sim-cpu-util`).
    var simCPUUtil: Double?
    /// Simulated GPU name (`--sim-gpu`).
    var simGPU: String?
    /// Simulated GPU power in watts (`--sim-gpu-watts`).
    var simGPUWatts: Double?
    /// Simulated GPU utilisation in 0...1 (`--sim-gpu-util`).
    var simGPUUtil: Double?
    /// How `--parse` prints the directory (`--format`).
    var parseFormat = ParseFormat.text
    /// The training type for `--format model-card` (`--training-type`).
    var trainingType: String?
    /// A CodeCarbon-compatible CSV a tracked command's run is appended to (`--emissions-csv`).
    var emissionsCSV: String?
    /// `--help` was given.
    var help = false
    /// The program to run and its arguments.
    var command: [String] = []
    /// `--diagnose` was given.
    var diagnose = false
    /// How long `--diagnose` measures, in seconds (`--diagnose-seconds`).
    var diagnoseSeconds = 5.0
    /// The components to measure (`--components`), as `CarbonTracker(components:)` takes them.
    var components = "all"
    /// The epochs the command runs, marked on its control descriptor (`--epochs`); `nil` measures the
    /// whole command as one epoch.
    var epochs: Int?
    /// Epochs measured before the prediction (`--epochs-before-pred`, default 1 with `--epochs`).
    var epochsBeforePred: Int?
    /// Epochs monitored (`--monitor-epochs`, default all).
    var monitorEpochs: Int?
    /// Seconds between power samples (`--update-interval`, default 1).
    var updateInterval: Double?
    /// A log file or directory whose region profile to print (`--profile`).
    var profilePath: String?
    /// The devices' idle power in watts, for the profile's marginal energy (`--idle-watts`).
    var idleWatts: Double?
}

/// What `--parse DIR --format FORMAT` prints.
enum ParseFormat: String, CaseIterable, Sendable {
    /// Python's aggregate sentence (warnings on standard error).
    case text
    /// Every run's figures and the totals as JSON.
    case json
    /// CodeCarbon `emissions.csv` rows, one per run.
    case csv
    /// The Hugging Face model-card `co2_eq_emissions:` block.
    case modelCard = "model-card"
}

/// A command line that cannot be run as given; printed as one line, then the usage, exit status 2.
struct CLIUsageError: Error, Equatable, CustomStringConvertible {
    /// What is wrong, in one line.
    var message: String

    var description: String { message }
}
