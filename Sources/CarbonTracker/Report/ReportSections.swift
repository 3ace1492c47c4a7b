/// The HTML sections of an ``HTMLReport``.
enum ReportSections {
    static let palette = ["gpu": "#0072B2", "cpu": "#E69F00"]
    static let otherColors = ["#CC79A7", "#56B4E9", "#009E73", "#D55E00"]

    static func color(_ name: String, index: Int) -> String {
        palette[name] ?? otherColors[index % otherColors.count]
    }

    static func summary(_ model: ReportModel, log: LogParser.StandardLog, output: LogParser.OutputLog?)
        -> String
    {
        var html = "<h2>Summary</h2>\n<div class=\"kpis\">\n"
        html += kpi(
            ReportFormat.duration(seconds: model.durationSeconds),
            "Duration of \(model.epochCount) epoch(s)")
        html += kpi(
            ReportFormat.energy(kilowattHours: model.kilowattHours), "Energy (incl. PUE)",
            range: ReportModel.spread(model.kilowattHoursRange).map {
                rangeText($0, ReportFormat.energy(kilowattHours:))
            })
        html += kpi(
            model.co2eqGrams.map { ReportFormat.mass(grams: $0) } ?? "n/a", "CO2-equivalent",
            range: ReportModel.spread(model.co2eqGramsRange).map { rangeText($0, ReportFormat.mass(grams:)) })
        html += "</div>\n<dl class=\"facts\">\n"
        for equivalent in model.equivalents {
            html += fact("Equivalent to", "\(ReportFormat.number(equivalent.amount)) \(e(equivalent.unit))")
        }
        let location = log.intensity?.location ?? "not recorded"
        html += fact("Location", e(location))
        if let intensity = model.gramsPerKilowattHour {
            var text = "\(ReportFormat.number(intensity)) gCO2eq/kWh (average during training)"
            let values = log.intensity?.valuesGramsPerKilowattHour ?? []
            if values.count > 1 {
                text +=
                    "; \(values.count) values from \(ReportFormat.number(values.min() ?? 0)) to "
                    + "\(ReportFormat.number(values.max() ?? 0))"
            }
            if let interval = log.intensity?.refreshIntervalSeconds {
                text += ", refreshed every \(ReportFormat.number(interval)) s"
            }
            html += fact("Carbon intensity", text)
        } else {
            html += fact("Carbon intensity", "not recorded (the log ends before the run did)")
        }
        html += fact("PUE", "\(ReportFormat.number(model.pueFactor)) (applied to energy and CO2eq)")
        html += fact(
            "Totals from",
            model.totalsFromActualReport
                ? "the actual consumption report in the output log"
                : "the epochs in the standard log (no actual consumption report was found)")
        if log.earlyStop {
            html += fact("Stopped early", "yes: training was interrupted before all epochs were monitored")
        }
        if !log.isComplete {
            html += fact("Log complete", "no: the tracker did not close this log (still running or killed)")
        }
        if let predicted = output?.predicted {
            html += fact(
                "Prediction",
                "\(predicted.epochs.map(String.init) ?? "?") epoch(s): "
                    + "\(ReportFormat.energy(kilowattHours: predicted.energyKilowattHours)), "
                    + "\(ReportFormat.mass(grams: predicted.co2eqGrams)) CO2eq")
        }
        return html + "</dl>\n"
    }

    static func components(_ model: ReportModel) -> String {
        var html = "<h2>Components</h2>\n<table>\n<tr><th>Component</th><th>Devices</th><th>Measured by</th>"
        html += "<th>Average power</th><th>Energy (incl. PUE)</th></tr>\n"
        for row in model.components {
            html +=
                "<tr><td>\(e(row.name.uppercased()))</td><td>\(e(row.devices.joined(separator: ", ")))</td>"
            html += "<td>\(methodText(row.method))</td>"
            html +=
                "<td class=\"num\">\(row.averageWatts.map { ReportFormat.number($0) + " W" } ?? "n/a")</td>"
            html += "<td class=\"num\">\(ReportFormat.energy(kilowattHours: row.kilowattHours))</td></tr>\n"
        }
        return html + "</table>\n"
    }

    private static func methodText(_ method: MeasurementMethod?) -> String {
        switch method {
        case .counter: return "hardware energy counter"
        case .sampled: return "sampled power, integrated over time"
        case .estimated: return "estimate (TDP × utilisation), not a measurement"
        case .simulated: return "simulated hardware"
        case .incomplete:
            return "incomplete: the sensor stopped answering mid-run; energy after that is missing"
        case nil: return "not recorded (Python carbontracker log)"
        }
    }

    static func charts(_ model: ReportModel) -> String {
        let bins = model.bins.bins
        let binned = model.bins.width > 1
        let numbers = bins.map(\.firstEpoch)
        let ends = binned ? bins.map(\.lastEpoch) : nil
        let names = model.components.map { $0.name.uppercased() }
        let colors = model.components.enumerated().map { color($1.name, index: $0) }
        let toKilowattHours = model.pueFactor / 3_600_000
        func perEpoch(_ bin: EpochBins.Bin, _ value: Double) -> Double { value / Double(max(bin.epochs, 1)) }

        let powerSeries = names.indices.map { index in
            SVGChart.Series(
                name: names[index], color: colors[index], values: bins.map { $0.meanWatts(index) })
        }
        let powerBands =
            binned
            ? names.indices.map { index in
                SVGChart.Band(
                    name: "\(names[index]) min–max", color: colors[index], kind: .envelope,
                    low: bins.map { $0.meanWatts(index) == nil ? nil : $0.wattsMinimum[index] },
                    high: bins.map { $0.meanWatts(index) == nil ? nil : $0.wattsMaximum[index] })
            } : []

        // Energy per epoch: a bin's bar is its mean epoch; its bounds are the mean of its epochs' bounds.
        let energyRanges = bins.map { bin -> ClosedRange<Double>? in
            guard bin.epochs > 0, bin.rangedEpochs == bin.epochs else { return nil }
            return perEpoch(bin, bin.energyLowKilowattHours)...perEpoch(bin, bin.energyHighKilowattHours)
        }
        let hasEnergyRanges = energyRanges.contains { ReportModel.spread($0) != nil }
        var maxKilowattHours = bins.map { $0.epochJoulesMaximum * toKilowattHours }.max() ?? 0
        if hasEnergyRanges {
            maxKilowattHours = max(maxKilowattHours, energyRanges.compactMap(\.?.upperBound).max() ?? 0)
        }
        let energyUnit = ReportFormat.unit(
            for: maxKilowattHours, units: [(1, "kWh"), (1e-3, "Wh"), (1e-6, "mWh")])
        let energySeries = names.indices.map { index in
            SVGChart.Series(
                name: names[index], color: colors[index],
                values: bins.map { bin in
                    bin.joulesIfMeasured(index).map {
                        perEpoch(bin, $0) * toKilowattHours / energyUnit.factor
                    }
                })
        }
        var energyBands: [SVGChart.Band] = []
        if binned {
            energyBands.append(
                SVGChart.Band(
                    name: "Min–max epoch", color: "#37474F", kind: .envelope,
                    low: bins.map { $0.epochJoulesMinimum * toKilowattHours / energyUnit.factor },
                    high: bins.map { $0.epochJoulesMaximum * toKilowattHours / energyUnit.factor }))
        }
        if hasEnergyRanges {
            energyBands.append(
                SVGChart.Band(
                    name: "Energy range", color: "#B71C1C", kind: .range,
                    low: energyRanges.map { $0.map { $0.lowerBound / energyUnit.factor } },
                    high: energyRanges.map { $0.map { $0.upperBound / energyUnit.factor } }))
        }

        let (cumulative, cumulativeRanges) = cumulativeCO2(model)
        let maxGrams = max(
            cumulative.last.flatMap { $0 } ?? 0, cumulativeRanges.last.flatMap { $0?.upperBound } ?? 0)
        let massUnit = ReportFormat.unit(
            for: maxGrams, units: [(1e6, "t"), (1e3, "kg"), (1, "g"), (1e-3, "mg")])
        let co2Series = [
            SVGChart.Series(
                name: "Cumulative CO2eq", color: "#D55E00",
                values: cumulative.map { $0.map { $0 / massUnit.factor } })
        ]
        let co2Bands =
            cumulativeRanges.contains { ReportModel.spread($0) != nil }
            ? [
                SVGChart.Band(
                    name: "CO2eq range", color: "#D55E00", kind: .range,
                    low: cumulativeRanges.map { $0.map { $0.lowerBound / massUnit.factor } },
                    high: cumulativeRanges.map { $0.map { $0.upperBound / massUnit.factor } })
            ] : []

        var html = "<h2>Charts</h2>\n"
        var power = SVGChart(
            title: "Average power per epoch", yLabel: "W", categories: numbers, series: powerSeries,
            style: .lines)
        power.categoryEnds = ends
        power.bands = powerBands
        html += power.render() + "\n"
        var energy = SVGChart(
            title: "Energy per epoch (incl. PUE)", yLabel: energyUnit.name, categories: numbers,
            series: energySeries, style: .stackedBars)
        energy.categoryEnds = ends
        energy.bands = energyBands
        html += energy.render() + "\n"
        var co2 = SVGChart(
            title: "Cumulative CO2-equivalent", yLabel: massUnit.name + " CO2eq", categories: numbers,
            series: co2Series, style: .lines)
        co2.categoryEnds = ends
        co2.bands = co2Bands
        html += co2.render() + "\n"
        html +=
            "<p class=\"note\">Per-epoch CO2eq is the epoch's energy times the run's average carbon intensity."
        if binned {
            html +=
                " Each point is a bin of \(model.bins.width) neighbouring epochs (\(bins.count) bins for "
                + "\(model.epochCount) epochs): its mean epoch, with the smallest and largest as a band."
        }
        if hasEnergyRanges || !co2Bands.isEmpty {
            html += " Ranges are the bounds the log gives for each epoch's energy and CO2eq."
        }
        return html + "</p>\n"
    }

    /// The cumulative CO2eq at the end of each bin, and its bounds while every epoch so far has them
    /// (its own CO2eq bounds, else its energy bounds times the average intensity).
    private static func cumulativeCO2(_ model: ReportModel) -> ([Double?], [ClosedRange<Double>?]) {
        guard let intensity = model.gramsPerKilowattHour else {
            return (model.bins.bins.map { _ in nil }, model.bins.bins.map { _ in nil })
        }
        var joules = 0.0
        var range: ClosedRange<Double>? = 0...0
        var values: [Double?] = []
        var ranges: [ClosedRange<Double>?] = []
        for bin in model.bins.bins {
            joules += bin.joules.reduce(0, +)
            values.append(joules * model.pueFactor / 3_600_000 * intensity)
            if let sum = range {
                if bin.co2RangedEpochs == bin.epochs {
                    range = (sum.lowerBound + bin.co2LowGrams)...(sum.upperBound + bin.co2HighGrams)
                } else if bin.rangedEpochs == bin.epochs {
                    let low = sum.lowerBound + bin.energyLowKilowattHours * intensity
                    let high = sum.upperBound + bin.energyHighKilowattHours * intensity
                    range = low...high
                } else {
                    range = nil
                }
            }
            ranges.append(range)
        }
        return (values, ranges)
    }

    static func epochTable(_ model: ReportModel) -> String {
        var html = "<h2>Epochs</h2>\n"
        if model.omittedRows > 0 {
            html +=
                "<p class=\"note\">The first and last \(ReportModel.tableEdgeRows) of \(model.epochCount) epochs; "
                + "the charts show them all.</p>\n"
        }
        html += "<table>\n<tr><th>Epoch</th><th>Duration</th>"
        for component in model.components { html += "<th>\(e(component.name.uppercased())) power</th>" }
        html += "<th>Energy (incl. PUE)</th><th>CO2eq</th><th>Cumulative CO2eq</th></tr>\n"
        for (position, epoch) in model.epochs.enumerated() {
            if model.omittedRows > 0 && position == ReportModel.tableEdgeRows {
                html +=
                    "<tr class=\"omitted\"><td colspan=\"\(model.components.count + 5)\">… \(model.omittedRows) "
                    + "epochs not listed …</td></tr>\n"
            }
            html += "<tr><td class=\"num\">\(epoch.number)</td>"
            html +=
                "<td class=\"num\">\(TimeString.format(seconds: epoch.durationSeconds, withHundredths: true))</td>"
            for watts in epoch.watts {
                html += "<td class=\"num\">\(watts.map { ReportFormat.number($0) + " W" } ?? "–")</td>"
            }
            html += "<td class=\"num\">\(ReportFormat.energy(kilowattHours: epoch.kilowattHours))"
            if let range = ReportModel.spread(epoch.energyKilowattHoursRange) {
                html +=
                    " <span class=\"range\">(\(rangeText(range, ReportFormat.energy(kilowattHours:))))</span>"
            }
            html += "</td>"
            html += "<td class=\"num\">\(epoch.co2eqGrams.map { ReportFormat.mass(grams: $0) } ?? "n/a")</td>"
            html +=
                "<td class=\"num\">\(epoch.cumulativeCO2eqGrams.map { ReportFormat.mass(grams: $0) } ?? "n/a")</td></tr>\n"
        }
        if model.omittedRows > 0 {
            html += "<tr class=\"total\"><th>All \(model.epochCount)</th>"
            html += "<th class=\"num\">\(e(ReportFormat.duration(seconds: model.durationSeconds)))</th>"
            for component in model.components {
                html +=
                    "<th class=\"num\">\(component.averageWatts.map { ReportFormat.number($0) + " W" } ?? "–")</th>"
            }
            html += "<th class=\"num\">\(ReportFormat.energy(kilowattHours: model.kilowattHours))</th>"
            html +=
                "<th class=\"num\">\(model.co2eqGrams.map { ReportFormat.mass(grams: $0) } ?? "n/a")</th><th></th></tr>\n"
        }
        return html + "</table>\n"
    }

    /// "0.0119–0.0128 kWh": both bounds in the unit `format` picks for the upper one.
    static func rangeText(_ range: ClosedRange<Double>, _ format: (Double) -> String) -> String {
        let high = format(range.upperBound)
        guard let space = high.lastIndex(of: " ") else { return "\(format(range.lowerBound))–\(high)" }
        let unit = high[high.index(after: space)...]
        let low = format(range.lowerBound)
        if low.hasSuffix(" " + unit) { return "\(low.dropLast(unit.count + 1))–\(high)" }
        return "\(low)–\(high)"
    }

    private static func e(_ text: String) -> String { ReportFormat.escape(text) }

    static func kpi(_ value: String, _ label: String, range: String? = nil) -> String {
        var html = "<div class=\"kpi\"><div class=\"value\">\(ReportFormat.escape(value))</div>"
        if let range { html += "<div class=\"range\">range \(ReportFormat.escape(range))</div>" }
        return html + "<div class=\"label\">\(ReportFormat.escape(label))</div></div>\n"
    }

    private static func fact(_ term: String, _ html: String) -> String {
        "<dt>\(ReportFormat.escape(term))</dt><dd>\(html)</dd>\n"
    }
}
