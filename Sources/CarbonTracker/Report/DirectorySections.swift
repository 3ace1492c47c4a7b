import Foundation

/// The HTML sections of a ``DirectoryReport``.
enum DirectorySections {
    static func summary(_ report: DirectoryReport) -> String {
        let aggregate = report.aggregate
        var html = "<h2>Summary</h2>\n<div class=\"kpis\">\n"
        html += ReportSections.kpi(
            ReportFormat.energy(kilowattHours: aggregate.energyKilowattHours), "Energy (incl. PUE)",
            range: energyRange(aggregate.energyKilowattHoursRange))
        html += ReportSections.kpi(
            ReportFormat.mass(grams: aggregate.co2eqGrams), "CO2-equivalent",
            range: massRange(aggregate.co2eqGramsRange))
        html += ReportSections.kpi("\(report.runs.count)", "Runs (processes) read")
        html += ReportSections.kpi("\(aggregate.jobs.count)", "Distributed jobs, each counted once")
        html += "</div>\n<dl class=\"facts\">\n"
        html += "<dt>Counted</dt><dd>\(aggregate.runsCounted) single run(s) and job(s)</dd>\n"
        if aggregate.energyKilowattHoursRange != nil, aggregate.runsWithoutRange > 0 {
            html +=
                "<dt>Ranges</dt><dd>\(aggregate.runsWithoutRange) run(s) give no range; they count with their "
                + "value alone</dd>\n"
        }
        return html + "</dl>\n"
    }

    static func charts(_ report: DirectoryReport) -> String {
        let entries = report.entries
        guard !entries.isEmpty else { return "" }
        var html = "<h2>Charts</h2>\n"
        html +=
            energyChart(
                title: "Energy per run and job (incl. PUE)", xLabel: "Run or job (log order)", noun: "entry",
                values: entries.map(\.energyKilowattHours), ranges: entries.map(\.energyRange)) + "\n"

        var grams = 0.0
        var range: ClosedRange<Double>? = 0...0
        var cumulative: [Double?] = []
        var bounds: [ClosedRange<Double>?] = []
        for entry in entries {
            grams += entry.co2eqGrams ?? 0
            cumulative.append(grams)
            if let sum = range, let own = entry.co2Range ?? entry.co2eqGrams.map({ $0...$0 }) {
                range = (sum.lowerBound + own.lowerBound)...(sum.upperBound + own.upperBound)
            } else {
                range = nil
            }
            bounds.append(range)
        }
        let bins = binned(cumulative.count)
        let unit = ReportFormat.unit(
            for: max(grams, bounds.last.flatMap { $0?.upperBound } ?? 0),
            units: [(1e6, "t"), (1e3, "kg"), (1, "g"), (1e-3, "mg")])
        // A cumulative curve is drawn at the end of each bin.
        var co2 = SVGChart(
            title: "Cumulative CO2-equivalent", yLabel: unit.name + " CO2eq",
            categories: bins.map { $0.lowerBound + 1 },
            series: [
                SVGChart.Series(
                    name: "Cumulative CO2eq", color: "#D55E00",
                    values: bins.map { cumulative[$0.upperBound - 1].map { $0 / unit.factor } })
            ], style: .lines)
        co2.xLabel = "Run or job (log order)"
        co2.categoryNoun = "entry"
        co2.categoryEnds = bins.map(\.upperBound)
        if bounds.contains(where: { ReportModel.spread($0) != nil }) {
            co2.bands = [
                SVGChart.Band(
                    name: "CO2eq range", color: "#D55E00", kind: .range,
                    low: bins.map { bounds[$0.upperBound - 1].map { $0.lowerBound / unit.factor } },
                    high: bins.map { bounds[$0.upperBound - 1].map { $0.upperBound / unit.factor } })
            ]
        }
        html += co2.render() + "\n"
        return html
    }

    static func jobs(_ report: DirectoryReport) -> String {
        let jobs = report.aggregate.jobs
        guard !jobs.isEmpty else { return "" }
        var html = "<h2>Distributed jobs</h2>\n<table class=\"jobs\">\n<tr><th>Job</th><th>Shape</th>"
        html +=
            "<th>Duration</th><th>Energy (incl. PUE)</th><th>CO2eq</th><th>Per component (without PUE)</th></tr>\n"
        for job in jobs {
            html += "<tr><td>\(e("\(job.jobID) (\(job.jobSource))"))</td><td>\(e(job.shape))</td>"
            html +=
                "<td class=\"num\">\(job.durationSeconds.map { e(ReportFormat.duration(seconds: $0)) } ?? "n/a")</td>"
            html +=
                "<td class=\"num\">\(energyCell(job.energyKilowattHours, job.energyKilowattHoursRange))</td>"
            html += "<td class=\"num\">\(massCell(job.co2eqGrams, job.co2eqGramsRange))</td><td>"
            html += job.components.map { component in
                "\(e(component.name.uppercased())) \(ReportFormat.number(component.energyJoules)) J "
                    + "(\(component.deviceIDs.count) device(s))"
            }.joined(separator: "; ")
            html += "</td></tr>\n"
        }
        html += "</table>\n"
        for job in jobs.prefix(DirectoryReport.maximumJobCharts) {
            let key = DirectoryReport.key(job)
            let ranks = report.runs.filter { $0.jobKey == key }
            html +=
                energyChart(
                    title: "Job \(job.jobID): energy per rank (incl. PUE)", xLabel: "Rank's run (log order)",
                    noun: "run", values: ranks.map(\.energyKilowattHours),
                    ranges: ranks.map(\.energyKilowattHoursRange))
                + "\n"
        }
        if jobs.count > DirectoryReport.maximumJobCharts {
            html +=
                "<p class=\"note\">The first \(DirectoryReport.maximumJobCharts) of \(jobs.count) jobs have a "
                + "chart of their own.</p>\n"
        }
        return html
    }

    static func runTable(_ report: DirectoryReport) -> String {
        let runs = report.runs
        let edge = DirectoryReport.maximumRows / 2
        let omitted = max(0, runs.count - DirectoryReport.maximumRows)
        var html = "<h2>Runs</h2>\n"
        if omitted > 0 {
            html += "<p class=\"note\">The first and last \(edge) of \(runs.count) runs.</p>\n"
        }
        html += "<table class=\"runs\">\n<tr><th>#</th><th>Log</th><th>Job and rank</th><th>Epochs</th>"
        html += "<th>Duration</th><th>Energy (incl. PUE)</th><th>CO2eq</th></tr>\n"
        for (index, run) in runs.enumerated() {
            if omitted > 0 && index >= edge && index < runs.count - edge {
                if index == edge {
                    html +=
                        "<tr class=\"omitted\"><td colspan=\"7\">… \(omitted) runs not listed …</td></tr>\n"
                }
                continue
            }
            html +=
                "<tr><td class=\"num\">\(index + 1)</td><td>\(e((run.file as NSString).lastPathComponent))</td>"
            html +=
                "<td>\(e([run.jobKey ?? "", run.rankLabel].filter { !$0.isEmpty }.joined(separator: ", ")))</td>"
            html += "<td class=\"num\">\(run.epochs.map(String.init) ?? "–")</td>"
            html +=
                "<td class=\"num\">\(run.durationSeconds.map { e(ReportFormat.duration(seconds: $0)) } ?? "–")</td>"
            html +=
                "<td class=\"num\">\(run.energyKilowattHours.map { energyCell($0, run.energyKilowattHoursRange) } ?? "no report")</td>"
            html +=
                "<td class=\"num\">\(run.co2eqGrams.map { massCell($0, run.co2eqGramsRange) } ?? "–")</td></tr>\n"
        }
        return html + "</table>\n"
    }

    /// Consecutive index ranges covering `count` entries, at most ``ReportModel/maximumPoints`` of them.
    static func binned(_ count: Int) -> [Range<Int>] {
        let width = max(1, (count + ReportModel.maximumPoints - 1) / ReportModel.maximumPoints)
        return stride(from: 0, to: count, by: width).map { $0..<min(count, $0 + width) }
    }

    /// A bar per entry (the mean of a bin's entries beyond ``ReportModel/maximumPoints``), with whiskers
    /// for the entries' ranges and, for bins, their smallest and largest entry.
    private static func energyChart(
        title: String, xLabel: String, noun: String, values: [Double?], ranges: [ClosedRange<Double>?]
    ) -> String {
        let bins = binned(values.count)
        func mean(_ bin: Range<Int>, _ value: (Int) -> Double?) -> Double? {
            let known = bin.compactMap(value).filter(\.isFinite)
            return known.isEmpty ? nil : known.reduce(0, +) / Double(known.count)
        }
        let highest = max(
            values.compactMap { $0 }.filter(\.isFinite).max() ?? 0,
            ranges.compactMap { $0?.upperBound }.filter(\.isFinite).max() ?? 0)
        let unit = ReportFormat.unit(for: highest, units: [(1, "kWh"), (1e-3, "Wh"), (1e-6, "mWh")])
        var chart = SVGChart(
            title: title, yLabel: unit.name, categories: bins.map { $0.lowerBound + 1 },
            series: [
                SVGChart.Series(
                    name: "Energy", color: "#3F51B5",
                    values: bins.map { mean($0) { values[$0] }.map { $0 / unit.factor } })
            ], style: .stackedBars)
        chart.xLabel = xLabel
        chart.categoryNoun = noun
        chart.categoryEnds = bins.map(\.upperBound)
        if bins.contains(where: { $0.count > 1 }) {
            chart.bands.append(
                SVGChart.Band(
                    name: "Min–max", color: "#37474F", kind: .envelope,
                    low: bins.map { bin in bin.compactMap { values[$0] }.min().map { $0 / unit.factor } },
                    high: bins.map { bin in bin.compactMap { values[$0] }.max().map { $0 / unit.factor } }))
        }
        if ranges.contains(where: { ReportModel.spread($0) != nil }) {
            chart.bands.append(
                SVGChart.Band(
                    name: "Energy range", color: "#B71C1C", kind: .range,
                    low: bins.map { mean($0) { ranges[$0]?.lowerBound }.map { $0 / unit.factor } },
                    high: bins.map { mean($0) { ranges[$0]?.upperBound }.map { $0 / unit.factor } }))
        }
        return chart.render()
    }

    private static func energyRange(_ range: ClosedRange<Double>?) -> String? {
        ReportModel.spread(range).map { ReportSections.rangeText($0, ReportFormat.energy(kilowattHours:)) }
    }

    private static func massRange(_ range: ClosedRange<Double>?) -> String? {
        ReportModel.spread(range).map { ReportSections.rangeText($0, ReportFormat.mass(grams:)) }
    }

    private static func energyCell(_ value: Double, _ range: ClosedRange<Double>?) -> String {
        e(ReportFormat.energy(kilowattHours: value))
            + (energyRange(range).map { " <span class=\"range\">(\(e($0)))</span>" } ?? "")
    }

    private static func massCell(_ value: Double, _ range: ClosedRange<Double>?) -> String {
        e(ReportFormat.mass(grams: value))
            + (massRange(range).map { " <span class=\"range\">(\(e($0)))</span>" } ?? "")
    }

    private static func e(_ text: String) -> String { ReportFormat.escape(text) }
}
