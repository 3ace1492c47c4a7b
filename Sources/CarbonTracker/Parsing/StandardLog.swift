import Foundation

extension LogParser {
    /// Everything read from one standard log (`..._carbontracker.log`), in the order it was written.
    ///
    /// ```swift
    /// let log = try LogParser.parseStandardLog(file: path)
    /// for epoch in log.epochs { print(epoch.number, epoch.durationSeconds ?? .nan) }
    /// ```
    ///
    /// Reading costs one pass over the file; memory grows with the number of epochs, not the file size.
    public struct StandardLog: Sendable, Equatable {
        /// The carbontracker version that wrote the log ("2.4.7", "2.4.7-swift.1").
        public var version: String?
        /// The power-usage-effectiveness factor named in the log (1.58 in 2.4.7).
        public var powerUsageEffectiveness: Double?
        /// The components and their devices, from "The following components were found: ...".
        public var components: [ComponentDevices] = []
        /// Every epoch, in log order.
        public var epochs: [Epoch] = []
        /// Every measurement window (``EnergyMonitor``), in log order.
        public var windows: [Window] = []
        /// Whether training stopped before all monitored epochs ("Training was interrupted ...").
        public var earlyStop = false
        /// The carbon intensity the run used, when the log got that far.
        public var intensity: Intensity?
        /// Whether the log was closed normally ("Monitoring thread ended.").
        public var isComplete = false
        /// The first and last line timestamps, as written (local time, `YYYY-MM-DD HH:MM:SS`).
        public var firstTimestamp: String?
        /// The last line timestamp, as written.
        public var lastTimestamp: String?
        /// What could not be read (a partial last line, an unreadable value), one sentence each.
        public var warnings: [String] = []
        /// Who the run was in a distributed job ("Distributed run: ..."); `nil` for a single process.
        public var distributed: DistributedRun?
        /// The run's power over time, from the event log's `power_series` event; `nil` for text logs
        /// and runs that did not end normally.
        public var powerSeries: PowerTimeSeries?
        /// The epochs a streaming read added up and let go of (``epochs`` then holds only the later
        /// ones); empty for a full read.
        var foldedEpochs = EpochSummary()
        /// The same epochs counted as a job's total counts a run alone, for a run without a final report.
        var foldedEnergy = JobTotal.RunFold()

        /// Creates an empty log.
        public init() {}
    }

    /// A component named in the standard log and its devices.
    public struct ComponentDevices: Sendable, Equatable {
        /// The component in lower case, as in the power lines ("gpu", "cpu").
        public var name: String
        /// The device names.
        public var devices: [String]

        /// Creates a component entry.
        /// - Parameters:
        ///   - name: The component in lower case.
        ///   - devices: The device names.
        public init(name: String, devices: [String]) {
            self.name = name
            self.devices = devices
        }
    }

    /// One epoch's lines in the standard log.
    public struct Epoch: Sendable, Equatable {
        /// The epoch number ("Epoch 3:"), or the position in the log when the header is missing.
        public var number: Int
        /// The epoch's duration in seconds; `nil` when the line is missing (a truncated log).
        public var durationSeconds: Double?
        /// Per-component figures, in log order.
        public var components: [EpochComponent] = []
        /// When the epoch began, to the millisecond; only event logs record it.
        public var startDate: Date? = nil
        /// Low and high bounds of the energy in kilowatt-hours, with the PUE factor; `nil` when the log
        /// gives none (Python logs, logs from before ranges).
        public var energyKilowattHoursRange: ClosedRange<Double>? = nil
        /// Low and high bounds of the grams of CO2-equivalent; `nil` when the log gives none.
        public var co2eqGramsRange: ClosedRange<Double>? = nil

        /// Creates an epoch.
        /// - Parameters:
        ///   - number: The epoch number.
        ///   - durationSeconds: The duration in seconds.
        public init(number: Int, durationSeconds: Double? = nil) {
            self.number = number
            self.durationSeconds = durationSeconds
        }

        /// The figures of one component in this epoch.
        /// - Parameter name: The component in lower case ("gpu", "cpu").
        /// - Returns: The figures, or `nil` when the epoch has no line for it.
        public func component(_ name: String) -> EpochComponent? {
            components.first { $0.name == name }
        }
    }

    /// One component's figures in one epoch.
    public struct EpochComponent: Sendable, Equatable {
        /// The component in lower case ("gpu", "cpu").
        public var name: String
        /// Average power per device in watts; empty when the log says `None` (no sample in the epoch).
        public var averagePowerWatts: [Double]
        /// Energy per device in joules from the provenance line (logs written by this package);
        /// `nil` for Python logs.
        public var measuredEnergyJoules: [Double]?
        /// How the energy was obtained, from the provenance line; `nil` for Python logs.
        public var measurementMethod: MeasurementMethod?

        /// Creates a component's epoch figures.
        /// - Parameters:
        ///   - name: The component in lower case.
        ///   - averagePowerWatts: Average power per device in watts.
        ///   - measuredEnergyJoules: Energy per device in joules, when logged.
        ///   - measurementMethod: How the energy was obtained, when logged.
        public init(
            name: String, averagePowerWatts: [Double], measuredEnergyJoules: [Double]? = nil,
            measurementMethod: MeasurementMethod? = nil
        ) {
            self.name = name
            self.averagePowerWatts = averagePowerWatts
            self.measuredEnergyJoules = measuredEnergyJoules
            self.measurementMethod = measurementMethod
        }

        /// The epoch's energy over all devices in joules: the measured value when logged, else
        /// average power × duration.
        /// - Parameter durationSeconds: The epoch's duration in seconds.
        /// - Returns: Joules, without the PUE factor.
        public func energyJoules(durationSeconds: Double) -> Double {
            if let measured = measuredEnergyJoules { return measured.reduce(0, +) }
            return averagePowerWatts.reduce(0, +) * durationSeconds
        }
    }

    /// The carbon intensity lines at the end of a standard log.
    public struct Intensity: Sendable, Equatable {
        /// The location as logged ("Copenhagen, Capital Region, DK", "Unknown").
        public var location: String?
        /// Every value fetched during the run, in gCO2eq/kWh.
        public var valuesGramsPerKilowattHour: [Double] = []
        /// Seconds between fetches.
        public var refreshIntervalSeconds: Double?
        /// The average during training in gCO2eq/kWh ("Average carbon intensity during training was ...").
        public var averageGramsPerKilowattHour: Double?
        /// ISO 3166 alpha-2 country code; only event logs record it.
        public var countryCode: String?

        /// Creates an empty record.
        public init() {}
    }
}
