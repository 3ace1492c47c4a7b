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
            "Duration of \(model.epochs.count) epoch(s)")
        html += kpi(ReportFormat.energy(kilowattHours: model.kilowattHours), "Energy (incl. PUE)")
        html += kpi(model.co2eqGrams.map { ReportFormat.mass(grams: $0) } ?? "n/a", "CO2-equivalent")
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
        let numbers = model.epochs.map(\.number)
        let powerSeries = model.components.enumerated().map { index, component in
            SVGChart.Series(
                name: component.name.uppercased(), color: color(component.name, index: index),
                values: model.epochs.map { $0.watts[index] })
        }
        let maxKilowattHours = model.epochs.map(\.kilowattHours).max() ?? 0
        let energyUnit = ReportFormat.unit(
            for: maxKilowattHours, units: [(1, "kWh"), (1e-3, "Wh"), (1e-6, "mWh")])
        let energySeries = model.components.enumerated().map { index, component in
            SVGChart.Series(
                name: component.name.uppercased(), color: color(component.name, index: index),
                values: model.epochs.map { epoch in
                    epoch.joules[index].map { $0 * model.pueFactor / 3_600_000 / energyUnit.factor }
                })
        }
        let maxGrams = model.epochs.compactMap(\.cumulativeCO2eqGrams).max() ?? 0
        let massUnit = ReportFormat.unit(
            for: maxGrams, units: [(1e6, "t"), (1e3, "kg"), (1, "g"), (1e-3, "mg")])
        let co2Series = [
            SVGChart.Series(
                name: "Cumulative CO2eq", color: "#D55E00",
                values: model.epochs.map { $0.cumulativeCO2eqGrams.map { $0 / massUnit.factor } })
        ]
        var html = "<h2>Charts</h2>\n"
        html +=
            SVGChart(
                title: "Average power per epoch", yLabel: "W", categories: numbers, series: powerSeries,
                style: .lines
            ).render() + "\n"
        html +=
            SVGChart(
                title: "Energy per epoch (incl. PUE)", yLabel: energyUnit.name, categories: numbers,
                series: energySeries, style: .stackedBars
            ).render() + "\n"
        html +=
            SVGChart(
                title: "Cumulative CO2-equivalent", yLabel: massUnit.name + " CO2eq", categories: numbers,
                series: co2Series, style: .lines
            ).render() + "\n"
        html +=
            "<p class=\"note\">Per-epoch CO2eq is the epoch's energy times the run's average carbon intensity.</p>\n"
        return html
    }

    static func epochTable(_ model: ReportModel) -> String {
        var html = "<h2>Epochs</h2>\n<table>\n<tr><th>Epoch</th><th>Duration</th>"
        for component in model.components { html += "<th>\(e(component.name.uppercased())) power</th>" }
        html += "<th>Energy (incl. PUE)</th><th>CO2eq</th><th>Cumulative CO2eq</th></tr>\n"
        for epoch in model.epochs {
            html += "<tr><td class=\"num\">\(epoch.number)</td>"
            html +=
                "<td class=\"num\">\(TimeString.format(seconds: epoch.durationSeconds, withHundredths: true))</td>"
            for watts in epoch.watts {
                html += "<td class=\"num\">\(watts.map { ReportFormat.number($0) + " W" } ?? "–")</td>"
            }
            html += "<td class=\"num\">\(ReportFormat.energy(kilowattHours: epoch.kilowattHours))</td>"
            html += "<td class=\"num\">\(epoch.co2eqGrams.map { ReportFormat.mass(grams: $0) } ?? "n/a")</td>"
            html +=
                "<td class=\"num\">\(epoch.cumulativeCO2eqGrams.map { ReportFormat.mass(grams: $0) } ?? "n/a")</td></tr>\n"
        }
        return html + "</table>\n"
    }

    private static func e(_ text: String) -> String { ReportFormat.escape(text) }

    private static func kpi(_ value: String, _ label: String) -> String {
        "<div class=\"kpi\"><div class=\"value\">\(ReportFormat.escape(value))</div>"
            + "<div class=\"label\">\(ReportFormat.escape(label))</div></div>\n"
    }

    private static func fact(_ term: String, _ html: String) -> String {
        "<dt>\(ReportFormat.escape(term))</dt><dd>\(html)</dd>\n"
    }
}
