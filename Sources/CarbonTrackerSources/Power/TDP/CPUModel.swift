import Foundation

/// The processor's model name and its thermal design power from the embedded table.
///
/// ```swift
/// let model = CPUModel.detect(cpuinfoPath: "/proc/cpuinfo")   // "AMD EPYC 7763 64-Core Processor"
/// CPUModel.thermalDesignPower(for: model)                     // .matched(name: "AMD EPYC 7763", watts: 280)
/// ```
///
/// Matching follows Python carbontracker: the exact name, else the first table name that contains
/// the model name without its "@ frequency" part, else the table's mean. Detection reads one file
/// (Linux) or one `sysctl` (macOS); matching scans the table once (about 4,000 rows).
package enum CPUModel {
    /// How a TDP was found.
    enum Match: Equatable, Sendable {
        /// A table row, by exact name or containment.
        case matched(name: String, watts: Double)
        /// No row matched: the mean over all models.
        case average(watts: Double, models: Int)

        /// The TDP in watts.
        var watts: Double {
            switch self {
            case .matched(_, let watts), .average(let watts, _): return watts
            }
        }
    }

    /// Python's name for a CPU that could not be identified.
    package static let unknown = "Unknown CPU"

    /// The model name, or `nil` when it cannot be read.
    /// - Parameter cpuinfoPath: Where Linux describes the processors (`nil` on macOS, where `sysctl`
    ///   names the CPU first).
    package static func detect(cpuinfoPath: String?) -> String? {
        detectReportingFailure(cpuinfoPath: cpuinfoPath).name
    }

    /// The model name, and why the file could not be read when it could not (a FIFO, a device, a file
    /// larger than ``BoundedFile/cpuinfoLimit``, a missing file).
    static func detectReportingFailure(cpuinfoPath: String?) -> (name: String?, failure: BoundedFile.Failure?)
    {
        if let name = systemModelName() { return (name, nil) }
        guard let cpuinfoPath else { return (nil, nil) }
        switch BoundedFile.readText(cpuinfoPath, limit: BoundedFile.cpuinfoLimit) {
        case .success(let text): return (modelName(fromCPUInfo: text), nil)
        case .failure(let failure): return (nil, failure)
        }
    }

    /// The first model-name field of `/proc/cpuinfo` text (x86 `model name`; ARM and others use
    /// `Model`, `Hardware` or `cpu model`).
    static func modelName(fromCPUInfo text: String) -> String? {
        var fields: [String: String] = [:]
        for line in text.split(separator: "\n") {
            guard let colon = line.firstIndex(of: ":") else { continue }
            let key = line[..<colon].trimmingCharacters(in: .whitespaces)
            let value = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            if fields[key] == nil, !value.isEmpty { fields[key] = value }
        }
        return ["model name", "Model", "Hardware", "cpu model"].lazy.compactMap { fields[$0] }.first
    }

    /// The TDP for `model`, by Python carbontracker's rules, with `exact` rows (Apple silicon chips that
    /// Python's table lacks) matched by their exact name before any containment match or average, which
    /// stay Python's.
    static func thermalDesignPower(
        for model: String, table: [(name: String, watts: Double)] = ReferenceData.cpuThermalDesignPower,
        exact: [(name: String, watts: Double)] = AppleSiliconTDP.table
    ) -> Match {
        // Python keeps the rows in a dictionary: a repeated name keeps its first position and last value.
        var watts: [String: Double] = [:]
        var order: [String] = []
        for row in table {
            if watts.updateValue(row.watts, forKey: row.name) == nil { order.append(row.name) }
        }
        if let exact = watts[model] { return .matched(name: model, watts: exact) }
        if let row = exact.first(where: { $0.name == model }) {
            return .matched(name: model, watts: row.watts)
        }
        let withoutFrequency = String(model.split(separator: "@", omittingEmptySubsequences: false)[0])
            .trimmingCharacters(in: .whitespaces)
        if !withoutFrequency.isEmpty, let name = order.first(where: { $0.contains(withoutFrequency) }) {
            return .matched(name: name, watts: watts[name]!)
        }
        // Summed in the table's order, as Python sums its dictionary, so the mean is the same to the last bit
        // every time (a dictionary's own order changes from one instance to the next).
        let mean = order.isEmpty ? 0 : order.reduce(0) { $0 + watts[$1]! } / Double(order.count)
        return .average(watts: mean, models: watts.count)
    }
}
