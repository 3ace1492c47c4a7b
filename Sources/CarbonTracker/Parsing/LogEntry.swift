extension LogParser {
    /// One run in a log directory: its standard and output logs read together (Python's
    /// `parse_all_logs` entry).
    public struct Entry: Sendable, Equatable {
        /// Path of the standard log; empty for a run read from an event log whose text logs are gone.
        public var standardFile: String
        /// Path of the output log; empty for a run read from an event log whose text logs are gone.
        public var outputFile: String
        /// Per-component figures (Python's `components`).
        public var components: [ComponentLog]
        /// Whether training stopped before all monitored epochs.
        public var earlyStop: Bool
        /// The actual consumption report, when the output log has a complete one.
        public var actual: Consumption?
        /// The predicted consumption report, when the output log has a complete one.
        public var predicted: Consumption?
        /// Everything read from the standard log, or the same records built from the event log.
        public var standardLog: StandardLog
        /// Path of the event log the run was read from (`..._carbontracker_events.jsonl`), preferred
        /// to the text logs when present; `nil` when the run was read from its text logs.
        public var eventLogFile: String? = nil

        /// The measurement windows logged in this run.
        public var windows: [Window] { standardLog.windows }
        /// The run's power over time, when its event log holds it.
        public var powerSeries: PowerTimeSeries? { standardLog.powerSeries }

        /// The report this run contributes to an aggregate: the actual one when training stopped
        /// early or when it covers as many epochs as the prediction, else the prediction; whichever
        /// exists when only one does.
        public var aggregatedConsumption: Consumption? {
            Self.aggregatedConsumption(actual: actual, predicted: predicted, earlyStop: earlyStop)
        }

        /// The rule of ``aggregatedConsumption``, for a run read without building its entry.
        static func aggregatedConsumption(
            actual: Consumption?, predicted: Consumption?, earlyStop: Bool
        ) -> Consumption? {
            switch (actual, predicted) {
            case (nil, nil): return nil
            case (let actual?, nil): return actual
            case (nil, let predicted?): return predicted
            case (let actual?, let predicted?):
                return earlyStop || actual.epochs == predicted.epochs ? actual : predicted
            }
        }
    }

    /// A file that was skipped or only partly read, and why.
    public struct Warning: Sendable, Equatable, CustomStringConvertible {
        /// The file's path.
        public var file: String
        /// What happened, in a sentence.
        public var message: String

        /// Creates a warning.
        /// - Parameters:
        ///   - file: The file's path.
        ///   - message: What happened.
        public init(file: String, message: String) {
            self.file = file
            self.message = message
        }

        /// `path: message`.
        public var description: String { "\(file): \(message)" }
    }

    /// Every run read from a log directory, plus what had to be skipped.
    public struct DirectoryParse: Sendable, Equatable {
        /// The runs, ordered by standard-log path.
        public var entries: [Entry]
        /// Files skipped or partly read.
        public var warnings: [Warning]

        /// Creates a set of runs, for example a filtered part of a directory to aggregate.
        /// - Parameters:
        ///   - entries: The runs.
        ///   - warnings: Files skipped or partly read.
        public init(entries: [Entry], warnings: [Warning] = []) {
            self.entries = entries
            self.warnings = warnings
        }
    }
}
