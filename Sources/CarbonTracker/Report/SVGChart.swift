import Foundation

/// A small inline SVG chart over epochs: lines with markers, or stacked bars, with optional bands
/// (bounds of a range, or the smallest and largest epoch of each bin).
///
/// No script and no external resource: hovering a point shows its value through SVG `<title>`.
/// Cost: a few elements per category and series; markers are left out beyond 60 categories. A
/// category is one epoch, or a bin of neighbouring epochs (``categoryEnds``).
struct SVGChart {
    enum Style {
        case lines
        case stackedBars
    }

    struct Series {
        var name: String
        var color: String
        /// One value per category; `nil` leaves a gap.
        var values: [Double?]
    }

    /// Bounds drawn around the data: an area behind lines, a whisker over each bar.
    struct Band {
        enum Kind: String {
            /// The bounds of a range the log gives (low to high).
            case range
            /// The smallest and largest epoch of a bin.
            case envelope
        }

        var name: String
        var color: String
        var kind: Kind
        /// One value per category; `nil` in either leaves a gap.
        var low: [Double?]
        var high: [Double?]
    }

    var title: String
    var yLabel: String
    var xLabel = "Epoch"
    /// What one category is, in tooltips ("epoch 3", "epochs 3–4").
    var categoryNoun = "epoch"
    /// The first epoch of each category.
    var categories: [Int]
    /// The last epoch of each category, when categories are bins of several epochs.
    var categoryEnds: [Int]? = nil
    var bands: [Band] = []
    var series: [Series]
    var style: Style

    private let width = 720.0
    private let height = 320.0
    private let left = 72.0
    private let right = 16.0
    private let top = 56.0
    private let bottom = 48.0

    init(title: String, yLabel: String, categories: [Int], series: [Series], style: Style) {
        self.title = title
        self.yLabel = yLabel
        self.categories = categories
        self.series = series
        self.style = style
    }

    func render() -> String {
        let plotWidth = width - left - right
        let plotHeight = height - top - bottom
        var svg =
            "<svg class=\"chart\" xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 \(Int(width)) \(Int(height))\" "
            + "role=\"img\" aria-label=\"\(ReportFormat.escape(title))\">\n"
        svg += "<text class=\"title\" x=\"\(left)\" y=\"20\">\(ReportFormat.escape(title))</text>\n"
        svg += legend()
        guard !categories.isEmpty, !series.isEmpty else {
            svg +=
                "<text class=\"empty\" x=\"\(width / 2)\" y=\"\(top + plotHeight / 2)\">No epochs recorded</text>\n"
            return svg + "</svg>"
        }
        let maximum = niceMaximum(dataMaximum())
        // A nice step divides the nice maximum into at most 10 parts; anything else (rounding at the
        // very top of the range) gets 5 plain ones, so the loop below is always short.
        var step = niceStep(maximum / 5)
        if !(step > 0 && step.isFinite && maximum / step <= 10) { step = maximum / 5 }
        let parts = maximum / step * 1.000001
        let ticks = parts.isFinite ? Int(min(parts, 10).rounded(.down)) : 0
        func y(_ value: Double) -> Double { top + plotHeight - min(value, maximum) / maximum * plotHeight }
        let band = plotWidth / Double(categories.count)
        func x(_ index: Int) -> Double { left + (Double(index) + 0.5) * band }

        for index in 0...max(0, ticks) {
            let tick = Double(index) * step
            svg +=
                "<line class=\"grid\" x1=\"\(left)\" y1=\(q(y(tick))) x2=\"\(left + plotWidth)\" y2=\(q(y(tick)))/>\n"
            svg +=
                "<text class=\"ytick\" x=\"\(left - 6)\" y=\(q(y(tick) + 4))>\(ReportFormat.number(tick))</text>\n"
        }
        let labelEvery = max(1, Int((Double(categories.count) / 12).rounded(.up)))
        for (index, category) in categories.enumerated() where index % labelEvery == 0 {
            svg +=
                "<text class=\"xtick\" x=\(q(x(index))) y=\"\(top + plotHeight + 16)\">\(category)</text>\n"
        }
        svg +=
            "<line class=\"axis\" x1=\"\(left)\" y1=\"\(top + plotHeight)\" x2=\"\(left + plotWidth)\" y2=\"\(top + plotHeight)\"/>\n"
        svg +=
            "<line class=\"axis\" x1=\"\(left)\" y1=\"\(top)\" x2=\"\(left)\" y2=\"\(top + plotHeight)\"/>\n"
        svg +=
            "<text class=\"xlabel\" x=\"\(left + plotWidth / 2)\" y=\"\(height - 8)\">\(ReportFormat.escape(xLabel))</text>\n"
        svg +=
            "<text class=\"ylabel\" transform=\"translate(16 \(top + plotHeight / 2)) rotate(-90)\">"
            + "\(ReportFormat.escape(yLabel))</text>\n"

        switch style {
        case .lines:
            svg += areas(x: x, y: y)
            svg += lines(x: x, y: y)
        case .stackedBars:
            svg += bars(x: x, y: y, band: band)
            svg += whiskers(x: x, y: y)
        }
        return svg + "</svg>"
    }

    /// "epoch 3", or "epochs 3–4" for a bin.
    private func categoryName(_ index: Int) -> String {
        guard let ends = categoryEnds, ends[index] != categories[index] else {
            return "\(categoryNoun) \(categories[index])"
        }
        return "\(categoryNoun)s \(categories[index])–\(ends[index])"
    }

    /// Each band as an area from its low to its high values, one polygon per stretch without gaps.
    private func areas(x: (Int) -> Double, y: (Double) -> Double) -> String {
        var svg = ""
        for item in bands {
            var stretch: [Int] = []
            func flush() {
                defer { stretch = [] }
                guard !stretch.isEmpty else { return }
                var points = stretch.map { "\(fmt(x($0))),\(fmt(y(item.high[$0]!)))" }
                points += stretch.reversed().map { "\(fmt(x($0))),\(fmt(y(item.low[$0]!)))" }
                svg += "<polygon class=\"band \(item.kind.rawValue)\" fill=\"\(item.color)\" "
                svg += "fill-opacity=\"0.25\" points=\"\(points.joined(separator: " "))\">"
                svg += "<title>\(ReportFormat.escape(item.name))</title></polygon>\n"
            }
            for index in categories.indices {
                if let low = item.low[index], let high = item.high[index], low.isFinite, high.isFinite {
                    stretch.append(index)
                } else {
                    flush()
                }
            }
            flush()
        }
        return svg
    }

    /// Each band as a vertical line from its low to its high value over each bar.
    private func whiskers(x: (Int) -> Double, y: (Double) -> Double) -> String {
        var svg = ""
        for item in bands {
            for index in categories.indices {
                guard let low = item.low[index], let high = item.high[index], low.isFinite, high.isFinite
                else { continue }
                svg += "<line class=\"band \(item.kind.rawValue)\" x1=\(q(x(index))) y1=\(q(y(low))) "
                svg += "x2=\(q(x(index))) y2=\(q(y(high))) stroke=\"\(item.color)\">"
                svg += "<title>\(ReportFormat.escape(item.name)), \(categoryName(index)): "
                svg +=
                    "\(ReportFormat.number(low))–\(ReportFormat.number(high)) \(ReportFormat.escape(yLabel))"
                svg += "</title></line>\n"
            }
        }
        return svg
    }

    private func lines(x: (Int) -> Double, y: (Double) -> Double) -> String {
        var svg = ""
        let markers = categories.count <= 60
        for item in series {
            var path = ""
            var drawing = false
            for (index, value) in item.values.enumerated() {
                guard let value, value.isFinite else {
                    drawing = false
                    continue
                }
                path += "\(drawing ? "L" : "M")\(fmt(x(index))) \(fmt(y(value))) "
                drawing = true
            }
            svg += "<path class=\"line\" d=\"\(path)\" stroke=\"\(item.color)\"/>\n"
            for (index, value) in item.values.enumerated() {
                guard let value, value.isFinite, markers || item.values.count == 1 else { continue }
                svg +=
                    "<circle cx=\(q(x(index))) cy=\(q(y(value))) r=\"4\" fill=\"\(item.color)\">"
                    + "<title>\(ReportFormat.escape(item.name)), \(categoryName(index)): "
                    + "\(ReportFormat.number(value)) \(ReportFormat.escape(yLabel))</title></circle>\n"
            }
        }
        return svg
    }

    private func bars(x: (Int) -> Double, y: (Double) -> Double, band: Double) -> String {
        var svg = ""
        let barWidth = max(1, band * 0.7)
        for index in categories.indices {
            var base = 0.0
            for item in series {
                guard let value = item.values[index], value.isFinite, value > 0 else { continue }
                let top = y(Self.cappedSum(base, value))
                svg +=
                    "<rect x=\(q(x(index) - barWidth / 2)) y=\(q(top)) width=\(q(barWidth)) "
                    + "height=\(q(y(base) - top)) fill=\"\(item.color)\"><title>\(ReportFormat.escape(item.name)), "
                    + "\(categoryName(index)): \(ReportFormat.number(value)) \(ReportFormat.escape(yLabel))</title></rect>\n"
                base = Self.cappedSum(base, value)
            }
        }
        return svg
    }

    private func legend() -> String {
        var svg = ""
        var offset = left
        for item in series {
            svg += "<rect x=\(q(offset)) y=\"32\" width=\"12\" height=\"12\" fill=\"\(item.color)\"/>\n"
            svg +=
                "<text class=\"legend\" x=\(q(offset + 16)) y=\"42\">\(ReportFormat.escape(item.name))</text>\n"
            offset += 28 + Double(item.name.count) * 7
        }
        for item in bands {
            svg +=
                "<rect x=\(q(offset)) y=\"32\" width=\"12\" height=\"12\" fill=\"\(item.color)\" fill-opacity=\"0.35\"/>\n"
            svg +=
                "<text class=\"legend\" x=\(q(offset + 16)) y=\"42\">\(ReportFormat.escape(item.name))</text>\n"
            offset += 28 + Double(item.name.count) * 7
        }
        return svg
    }

    private func dataMaximum() -> Double {
        var maximum = 0.0
        switch style {
        case .lines:
            for item in series {
                for value in item.values { if let value, value.isFinite { maximum = max(maximum, value) } }
            }
        case .stackedBars:
            for index in categories.indices {
                let total = series.reduce(0.0) { sum, item in
                    guard let value = item.values[index], value.isFinite, value > 0 else { return sum }
                    return Self.cappedSum(sum, value)
                }
                maximum = max(maximum, total)
            }
        }
        for item in bands {
            for value in item.high { if let value, value.isFinite { maximum = max(maximum, value) } }
        }
        return maximum
    }

    /// A sum of bar heights that stays finite: bars taller than the largest double are drawn that tall.
    private static func cappedSum(_ a: Double, _ b: Double) -> Double {
        min(a + b, .greatestFiniteMagnitude)
    }

    /// A multiple of a nice step (1, 2, 2.5 or 5 times a power of ten), at least `value`; `value`
    /// itself when that multiple is beyond the largest double.
    private func niceMaximum(_ value: Double) -> Double {
        guard value > 0, value.isFinite else { return 1 }
        let nice = (value / niceStep(value / 5)).rounded(.up) * niceStep(value / 5)
        return nice.isFinite && nice >= value ? nice : value
    }

    private func niceStep(_ rough: Double) -> Double {
        guard rough > 0, rough.isFinite else { return 1 }
        let power = pow(10, (log10(rough)).rounded(.down))
        for factor in [1.0, 2, 2.5, 5, 10] where factor * power >= rough { return factor * power }
        return 10 * power
    }

    private func fmt(_ value: Double) -> String { String(format: "%.1f", value) }
    private func q(_ value: Double) -> String { "\"\(fmt(value))\"" }
}
