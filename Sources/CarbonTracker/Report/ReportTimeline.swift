import Foundation

/// The report's sections read from the event log: power over time (stacked by component), the carbon
/// intensity over time, and the region profile as an icicle chart with its table.
///
/// Inline SVG only, like ``SVGChart``. Cost: linear in the series' intervals (a few thousand at most,
/// binned further to at most ``maximumPoints``) and in the profile's nodes.
enum ReportTimeline {
    /// Points drawn per series at most; intervals beyond that are averaged in bins.
    static let maximumPoints = 600

    private static let width = 720.0
    private static let height = 300.0
    private static let left = 72.0
    private static let right = 16.0
    private static let top = 48.0
    private static let bottom = 44.0

    /// Epochs shaded on the power chart at most; a run with more leaves the bands out.
    static let maximumBands = 200

    /// A stretch of the time axis: an epoch or a window.
    struct Band {
        var label: String
        /// Seconds since the series' start.
        var start: Double
        var end: Double
    }

    /// The epochs and top-level windows of `log` as bands on the time axis of `series`.
    static func bands(_ log: LogParser.StandardLog, series: PowerTimeSeries) -> (
        epochs: [Band], windows: [Band]
    ) {
        let origin = series.startDate.timeIntervalSince1970
        var epochs: [Band] = []
        if log.epochs.count <= maximumBands {
            for epoch in log.epochs {
                guard let start = epoch.startDate?.timeIntervalSince1970,
                    let duration = epoch.durationSeconds,
                    duration.isFinite
                else { continue }
                epochs.append(
                    Band(
                        label: "Epoch \(epoch.number)", start: start - origin, end: start - origin + duration)
                )
            }
        }
        var windows: [Band] = []
        if log.windows.count <= maximumBands {
            for window in log.windows {
                guard let start = window.startDate?.timeIntervalSince1970,
                    let end = window.endDate?.timeIntervalSince1970
                else { continue }
                windows.append(Band(label: window.name, start: start - origin, end: end - origin))
            }
        }
        return (epochs, windows)
    }

    /// The power, cumulative energy and CO2eq, and intensity charts of `series`, with a heading.
    /// - Parameters:
    ///   - series: The run's power over time.
    ///   - log: The run's event log, for its epochs and windows (drawn as bands) and PUE.
    static func section(_ series: PowerTimeSeries, log: LogParser.StandardLog = .init()) -> String {
        guard series.count > 0 else { return "" }
        let bins = binned(series)
        let (epochBands, windowBands) = bands(log, series: series)
        var html = "<h2>Power over time</h2>\n"
        let layers = series.components.enumerated().map { index, component in
            (
                name: component.kind.rawValue.uppercased(),
                color: ReportSections.color(component.kind.rawValue, index: index),
                values: bins.map { bin in
                    bin.seconds > 0 ? component.joules[bin.range].reduce(0, +) / bin.seconds : 0
                }
            )
        }
        html += chart(
            title: "Power over time (stacked by component)", unit: "W", bins: bins, series: series,
            layers: layers, stacked: true, epochs: epochBands, windows: windowBands)
        html += "\n"
        // Cumulative figures include PUE, as the run's totals do.
        let pue = log.powerUsageEffectiveness.flatMap { $0.isFinite && $0 > 0 ? $0 : nil } ?? 1
        var kilowattHours: [Double] = []
        var grams: [Double] = []
        var energy = 0.0
        var mass = 0.0
        for bin in bins {
            for index in bin.range {
                let joules = series.components.reduce(0) { $0 + $1.joules[index] } * pue
                energy += joules / 3_600_000
                mass += joules / 3_600_000 * series.gramsPerKilowattHour[index]
            }
            kilowattHours.append(energy)
            grams.append(mass)
        }
        let energyUnit = ReportFormat.unit(for: energy, units: [(1, "kWh"), (1e-3, "Wh"), (1e-6, "mWh")])
        html += chart(
            title: "Cumulative energy over time (incl. PUE)", unit: energyUnit.name, bins: bins,
            series: series,
            layers: [
                (name: "Energy", color: "#3F51B5", values: kilowattHours.map { $0 / energyUnit.factor })
            ],
            stacked: false)
        html += "\n"
        let massUnit = ReportFormat.unit(for: mass, units: [(1e6, "t"), (1e3, "kg"), (1, "g"), (1e-3, "mg")])
        html += chart(
            title: "Cumulative CO2-equivalent over time", unit: massUnit.name + " CO2eq", bins: bins,
            series: series,
            layers: [(name: "CO2eq", color: "#D55E00", values: grams.map { $0 / massUnit.factor })],
            stacked: false)
        html += "\n"
        let intensity = bins.map { bin -> Double in
            let weighted = bin.range.reduce(0.0) {
                $0 + series.gramsPerKilowattHour[$1] * series.coveredSeconds[$1]
            }
            return bin.seconds > 0 ? weighted / bin.seconds : 0
        }
        html += chart(
            title: "Carbon intensity over time", unit: "gCO2eq/kWh", bins: bins, series: series,
            layers: [(name: "Intensity", color: "#009E73", values: intensity)], stacked: false)
        html +=
            "\n<p class=\"note\">\(series.count) intervals of \(ReportFormat.duration(seconds: series.intervalSeconds))"
        html += " from \(ReportFormat.escape(LogTime.line(series.startDate))); power without PUE"
        if log.epochs.count > maximumBands || log.windows.count > maximumBands {
            html += "; epochs or windows beyond \(maximumBands) are not drawn as bands"
        }
        html += ".</p>\n"
        return html
    }

    private struct Bin {
        var range: Range<Int>
        var seconds: Double
    }

    private static func binned(_ series: PowerTimeSeries) -> [Bin] {
        let per = max(1, (series.count + maximumPoints - 1) / maximumPoints)
        return stride(from: 0, to: series.count, by: per).map { start in
            let range = start..<min(series.count, start + per)
            return Bin(range: range, seconds: series.coveredSeconds[range].reduce(0, +))
        }
    }

    private static func chart(
        title: String, unit: String, bins: [Bin], series: PowerTimeSeries,
        layers: [(name: String, color: String, values: [Double])], stacked: Bool, epochs: [Band] = [],
        windows: [Band] = []
    ) -> String {
        let plotWidth = width - left - right
        let plotHeight = height - top - bottom
        var totals = [Double](repeating: 0, count: bins.count)
        var maximum = 0.0
        for layer in layers {
            for (index, value) in layer.values.enumerated() {
                totals[index] = stacked ? totals[index] + value : value
                maximum = max(maximum, totals[index])
            }
        }
        maximum = maximum > 0 && maximum.isFinite ? maximum * 1.1 : 1
        let spanSeconds = Double(bins.last.map { $0.range.upperBound } ?? 0) * series.intervalSeconds
        func x(_ index: Int) -> Double {
            left + Double(bins[index].range.lowerBound) * series.intervalSeconds / max(spanSeconds, 1e-9)
                * plotWidth
        }
        func xEnd(_ index: Int) -> Double {
            left + Double(bins[index].range.upperBound) * series.intervalSeconds / max(spanSeconds, 1e-9)
                * plotWidth
        }
        func y(_ value: Double) -> Double { top + plotHeight - value / maximum * plotHeight }
        var svg =
            "<svg class=\"chart timeline\" xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 \(Int(width)) \(Int(height))\" "
            + "role=\"img\" aria-label=\"\(ReportFormat.escape(title))\">\n"
        svg += "<text class=\"title\" x=\"\(left)\" y=\"20\">\(ReportFormat.escape(title))</text>\n"
        var legendX = left
        for layer in layers {
            svg += "<rect x=\"\(legendX)\" y=\"28\" width=\"10\" height=\"10\" fill=\"\(layer.color)\"/>"
            svg +=
                "<text class=\"legend\" x=\"\(legendX + 14)\" y=\"37\">\(ReportFormat.escape(layer.name))</text>\n"
            legendX += 24 + Double(layer.name.count) * 7
        }
        for tick in 0...4 {
            let value = maximum / 1.1 * Double(tick) / 4
            svg +=
                "<line class=\"grid\" x1=\"\(left)\" y1=\"\(f(y(value)))\" x2=\"\(left + plotWidth)\" y2=\"\(f(y(value)))\"/>"
            svg +=
                "<text class=\"ytick\" x=\"\(left - 6)\" y=\"\(f(y(value) + 4))\">\(ReportFormat.number(value, significant: 3))</text>\n"
        }
        for tick in 0...4 {
            let seconds = spanSeconds * Double(tick) / 4
            svg +=
                "<text class=\"xtick\" x=\"\(f(left + plotWidth * Double(tick) / 4))\" y=\"\(f(top + plotHeight + 16))\">"
            svg += "\(ReportFormat.escape(ReportFormat.duration(seconds: seconds)))</text>\n"
        }
        svg +=
            "<text class=\"ylabel\" x=\"14\" y=\"\(f(top + plotHeight / 2))\" transform=\"rotate(-90 14 \(f(top + plotHeight / 2)))\">"
        svg += "\(ReportFormat.escape(unit))</text>\n"
        svg +=
            "<text class=\"xlabel\" x=\"\(f(left + plotWidth / 2))\" y=\"\(f(height - 6))\">Time since the first reading</text>\n"
        func xAt(_ seconds: Double) -> Double {
            left + min(max(seconds, 0), spanSeconds) / max(spanSeconds, 1e-9) * plotWidth
        }
        // Epochs shade the plot behind the data; windows are a strip above it.
        for (index, band) in epochs.enumerated() {
            let fill = index % 2 == 0 ? "#E8EAF6" : "#F3F4FA"
            svg += "<rect class=\"band epoch\" x=\"\(f(xAt(band.start)))\" y=\"\(f(top))\" "
            svg += "width=\"\(f(max(0.5, xAt(band.end) - xAt(band.start))))\" height=\"\(f(plotHeight))\" "
            svg += "fill=\"\(fill)\"><title>\(ReportFormat.escape(band.label))</title></rect>\n"
        }
        for band in windows {
            svg += "<rect class=\"band window\" x=\"\(f(xAt(band.start)))\" y=\"\(f(top - 6))\" "
            svg += "width=\"\(f(max(0.5, xAt(band.end) - xAt(band.start))))\" height=\"4\" fill=\"#455A64\" "
            svg += "fill-opacity=\"0.6\"><title>\(ReportFormat.escape(band.label))</title></rect>\n"
        }
        // Each layer is a step area from its base (the layers below it) to its top.
        var base = [Double](repeating: 0, count: bins.count)
        for layer in layers {
            var upper: [String] = []
            var lower: [String] = []
            for index in bins.indices {
                let top = stacked ? base[index] + layer.values[index] : layer.values[index]
                upper.append("\(f(x(index))),\(f(y(top))) \(f(xEnd(index))),\(f(y(top)))")
                if stacked {
                    lower.append("\(f(xEnd(index))),\(f(y(base[index]))) \(f(x(index))),\(f(y(base[index])))")
                }
                if stacked { base[index] = top }
            }
            if stacked {
                svg += "<polygon class=\"area\" fill=\"\(layer.color)\" fill-opacity=\"0.8\" points=\""
                svg += upper.joined(separator: " ") + " " + lower.reversed().joined(separator: " ") + "\">"
            } else {
                svg +=
                    "<polyline class=\"line\" stroke=\"\(layer.color)\" points=\""
                    + upper.joined(separator: " ") + "\">"
            }
            svg += "<title>\(ReportFormat.escape(layer.name))</title>"
            svg += stacked ? "</polygon>\n" : "</polyline>\n"
        }
        svg +=
            "<line class=\"axis\" x1=\"\(left)\" y1=\"\(f(top + plotHeight))\" x2=\"\(left + plotWidth)\" y2=\"\(f(top + plotHeight))\"/>\n"
        return svg + "</svg>"
    }

    /// The region profile as an icicle chart (each row a depth, widths in proportion to energy) and a table.
    static func regions(_ profile: RegionProfile) -> String {
        guard !profile.roots.isEmpty else { return "" }
        // Logs from outside can hold any number: a region whose energy is not a finite, non-negative
        // number of joules gets no width, so every coordinate stays finite.
        func drawn(_ joules: Double) -> Double { joules.isFinite ? max(0, joules) : 0 }
        let rootTotal = profile.roots.reduce(0) { $0 + drawn($1.totalJoules) }
        let whole = max(rootTotal, drawn(profile.runJoules ?? 0))
        guard whole > 0, whole.isFinite else { return "" }
        let rows = profile.flattened.map(\.depth).max().map { $0 + 1 } ?? 1
        let rowHeight = 26.0
        let chartHeight = 40 + Double(rows) * rowHeight + 8
        let plotWidth = width - 16 - right
        // At most the whole width: a region nested in a smaller one can hold more energy than the whole
        // (children running at once, or a log's absurd figure), and its width must stay finite.
        func share(_ joules: Double) -> Double { min(1, drawn(joules) / whole) * plotWidth }
        var svg =
            "<svg class=\"chart icicle\" xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 \(Int(width)) \(Int(chartHeight))\" "
            + "role=\"img\" aria-label=\"Energy by region\">\n"
        svg += "<text class=\"title\" x=\"16\" y=\"20\">Energy by region (width: share of "
        svg += (profile.runJoules != nil ? "the run" : "all regions") + ")</text>\n"
        let colors = ["#3F51B5", "#0072B2", "#009E73", "#E69F00", "#CC79A7", "#56B4E9", "#D55E00"]
        var colorIndex = 0
        func draw(_ node: RegionProfile.Node, x: Double, depth: Int) {
            let nodeWidth = share(node.totalJoules)
            let y = 32 + Double(depth) * rowHeight
            svg +=
                "<g class=\"region\"><rect x=\"\(f(x))\" y=\"\(f(y))\" width=\"\(f(nodeWidth))\" height=\"\(f(rowHeight - 2))\" "
            svg += "fill=\"\(colors[colorIndex % colors.count])\" stroke=\"#fff\"/>"
            colorIndex += 1
            svg += "<title>\(ReportFormat.escape(node.name)): \(ReportFormat.number(node.totalJoules)) J, "
            svg += "\(node.calls) call(s)</title>"
            if nodeWidth > Double(node.name.count) * 7 + 8 {
                svg +=
                    "<text class=\"label\" x=\"\(f(x + 4))\" y=\"\(f(y + rowHeight / 2 + 4))\">\(ReportFormat.escape(node.name))</text>"
            }
            svg += "</g>\n"
            var childX = x
            for child in node.children {
                draw(child, x: childX, depth: depth + 1)
                childX += share(child.totalJoules)
            }
        }
        var rootX = 16.0
        for root in profile.roots {
            draw(root, x: rootX, depth: 0)
            rootX += share(root.totalJoules)
        }
        svg += "</svg>"
        var html = "<h2>Regions</h2>\n" + svg + "\n"
        html +=
            "<table class=\"regions\">\n<tr><th>Region</th><th>Calls</th><th>Total (J)</th><th>Self (J)</th>"
        html += "<th>Share of run</th><th>Average power (W)</th></tr>\n"
        for (depth, node) in profile.flattened {
            html +=
                "<tr><td style=\"padding-left:\(0.5 + Double(depth) * 1.2)rem\">\(ReportFormat.escape(node.name))</td>"
            html +=
                "<td class=\"num\">\(node.calls)</td><td class=\"num\">\(ReportFormat.number(node.totalJoules))</td>"
            html += "<td class=\"num\">\(ReportFormat.number(node.selfJoules))</td>"
            html +=
                "<td class=\"num\">\(node.shareOfRun.map { ReportFormat.number($0 * 100, significant: 3) + " %" } ?? "n/a")</td>"
            html += "<td class=\"num\">\(ReportFormat.number(node.averageWatts))</td></tr>\n"
        }
        return html + "</table>\n"
    }

    private static func f(_ value: Double) -> String { RegionProfile.fixed(value, 1) }
}
