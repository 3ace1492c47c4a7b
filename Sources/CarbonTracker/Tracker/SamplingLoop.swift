import Foundation

/// The sampling thread's work: reads every component each update interval and at every epoch
/// boundary, turns readings into per-epoch energy and CO2eq, and writes the logs and reports.
///
/// All of its state is confined to the sampling thread. Memory does not grow with samples: each
/// device keeps its last two points, each epoch keeps one record.
struct SamplingLoop {
    private struct Live {
        let component: any PowerComponent
        var devices: [String]
        var curves: [DeviceEnergyCurve]
    }

    /// The epoch being measured.
    private struct OpenEpoch {
        var epoch: Int
        var startTime: Double
        var startJoules: [[Double]]
        /// Joules of the epoch already multiplied by an intensity.
        var accountedJoules: Double = 0
        /// Σ joules × gCO2eq/kWh so far, without PUE.
        var gramsJoulesPerKilowattHour: Double = 0
    }

    private let monitor: Monitor
    private let config: TrackerConfiguration
    private let log: TrackerLog
    private let intensity: any CarbonIntensitySource
    private var pending: [any PowerComponent]
    private var live: [Live] = []
    private var open: OpenEpoch?
    private var epochs: [EpochMeasurement] = []
    private var finished = false

    init(monitor: Monitor, components: [any PowerComponent], intensity: any CarbonIntensitySource) {
        self.monitor = monitor
        self.config = monitor.configuration
        self.log = monitor.log
        self.intensity = intensity
        self.pending = components
    }

    mutating func run() {
        if startComponents() {
            readAll(at: monitor.clock.now())
            log.flush()
            while !finished {
                monitor.wake.wait(seconds: interval())
                tick()
            }
        }
        for item in live { item.component.shutdown() }
        intensity.stop()
        log.info("Monitoring thread ended.")
        log.output("Finished monitoring.")
        log.close()
        monitor.predictionReady.open()
        monitor.finished.open()
    }

    private func interval() -> Double {
        live.compactMap { $0.component.maximumReadInterval }.reduce(config.updateIntervalSeconds) {
            min($0, $1)
        }
    }

    // MARK: Start

    private mutating func startComponents() -> Bool {
        for component in pending {
            do {
                try component.start(diagnostics: log)
                live.append(
                    Live(
                        component: component, devices: component.devices(),
                        curves: Array(repeating: DeviceEnergyCurve(), count: component.devices().count)))
            } catch {
                log.critical(
                    "Could not start \(component.handlerName) for \(component.kind.rawValue): \(describe(error))"
                )
            }
        }
        pending = []
        let missing = config.componentKinds.filter { kind in !live.contains { $0.component.kind == kind } }
        if live.isEmpty || (!config.componentsIsAll && !missing.isEmpty) {
            fail(
                CarbonTrackerError(
                    .componentUnavailable,
                    missing.map(ComponentSelection.unavailableMessage).joined(separator: " ")
                        + " See the error log for why."))
            return false
        }
        let found = live.map { item in
            "\(item.component.kind.rawValue.uppercased()) with device(s) \(item.devices.joined(separator: ", "))."
        }
        let line = (["The following components were found:"] + found).joined(separator: " ")
        log.info(line)
        log.output(line)
        logProvenanceNotes(standardLog: true)
        publishComponents()
        log.info("Monitoring thread started.")
        return true
    }

    private func publishComponents() {
        let infos = live.map {
            ComponentInfo(
                kind: $0.component.kind, handlerName: $0.component.handlerName, devices: $0.devices,
                method: $0.component.measurementMethod())
        }
        monitor.shared.withLock { $0.components = infos }
    }

    // MARK: Sampling

    private mutating func tick() {
        let (time, requests) = monitor.shared.withLock { state -> (Double, [Monitor.Request]) in
            defer { state.requests.removeAll(keepingCapacity: true) }
            return (monitor.clock.now(), state.requests)
        }
        readAll(at: time)
        guard !finished else { return }
        let gramsPerKilowattHour = intensity.current().gramsPerKilowattHour
        for request in requests {
            switch request {
            case .epochStart(let epoch, let start):
                open = OpenEpoch(epoch: epoch, startTime: start, startJoules: joules(at: start))
            case .epochEnd(let epoch, let end):
                closeEpoch(epoch, at: end, gramsPerKilowattHour: gramsPerKilowattHour)
            case .stop(_, let interrupted):
                if interrupted { open = nil }
                log.info(
                    "Training was interrupted before all \(config.monitorEpochs) epochs were monitored.")
                reportActual()
                finished = true
            }
            if finished { break }
        }
        if var current = open {
            account(&current, upTo: time, gramsPerKilowattHour: gramsPerKilowattHour)
            open = current
        }
        log.flush()
    }

    private mutating func readAll(at time: Double) {
        var index = 0
        while index < live.count {
            let component = live[index].component
            do {
                let readings = try component.read()
                guard readings.count == live[index].curves.count else {
                    throw CarbonTrackerError.measurementFailed(
                        "\(component.handlerName) returned \(readings.count) readings for \(live[index].curves.count) devices."
                    )
                }
                for (device, reading) in readings.enumerated() {
                    live[index].curves[device].add(reading, at: time)
                }
                index += 1
            } catch let error as CarbonTrackerError
                where error.code == .permissionDenied || error.code == .componentUnavailable
            {
                log.critical(error.message)
                log.critical("Continuing without \(component.kind.rawValue.uppercased()) measurements.")
                component.shutdown()
                live.remove(at: index)
                removeDevices(at: index)
                publishComponents()
                if live.isEmpty {
                    fail(
                        CarbonTrackerError(.componentUnavailable, "No component can be measured any longer."))
                    return
                }
            } catch {
                fail(
                    CarbonTrackerError.measurementFailed(
                        "\(component.handlerName) failed to read \(component.kind.rawValue): \(describe(error))"
                    ))
                return
            }
        }
    }

    /// Keeps an open epoch's per-component arrays aligned after a component was dropped.
    private mutating func removeDevices(at index: Int) {
        open?.startJoules.remove(at: index)
    }

    private func joules(at time: Double) -> [[Double]] {
        live.map { item in item.curves.map { $0.joules(at: time) } }
    }

    private func total(_ joules: [[Double]], minus start: [[Double]]) -> Double {
        zip(joules, start).reduce(0) { sum, pair in sum + zip(pair.0, pair.1).reduce(0) { $0 + $1.0 - $1.1 } }
    }

    private func account(_ epoch: inout OpenEpoch, upTo time: Double, gramsPerKilowattHour: Double) {
        let used = total(joules(at: time), minus: epoch.startJoules)
        epoch.gramsJoulesPerKilowattHour += (used - epoch.accountedJoules) * gramsPerKilowattHour
        epoch.accountedJoules = used
    }

    // MARK: Epochs and reports

    private mutating func closeEpoch(_ number: Int, at end: Double, gramsPerKilowattHour: Double) {
        guard var epoch = open, epoch.epoch == number else { return }
        open = nil
        account(&epoch, upTo: end, gramsPerKilowattHour: gramsPerKilowattHour)
        let endJoules = joules(at: end)
        let duration = max(0, end - epoch.startTime)
        let components = live.enumerated().map { index, item in
            let used = zip(endJoules[index], epoch.startJoules[index]).map { max(0, $0 - $1) }
            return ComponentEnergy(
                kind: item.component.kind, devices: item.devices, method: item.component.measurementMethod(),
                joules: used, averageWatts: used.map { duration > 0 ? $0 / duration : 0 })
        }
        let measurement = EpochMeasurement(
            epoch: number, durationSeconds: duration, components: components,
            co2eqGrams: epoch.gramsJoulesPerKilowattHour / 3_600_000 * powerUsageEffectiveness)
        epochs.append(measurement)
        monitor.shared.withLock { $0.epochs.append(measurement) }
        logEpoch(measurement)
        if number == config.predictionEpoch { reportPrediction() }
        if number == config.monitorEpochs {
            reportActual()
            finished = true
        }
    }

    private func logEpoch(_ epoch: EpochMeasurement) {
        log.info("Epoch \(epoch.epoch):")
        log.info("Duration: \(TimeString.format(seconds: epoch.durationSeconds, withHundredths: true))")
        for component in epoch.components {
            log.info(
                "Average power usage (W) for \(component.kind.rawValue): \(LogNumber.list(component.averageWatts))"
            )
        }
        // Provenance, after the Python-format lines so Python's parser reads the file unchanged.
        for component in epoch.components {
            log.info(
                "Measured energy (J) for \(component.kind.rawValue): \(LogNumber.list(component.joules)) "
                    + "[method: \(component.method.rawValue)]")
        }
    }

    private func reportPrediction() {
        defer { monitor.predictionReady.open() }
        guard !epochs.isEmpty else { return }
        let perEpochKilowattHours = epochs.map(\.energyKilowattHours)
        let durations = epochs.map(\.durationSeconds)
        let energy = Predictor.predict(totalEpochs: config.epochs, measured: perEpochKilowattHours)
        let duration = Predictor.predict(totalEpochs: config.epochs, measured: durations)
        let measuredEnergy = perEpochKilowattHours.reduce(0, +)
        let measuredCO2 = epochs.reduce(0) { $0 + $1.co2eqGrams }
        let remainingSeconds = max(0, duration - durations.reduce(0, +))
        let forecast = intensity.forecast(durationSeconds: remainingSeconds).gramsPerKilowattHour
        let co2 = measuredCO2 + max(0, energy - measuredEnergy) * forecast
        let report = makeReport(
            kind: .predicted, epochs: config.epochs, duration: duration, energy: energy, co2: co2)
        monitor.shared.withLock { $0.predicted = report }
        log.output(
            report.text(
                heading: "Predicted consumption for \(config.epochs) epoch(s):",
                decimalPrecision: config.decimalPrecision))
        logProvenanceNotes(standardLog: false)
    }

    private func reportActual() {
        let energy = epochs.reduce(0) { $0 + $1.energyKilowattHours }
        let co2 = epochs.reduce(0) { $0 + $1.co2eqGrams }
        let summary = intensity.summary()
        let average = energy > 0 ? co2 / energy : intensity.current().gramsPerKilowattHour
        let values = summary.intensities.map { LogNumber.python(($0 * 100).rounded() / 100) }
        log.info(
            "Carbon intensities (gCO2eq/kWh) fetched every \(LogNumber.seconds(summary.refreshIntervalSeconds)) s "
                + "at detected location: \(summary.address): [\(values.joined(separator: ", "))]")
        let averageLine =
            "Average carbon intensity during training was \(String(format: "%.2f", average)) gCO2eq/kWh. "
        log.info(averageLine)
        log.output(averageLine)
        let report = makeReport(
            kind: .actual, epochs: epochs.count, duration: epochs.reduce(0) { $0 + $1.durationSeconds },
            energy: energy, co2: co2)
        monitor.shared.withLock { $0.actual = report }
        let heading =
            config.predicts ? "Actual consumption for \(epochs.count) epoch(s):" : "Actual consumption:"
        log.output(report.text(heading: heading, decimalPrecision: config.decimalPrecision))
        logProvenanceNotes(standardLog: false)
    }

    /// Marks estimated figures (TDP) in the output log, and at start in the standard log, on lines
    /// of their own so that the Python-format lines stay as Python writes them.
    private func logProvenanceNotes(standardLog: Bool) {
        for note in live.compactMap({ $0.component.provenanceNote() }) {
            if standardLog { log.info(note) }
            log.output(note)
        }
    }

    private func makeReport(
        kind: ConsumptionReport.Kind, epochs count: Int, duration: Double, energy: Double, co2: Double
    ) -> ConsumptionReport {
        ConsumptionReport(
            kind: kind, epochs: count, durationSeconds: duration, energyKilowattHours: energy,
            co2eqGrams: co2,
            gramsPerKilowattHour: energy > 0 ? co2 / energy : intensity.current().gramsPerKilowattHour,
            equivalents: config.interpretable
                ? ReferenceData.equivalents(forGrams: co2).map { .init(unit: $0.unit, amount: $0.amount) }
                : [],
            components: componentTotals(), epochDurationsSeconds: epochs.map(\.durationSeconds))
    }

    private func componentTotals() -> [ComponentEnergy] {
        guard let last = epochs.last else { return [] }
        let duration = epochs.reduce(0) { $0 + $1.durationSeconds }
        return last.components.map { component in
            var joules = Array(repeating: 0.0, count: component.joules.count)
            for epoch in epochs {
                guard let match = epoch.components.first(where: { $0.kind == component.kind }),
                    match.joules.count == joules.count
                else { continue }
                for index in joules.indices { joules[index] += match.joules[index] }
            }
            var total = component
            total.joules = joules
            total.averageWatts = joules.map { duration > 0 ? $0 / duration : 0 }
            return total
        }
    }

    // MARK: Failure

    private mutating func fail(_ error: CarbonTrackerError) {
        finished = true
        if config.ignoreErrors {
            log.critical("Ignored error: \(error.message) Continued training without monitoring...")
            log.output("Ignored error: \(error.message) Continued training without monitoring...")
        } else {
            log.critical(error.message)
            log.output(error.message)
        }
        monitor.shared.withLock { state in
            state.ended = true
            if !config.ignoreErrors { state.undeliveredFailure = error }
        }
    }

    private func describe(_ error: any Error) -> String {
        (error as? CarbonTrackerError)?.message ?? String(describing: error)
    }
}

/// Numbers in the standard log, written so Python's parser and `float()` read them.
enum LogNumber {
    /// Python's `repr(float)` for ordinary magnitudes (`248.0`, `50.5`).
    static func python(_ value: Double) -> String {
        value.description
    }

    /// One value as a number, several as numpy prints an array (`[12.5 30.0]`); rounded to micro-units
    /// so that floating-point noise does not show.
    static func list(_ values: [Double]) -> String {
        let rounded = values.map { python(($0 * 1e6).rounded() / 1e6) }
        return rounded.count == 1 ? rounded[0] : "[" + rounded.joined(separator: " ") + "]"
    }

    /// Whole seconds without a decimal point, as Python prints the integer 900.
    static func seconds(_ value: Double) -> String {
        value == value.rounded() && abs(value) < 1e15 ? String(Int(value)) : python(value)
    }
}
