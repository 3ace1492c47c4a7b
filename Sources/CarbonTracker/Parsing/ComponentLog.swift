extension LogParser {
    /// One component's per-epoch figures across a run, as Python's `parse_logs` returns them.
    ///
    /// ```swift
    /// let gpu = try LogParser.parseLogs(logDir: "logs").first { $0.name == "gpu" }
    /// gpu?.averageEnergyJoules   // [[99.2], [99.2], [99.2]]
    /// ```
    ///
    /// Only epochs that have both a duration and a power line for this component are included,
    /// so the arrays stay aligned even when a component was dropped during the run.
    public struct ComponentLog: Sendable, Equatable {
        /// The component in lower case ("gpu", "cpu").
        public var name: String
        /// The device names.
        public var devices: [String]
        /// The numbers of the included epochs.
        public var epochNumbers: [Int]
        /// Average power per epoch and device in watts; `nil` when the log has no power line.
        /// An epoch logged as `None` (no sample) is an empty array.
        public var averagePowerWatts: [[Double]]?
        /// Average power × duration per epoch and device in joules; `nil` without power lines.
        public var averageEnergyJoules: [[Double]]?
        /// Durations of the included epochs in seconds; `nil` when the log has no duration line.
        public var epochDurationsSeconds: [Double]?
        /// Measured energy per epoch and device in joules from the provenance lines; `nil` for Python logs.
        public var measuredEnergyJoules: [[Double]]?
        /// The least trustworthy measurement method seen in the provenance lines; `nil` for Python logs.
        public var measurementMethod: MeasurementMethod?

        /// The component kind, when the name is one this package knows.
        public var kind: ComponentKind? { ComponentKind(rawValue: name) }
    }
}

extension LogParser.ComponentLog {
    /// Builds every component's figures from a parsed standard log.
    package static func all(from log: LogParser.StandardLog) -> [LogParser.ComponentLog] {
        var names = log.components.map(\.name)
        for epoch in log.epochs {
            for component in epoch.components where !names.contains(component.name) {
                names.append(component.name)
            }
        }
        let anyDuration = log.epochs.contains { $0.durationSeconds != nil }
        let anyPower = log.epochs.contains { !$0.components.isEmpty }
        return names.map { name in
            var numbers: [Int] = []
            var powers: [[Double]] = []
            var energies: [[Double]] = []
            var durations: [Double] = []
            var measured: [[Double]] = []
            var hasMeasured = false
            var method: MeasurementMethod?
            for epoch in log.epochs {
                guard let duration = epoch.durationSeconds, let figures = epoch.component(name) else {
                    continue
                }
                numbers.append(epoch.number)
                powers.append(figures.averagePowerWatts)
                energies.append(figures.averagePowerWatts.map { $0 * duration })
                durations.append(duration)
                measured.append(figures.measuredEnergyJoules ?? [])
                hasMeasured = hasMeasured || figures.measuredEnergyJoules != nil
                if let epochMethod = figures.measurementMethod {
                    method = max(method ?? epochMethod, epochMethod)
                }
            }
            return LogParser.ComponentLog(
                name: name,
                devices: log.components.first { $0.name == name }?.devices ?? [],
                epochNumbers: numbers,
                averagePowerWatts: anyPower ? powers : nil,
                averageEnergyJoules: anyPower && anyDuration ? energies : nil,
                epochDurationsSeconds: anyDuration ? durations : nil,
                measuredEnergyJoules: hasMeasured ? measured : nil,
                measurementMethod: method)
        }
    }
}
