extension LogParser {
    /// What the export formats take from a run's epochs, added up one epoch at a time, so that a run
    /// of any length is summarised in the memory of one epoch.
    ///
    /// ```swift
    /// var summary = LogParser.EpochSummary()
    /// for epoch in log.epochs { summary.add(epoch) }
    /// summary.durationSeconds   // the epochs' durations added up
    /// ```
    ///
    /// The figures are those of ``LogParser/ComponentLog/all(from:)`` and of a run's bounds: an epoch
    /// counts only with its duration; a component's energy in an epoch is its measured joules when
    /// logged (and not empty), else its average power times the duration. Epochs must be added in log
    /// order, since floating-point sums depend on it. Cost: a few additions per epoch, no allocation
    /// once every component has been seen.
    struct EpochSummary: Sendable, Equatable {
        /// One component's energy over the epochs that have a duration.
        struct Component: Sendable, Equatable {
            /// The component in lower case ("gpu", "cpu").
            var name: String
            /// Energy per device in joules, without PUE.
            var joules: [Double] = []
            /// The least trustworthy measurement method logged; `nil` when none was.
            var method: MeasurementMethod?
        }

        /// Epochs added, with or without a duration.
        private(set) var epochs = 0
        /// Epochs added that have a duration.
        private(set) var timedEpochs = 0
        /// The durations of the timed epochs added up, in seconds.
        private(set) var durationSeconds = 0.0
        /// Every component named in an epoch, in the order the epochs first name them.
        private(set) var components: [Component] = []
        /// The timed epochs' low energy bounds added up, in kilowatt-hours with PUE.
        private var energyLowKilowattHours = 0.0
        /// The timed epochs' high energy bounds added up, in kilowatt-hours with PUE.
        private var energyHighKilowattHours = 0.0
        /// The timed epochs' low CO2eq bounds added up, in grams.
        private var co2eqLowGrams = 0.0
        /// The timed epochs' high CO2eq bounds added up, in grams.
        private var co2eqHighGrams = 0.0
        /// Whether a timed epoch gave no bounds, which leaves the run without any.
        private var hasUnboundedEpoch = false

        /// Creates an empty summary.
        init() {}

        /// Adds the epoch after the ones added so far.
        /// - Parameter epoch: The next epoch in log order.
        mutating func add(_ epoch: Epoch) {
            epochs += 1
            for (position, component) in epoch.components.enumerated()
            where !components.contains(where: { $0.name == component.name }) {
                // A name an epoch repeats is read from its first line, as `Epoch.component(_:)` does.
                if !epoch.components[..<position].contains(where: { $0.name == component.name }) {
                    components.append(Component(name: component.name))
                }
            }
            guard let duration = epoch.durationSeconds else { return }
            timedEpochs += 1
            durationSeconds += duration
            if let energy = epoch.energyKilowattHoursRange, let co2 = epoch.co2eqGramsRange {
                energyLowKilowattHours += energy.lowerBound
                energyHighKilowattHours += energy.upperBound
                co2eqLowGrams += co2.lowerBound
                co2eqHighGrams += co2.upperBound
            } else {
                hasUnboundedEpoch = true
            }
            for index in components.indices {
                guard let figures = epoch.component(components[index].name) else { continue }
                if let measured = figures.measuredEnergyJoules, !measured.isEmpty {
                    for (device, joules) in measured.enumerated() { components[index].add(joules, device) }
                } else {
                    for (device, watts) in figures.averagePowerWatts.enumerated() {
                        components[index].add(watts * duration, device)
                    }
                }
                if let method = figures.measurementMethod {
                    components[index].method = max(components[index].method ?? method, method)
                }
            }
        }

        /// The sums of the timed epochs' bounds: `nil` when no epoch has a duration or one of them
        /// gave no bounds.
        var bounds: (energyKilowattHours: ClosedRange<Double>, co2eqGrams: ClosedRange<Double>)? {
            guard timedEpochs > 0, !hasUnboundedEpoch else { return nil }
            return (energyLowKilowattHours...energyHighKilowattHours, co2eqLowGrams...co2eqHighGrams)
        }

        /// The components in the order ``LogParser/ComponentLog/all(from:)`` lists them: those the log
        /// names first (a name it repeats, repeated), then the others as the epochs first name them.
        /// - Parameter named: The components the log names, with their devices.
        /// - Returns: Each component's name, devices, energy per device and method.
        func components(named: [ComponentDevices]) -> [(
            name: String, devices: [String], joules: [Double], method: MeasurementMethod?
        )] {
            let names =
                named.map(\.name)
                + components.map(\.name).filter { name in !named.contains { $0.name == name } }
            return names.map { name in
                let figures = components.first { $0.name == name }
                return (
                    name, named.first { $0.name == name }?.devices ?? [], figures?.joules ?? [],
                    figures?.method
                )
            }
        }
    }
}

extension LogParser.EpochSummary.Component {
    /// Adds one device's joules in one epoch; a device first seen gets its place.
    fileprivate mutating func add(_ value: Double, _ device: Int) {
        if device == joules.count { joules.append(0) }
        joules[device] += value
    }
}

extension LogParser.StandardLog {
    /// Every epoch read, summarised: those a streaming read folded away, then those it kept.
    var epochSummary: LogParser.EpochSummary {
        var summary = foldedEpochs
        for epoch in epochs { summary.add(epoch) }
        return summary
    }

    /// How many epochs were read, folded away or kept.
    var epochCount: Int { foldedEpochs.epochs + epochs.count }
}
