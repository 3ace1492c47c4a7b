import Foundation

/// The tracker's layer over its monitor: writes each finished epoch in Python carbontracker's format,
/// keeps the epochs compactly, makes the prediction and the final report.
///
/// Called on the sampling thread (or, once, on the thread that finishes a run whose sampling thread
/// is stuck); results are read by any thread through the lock.
final class EpochReporter: Sendable {
    struct Results: Sendable {
        var store = EpochStore()
        var predicted: ConsumptionReport?
        var actual: ConsumptionReport?
    }

    let results = LockedBox(Results())
    private let configuration: TrackerConfiguration

    init(configuration: TrackerConfiguration) {
        self.configuration = configuration
    }

    // MARK: Epochs

    func epochsFinished(_ epochs: ArraySlice<FinishedWindow>, run: RunRecorder) -> Bool {
        guard let predictionEpoch = configuration.predictionEpoch,
            let index = epochs.firstIndex(where: { $0.epoch == predictionEpoch })
        else {
            record(epochs, run)
            return false
        }
        record(epochs[...index], run)
        reportPrediction(run)
        record(epochs[(index + 1)...], run)
        return true
    }

    private func record(_ epochs: ArraySlice<FinishedWindow>, _ run: RunRecorder) {
        guard !epochs.isEmpty else { return }
        // One pass (each epoch copied once, not once per loop): the lines, then the store, whose lock is
        // taken inside the log's (never the other way round).
        run.log.write { batch in
            results.withLock { results in
                for epoch in epochs {
                    let (lines, maximumBytes) = Self.size(of: epoch.measurement)
                    batch.standardLines(
                        count: lines + 1, maximumBytes: maximumBytes + RangeLine.maximumLength
                    ) {
                        Self.writeLines(epoch.measurement, number: epoch.epoch ?? 0, to: &$0)
                        RangeLine.writeEpoch(epoch.measurement, to: &$0)
                    }
                    results.store.append(epoch.measurement)
                }
            }
        }
        run.emit(epochs.map { .epoch(number: $0.epoch ?? 0, $0.measurement) })
    }

    /// The number of lines ``writeLines(_:number:to:)`` writes for `epoch`, and at most how many bytes
    /// after their timestamps: every fixed text at its longest (64 bytes a line covers each), every
    /// number at ``DecimalText/maximumLength`` and a separator.
    private static func size(of epoch: WindowMeasurement) -> (lines: Int, bytes: Int) {
        let components = epoch.components
        let lines = 2 &+ 2 &* components.count
        var numbers = 1
        var attributions = 0
        for index in components.indices {
            numbers &+= components[index].averageWattsCount &+ components[index].joules.count
            attributions &+= components[index].attribution?.utf8.count ?? 0
        }
        let bytes =
            lines &* 64 &+ numbers &* (DecimalText.maximumLength &+ 1) &+ TimeString.maximumLength
            &+ attributions
        return (lines, bytes)
    }

    /// Python's lines for one epoch, then our provenance lines (which Python's parser does not match),
    /// written in place ahead of one copy: they are written for every epoch. The components are read
    /// in place (a `for component in` loop would copy, retain and release each).
    private static func writeLines(_ epoch: WindowMeasurement, number: Int, to lines: inout StandardLines) {
        lines.begin()
        lines.cursor.text("Epoch ")
        lines.cursor.integer(number)
        lines.cursor.byte(UInt8(ascii: ":"))
        lines.end()
        lines.begin()
        lines.cursor.text("Duration: ")
        lines.cursor.time(epoch.durationSeconds, withHundredths: true)
        lines.end()
        let components = epoch.components
        for index in components.indices {
            lines.begin()
            lines.cursor.text("Average power usage (W) for ")
            lines.cursor.text(components[index].kind.logName)
            lines.cursor.text(": ")
            lines.cursor.logListOfAverageWatts(components, index)
            lines.end()
        }
        for index in components.indices {
            lines.begin()
            lines.cursor.text("Measured energy (J) for ")
            lines.cursor.text(components[index].kind.logName)
            lines.cursor.text(": ")
            lines.cursor.logList(components[index].joules)
            lines.cursor.text(" [method: ")
            lines.cursor.text(components[index].method.logName)
            if let attribution = components[index].attribution {
                lines.cursor.text(", ")
                var attribution = attribution
                attribution.withUTF8 { lines.cursor.bytes($0) }
            }
            lines.cursor.byte(UInt8(ascii: "]"))
            lines.end()
        }
    }

    // MARK: Reports

    /// Charges epochs that ended before the intensity source's first answer at that answer, once it came.
    /// - Returns: The energy (kWh, with PUE) still charged at a provisional value.
    private func settleIntensity(_ run: RunRecorder) -> Double {
        guard results.withLock({ $0.store.provisionalKilowattHours }) > 0 else { return 0 }
        guard let settled = run.intensity.settledEstimate() else {
            return results.withLock { $0.store.provisionalKilowattHours }
        }
        results.withLock {
            $0.store.settle(
                gramsPerKilowattHour: settled.gramsPerKilowattHour, range: settled.gramsPerKilowattHourRange)
        }
        return 0
    }

    private func reportPrediction(_ run: RunRecorder) {
        _ = settleIntensity(run)
        let pue = run.powerUsageEffectiveness
        let (perEpochKilowattHours, durations, measuredCO2) = results.withLock { results in
            let store = results.store
            return (
                (0..<store.count).map { store.kilowattHours($0, powerUsageEffectiveness: pue) },
                store.durationsSeconds, store.totalGrams
            )
        }
        let (perEpochRanges, measuredCO2Range) = results.withLock { results in
            let store = results.store
            return (
                (0..<store.count).map { store.kilowattHoursRange($0, powerUsageEffectiveness: pue) },
                store.totalGramsRange
            )
        }
        guard !durations.isEmpty else { return }
        let epochs = configuration.epochs
        let energy = Predictor.predict(totalEpochs: epochs, measured: perEpochKilowattHours)
        let duration = Predictor.predict(totalEpochs: epochs, measured: durations)
        let measuredEnergy = perEpochKilowattHours.reduce(0, +)
        let remainingSeconds = max(0, duration - durations.reduce(0, +))
        let forecastEstimate = run.intensity.forecast(durationSeconds: remainingSeconds)
        let forecast = forecastEstimate.gramsPerKilowattHour
        let co2 = measuredCO2 + max(0, energy - measuredEnergy) * forecast
        let components = results.withLock { $0.store.componentTotals() }
        let ranges = Self.predictedRanges(
            epochs: epochs, perEpoch: perEpochKilowattHours, perEpochRanges: perEpochRanges,
            measuredCO2Range: measuredCO2Range, forecast: forecastEstimate.gramsPerKilowattHourRange)
        var report = makeReport(
            run, kind: .predicted, epochs: epochs, duration: duration, energy: energy, co2: co2,
            components: components, durations: durations)
        report.energyKilowattHoursRange = ranges.energy
        report.co2eqGramsRange = Self.containing(ranges.co2, co2)
        results.withLock { $0.predicted = report }
        run.emit([.prediction(report)])
        run.log.write { batch in
            batch.output(
                report.text(
                    heading: "Predicted consumption for \(epochs) epoch(s):",
                    decimalPrecision: configuration.decimalPrecision))
            batch.output(report.rangeText(decimalPrecision: configuration.decimalPrecision))
            Self.appendProvenance(run, to: &batch)
        }
    }

    func finish(_ reason: MonitorEndReason, run: RunRecorder) {
        switch reason {
        case .failed:
            return
        case .interrupted:
            run.log.info(
                "Training was interrupted before all \(configuration.monitorEpochs) epochs were monitored.")
        case .completed:
            break
        }
        let unsettled = settleIntensity(run)
        let pue = run.powerUsageEffectiveness
        let (count, seconds, joules, co2, components, durations) = results.withLock { results in
            let store = results.store
            return (
                store.count, store.totalSeconds, store.totalJoules, store.totalGrams, store.componentTotals(),
                store.durationsSeconds
            )
        }
        let (energyRange, co2Range) = results.withLock {
            ($0.store.totalKilowattHoursRange(powerUsageEffectiveness: pue), $0.store.totalGramsRange)
        }
        let energy = joules * pue / 3_600_000
        let summary = run.intensity.summary()
        let average = energy > 0 ? co2 / energy : run.intensity.current().gramsPerKilowattHour
        let values = summary.intensities.map { LogNumber.python(($0 * 100).rounded() / 100) }
        var report = makeReport(
            run, kind: .actual, epochs: count, duration: seconds, energy: energy, co2: co2,
            components: components, durations: durations)
        report.energyKilowattHoursRange = Self.containing(energyRange, energy)
        report.co2eqGramsRange = Self.containing(co2Range, co2)
        results.withLock { $0.actual = report }
        run.emit([.actual(report)])
        let averageLine =
            "Average carbon intensity during training was \(String(format: "%.2f", average)) gCO2eq/kWh. "
        run.log.write { batch in
            batch.standard(
                "Carbon intensities (gCO2eq/kWh) fetched every \(LogNumber.seconds(summary.refreshIntervalSeconds)) s "
                    + "at detected location: \(summary.address): [\(values.joined(separator: ", "))]")
            batch.standard(averageLine)
            batch.output(averageLine)
            let heading =
                configuration.predicts ? "Actual consumption for \(count) epoch(s):" : "Actual consumption:"
            batch.output(report.text(heading: heading, decimalPrecision: configuration.decimalPrecision))
            batch.output(report.rangeText(decimalPrecision: configuration.decimalPrecision))
            Self.appendProvenance(run, to: &batch)
            if unsettled > 0 {
                let fallback = run.intensity.current()
                batch.output(
                    "No carbon intensity had been fetched by the end of the run: "
                        + "\(LogNumber.python(unsettled)) kWh were charged at the fallback, "
                        + "\(String(format: "%.2f", fallback.gramsPerKilowattHour)) gCO2eq/kWh "
                        + "(\(fallback.source)).")
            }
        }
    }

    /// Marks estimated figures (TDP) in the output log on lines of their own, so that the
    /// Python-format lines stay as Python writes them; the console showed them once, at start.
    private static func appendProvenance(_ run: RunRecorder, to batch: inout LogBatch) {
        for note in run.measuredSources.compactMap({ $0.provenanceNote() }) {
            batch.output(note, toConsole: false)
        }
    }

    private func makeReport(
        _ run: RunRecorder, kind: ConsumptionReport.Kind, epochs count: Int, duration: Double,
        energy: Double,
        co2: Double, components: [ComponentEnergy], durations: [Double]
    ) -> ConsumptionReport {
        ConsumptionReport(
            kind: kind, epochs: count, durationSeconds: duration, energyKilowattHours: energy,
            co2eqGrams: co2,
            gramsPerKilowattHour: energy > 0 ? co2 / energy : run.intensity.current().gramsPerKilowattHour,
            equivalents: configuration.interpretable
                ? ReferenceData.equivalents(forGrams: co2).map { .init(unit: $0.unit, amount: $0.amount) }
                : [],
            components: components, epochDurationsSeconds: durations)
    }

    /// Every finished epoch's measurement, built from the compact store.
    func epochMeasurements(powerUsageEffectiveness: Double) -> [EpochMeasurement] {
        results.withLock { results in
            (0..<results.store.count).map {
                results.store.measurement($0, powerUsageEffectiveness: powerUsageEffectiveness)
            }
        }
    }
}
