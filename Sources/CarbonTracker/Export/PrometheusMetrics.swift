import Foundation

/// A run's figures as Prometheus series, kept up to date from ``RunEvent``s and written in the text
/// exposition format 0.0.4 (a `# HELP` and a `# TYPE` line for each metric).
///
/// ```swift
/// var metrics = PrometheusMetrics(includesRunLabel: true)
/// metrics.apply(.epoch(number: 1, measurement))
/// let text = metrics.exposition()
/// // carbontracker_energy_joules_total{component="gpu",device="A100",method="counter",run="..."} 99.2
/// ```
///
/// Counters add up epochs only: windows may overlap epochs and each other, so counting them too would
/// count the same energy twice; a window updates the power gauges. Every series carries the run's
/// ``RunDescription/labels`` (and `run` unless the Pushgateway's grouping key holds it). Device
/// names that repeat within a component (eight identical GPUs) get `#index` so that series stay
/// distinct. Cost per epoch: one addition per device; rendering is linear in the number of series.
struct PrometheusMetrics {
    /// A metric's name, type and help text.
    struct Family {
        var name: StaticString
        var type: StaticString
        var help: StaticString
    }

    static let energy = Family(
        name: "carbontracker_energy_joules_total", type: "counter",
        help:
            "Energy used by each measured device during monitored epochs, in joules, without the PUE factor.")
    static let co2eq = Family(
        name: "carbontracker_co2eq_grams_total", type: "counter",
        help:
            "CO2-equivalent emitted during monitored epochs, in grams, with the PUE factor as in the reports."
    )
    static let power = Family(
        name: "carbontracker_power_watts", type: "gauge",
        help:
            "Average power of each device over the last finished epoch or window, in watts, without the PUE factor."
    )
    static let intensity = Family(
        name: "carbontracker_carbon_intensity_grams_per_kilowatt_hour", type: "gauge",
        help: "Carbon intensity of the electricity in force, in grams of CO2-equivalent per kilowatt-hour.")
    static let epochs = Family(
        name: "carbontracker_epochs_total", type: "counter", help: "Epochs finished and measured.")
    /// In joules, Prometheus's base unit for energy: `promtool check metrics` rejects an `_hours` unit.
    static let predicted = Family(
        name: "carbontracker_predicted_energy_joules", type: "gauge",
        help: "Predicted energy of the whole training, in joules, with the PUE factor.")
    /// The bounds are gauges with a `bound` label ("low", "high"): a range is one quantity's limits,
    /// not two quantities, and each bound may move either way as the range model refines it.
    static let energyRange = Family(
        name: "carbontracker_energy_range_joules", type: "gauge",
        help:
            "Low and high bounds of each component's energy during monitored epochs, all its devices together, in joules, without the PUE factor."
    )
    static let co2eqRange = Family(
        name: "carbontracker_co2eq_range_grams", type: "gauge",
        help:
            "Low and high bounds of the CO2-equivalent emitted during monitored epochs, in grams, with the PUE factor."
    )
    static let predictedRange = Family(
        name: "carbontracker_predicted_energy_range_joules", type: "gauge",
        help:
            "Low and high bounds of the predicted energy of the whole training, in joules, with the PUE factor."
    )

    private struct EnergySeries {
        var component: String
        var device: String
        var method: String
        var joules: Double
    }

    private struct RangeSeries {
        var component: String
        var lowJoules: Double
        var highJoules: Double
    }

    private struct PowerSeries {
        var component: String
        var device: String
        var watts: Double
    }

    /// Where a component's devices last went in ``energySeries``, to skip lookups while it is unchanged.
    private struct Layout {
        var devices: [String]
        var method: MeasurementMethod
        var indices: [Int]
    }

    private let includesRunLabel: Bool
    /// `,name="value"` for every constant label, escaped once.
    private var constantLabels: [UInt8] = []
    private var energySeries: [EnergySeries] = []
    private var energyIndex: [String: Int] = [:]
    private var layouts: [ComponentKind: Layout] = [:]
    private var powerSeries: [PowerSeries] = []
    private var co2eqGrams = 0.0
    private var epochCount = 0
    private var intensityValue: (provider: String, gramsPerKilowattHour: Double)?
    private var predictedJoules: Double?
    private var energyRanges: [RangeSeries] = []
    private var co2eqGramsRange = (low: 0.0, high: 0.0)
    private var predictedJoulesRange: ClosedRange<Double>?

    /// Creates empty metrics.
    /// - Parameter includesRunLabel: Whether every series carries `run="<run id>"` (a textfile: several
    ///   runs on one node must not collide), or not (the Pushgateway's grouping key holds it).
    init(includesRunLabel: Bool) { self.includesRunLabel = includesRunLabel }

    /// Updates the figures.
    /// - Parameter event: The next event of the run.
    /// - Returns: Whether anything exported changed.
    @discardableResult
    mutating func apply(_ event: RunEvent) -> Bool {
        switch event {
        case .runStarted(let run):
            constantLabels.removeAll()
            if includesRunLabel { Self.appendLabel("run", run.runID, to: &constantLabels) }
            for label in run.labels where Self.isUsableLabelName(label.name) {
                Self.appendLabel(label.name, label.value, to: &constantLabels)
            }
            return true
        case .intensity(let estimate, _):
            intensityValue = (estimate.source, estimate.gramsPerKilowattHour)
            return true
        case .epoch(_, let measurement):
            epochCount += 1
            co2eqGrams += measurement.co2eqGrams
            co2eqGramsRange.low += measurement.co2eqGramsRange.lowerBound
            co2eqGramsRange.high += measurement.co2eqGramsRange.upperBound
            for component in measurement.components {
                addEnergy(component)
                addRange(component)
            }
            setPower(measurement.components)
            return true
        case .window(let measurement):
            setPower(measurement.components)
            return true
        case .prediction(let report):
            predictedJoules = report.energyKilowattHours * 3_600_000
            let range = report.energyKilowattHoursRange
            predictedJoulesRange = (range.lowerBound * 3_600_000)...(range.upperBound * 3_600_000)
            return true
        case .actual, .runEnded, .powerSeries:
            return false
        }
    }

    private mutating func addEnergy(_ component: ComponentEnergy) {
        let indices: [Int]
        if let layout = layouts[component.kind], layout.method == component.method,
            layout.devices == component.devices
        {
            indices = layout.indices
        } else {
            let kind = component.kind.rawValue
            let method = component.method.rawValue
            indices = Self.deviceLabels(component.devices).map { device in
                let key = kind + "\u{0}" + device + "\u{0}" + method
                if let index = energyIndex[key] { return index }
                energySeries.append(EnergySeries(component: kind, device: device, method: method, joules: 0))
                energyIndex[key] = energySeries.count - 1
                return energySeries.count - 1
            }
            layouts[component.kind] = Layout(
                devices: component.devices, method: component.method, indices: indices)
        }
        for (index, joules) in zip(indices, component.joules) where joules.isFinite {
            energySeries[index].joules += joules
        }
    }

    private mutating func addRange(_ component: ComponentEnergy) {
        let kind = component.kind.rawValue
        let range = component.joulesRange
        guard range.lowerBound.isFinite, range.upperBound.isFinite else { return }
        if let index = energyRanges.firstIndex(where: { $0.component == kind }) {
            energyRanges[index].lowJoules += range.lowerBound
            energyRanges[index].highJoules += range.upperBound
        } else {
            energyRanges.append(
                RangeSeries(component: kind, lowJoules: range.lowerBound, highJoules: range.upperBound))
        }
    }

    private mutating func setPower(_ components: [ComponentEnergy]) {
        powerSeries.removeAll(keepingCapacity: true)
        for component in components {
            for (device, watts) in zip(Self.deviceLabels(component.devices), component.averageWatts) {
                powerSeries.append(
                    PowerSeries(component: component.kind.rawValue, device: device, watts: watts))
            }
        }
    }

    /// Whether a run label can be exported: a valid Prometheus label name that no exporter sets itself.
    static func isUsableLabelName(_ name: String) -> Bool {
        guard let first = name.utf8.first, !name.hasPrefix("__"), !RunLabel.reservedNames.contains(name)
        else {
            return false
        }
        func isLetter(_ byte: UInt8) -> Bool {
            (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A) || byte == UInt8(ascii: "_")
        }
        return isLetter(first) && name.utf8.allSatisfy { isLetter($0) || ($0 >= 0x30 && $0 <= 0x39) }
    }

    /// Device names as labels: a name that occurs more than once in the list gets `#index`.
    static func deviceLabels(_ devices: [String]) -> [String] {
        guard devices.count > 1, Set(devices).count < devices.count else { return devices }
        return devices.enumerated().map { index, name in
            devices.firstIndex(of: name) == devices.lastIndex(of: name) ? name : "\(name)#\(index)"
        }
    }

    // MARK: Rendering

    /// The exposition text.
    func exposition() -> String {
        var bytes: [UInt8] = []
        render(into: &bytes)
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Appends the exposition text.
    /// - Parameter bytes: Where to append.
    func render(into bytes: inout [UInt8]) {
        if !energySeries.isEmpty {
            Self.describe(Self.energy, &bytes)
            for series in energySeries {
                sample(
                    Self.energy,
                    ["component": series.component, "device": series.device, "method": series.method],
                    series.joules, &bytes)
            }
        }
        if !energyRanges.isEmpty {
            Self.describe(Self.energyRange, &bytes)
            for series in energyRanges {
                sample(
                    Self.energyRange, ["component": series.component, "bound": "low"], series.lowJoules,
                    &bytes)
                sample(
                    Self.energyRange, ["component": series.component, "bound": "high"], series.highJoules,
                    &bytes)
            }
        }
        Self.describe(Self.co2eq, &bytes)
        sample(Self.co2eq, [:], co2eqGrams, &bytes)
        Self.describe(Self.co2eqRange, &bytes)
        sample(Self.co2eqRange, ["bound": "low"], co2eqGramsRange.low, &bytes)
        sample(Self.co2eqRange, ["bound": "high"], co2eqGramsRange.high, &bytes)
        if !powerSeries.isEmpty {
            Self.describe(Self.power, &bytes)
            for series in powerSeries {
                sample(
                    Self.power, ["component": series.component, "device": series.device], series.watts, &bytes
                )
            }
        }
        if let intensityValue {
            Self.describe(Self.intensity, &bytes)
            sample(
                Self.intensity, ["provider": intensityValue.provider], intensityValue.gramsPerKilowattHour,
                &bytes)
        }
        Self.describe(Self.epochs, &bytes)
        sample(Self.epochs, [:], Double(epochCount), &bytes)
        if let predictedJoules {
            Self.describe(Self.predicted, &bytes)
            sample(Self.predicted, [:], predictedJoules, &bytes)
        }
        if let predictedJoulesRange {
            Self.describe(Self.predictedRange, &bytes)
            sample(Self.predictedRange, ["bound": "low"], predictedJoulesRange.lowerBound, &bytes)
            sample(Self.predictedRange, ["bound": "high"], predictedJoulesRange.upperBound, &bytes)
        }
    }

    private static func describe(_ family: Family, _ bytes: inout [UInt8]) {
        append("# HELP ", &bytes)
        append(family.name, &bytes)
        bytes.append(0x20)
        append(family.help, &bytes)
        append("\n# TYPE ", &bytes)
        append(family.name, &bytes)
        bytes.append(0x20)
        append(family.type, &bytes)
        bytes.append(0x0A)
    }

    private func sample(
        _ family: Family, _ labels: KeyValuePairs<String, String>, _ value: Double, _ bytes: inout [UInt8]
    ) {
        Self.append(family.name, &bytes)
        let start = bytes.count
        for (name, text) in labels { Self.appendLabel(name, text, to: &bytes) }
        bytes.append(contentsOf: constantLabels)
        if bytes.count > start {
            bytes[start] = UInt8(ascii: "{")
            bytes.append(UInt8(ascii: "}"))
        }
        bytes.append(0x20)
        Self.appendValue(value, &bytes)
        bytes.append(0x0A)
    }

    /// Appends `,name="value"` with the value escaped as the format requires (`\\`, `\"`, `\n`).
    static func appendLabel(_ name: String, _ value: String, to bytes: inout [UInt8]) {
        bytes.append(UInt8(ascii: ","))
        bytes.append(contentsOf: name.utf8)
        bytes.append(contentsOf: [UInt8(ascii: "="), UInt8(ascii: "\"")])
        for byte in value.utf8 {
            switch byte {
            case UInt8(ascii: "\\"): bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\\")])
            case UInt8(ascii: "\""): bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\"")])
            case 0x0A: bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "n")])
            default: bytes.append(byte)
            }
        }
        bytes.append(UInt8(ascii: "\""))
    }

    /// Appends a sample value as Go's `ParseFloat` reads it: `NaN`, `+Inf`, `-Inf`, else the shortest
    /// round-trip decimal.
    static func appendValue(_ value: Double, _ bytes: inout [UInt8]) {
        if value.isNaN {
            append("NaN", &bytes)
        } else if value.isInfinite {
            append(value > 0 ? "+Inf" : "-Inf", &bytes)
        } else {
            bytes.append(contentsOf: value.description.utf8)
        }
    }

    private static func append(_ text: StaticString, _ bytes: inout [UInt8]) {
        text.withUTF8Buffer { bytes.append(contentsOf: $0) }
    }
}
