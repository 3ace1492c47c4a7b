import Foundation

/// Builds a ``LogParser/OutputLog`` one line at a time from the consumption reports in an output log.
///
/// A report starts at its heading ("Actual consumption for 3 epoch(s):") and ends at the next
/// time-stamped line; it counts only when both its energy and its CO2eq lines were read.
struct OutputLogScanner {
    private(set) var output = LogParser.OutputLog()
    private var lineNumber = 0
    private var block: Block?

    private struct Block {
        var isActual: Bool
        var epochs: Int?
        var line: Int
        var durationSeconds: Double?
        var energy: Double?
        var co2eq: Double?
        var equivalents: [ConsumptionReport.Equivalent] = []
        var readingEquivalents = false
    }

    mutating func consume(_ line: Substring) {
        lineNumber += 1
        let (stamp, message) = LogValue.splitTimestamp(line)
        var text = message
        if stamp != nil {
            closeBlock()
            if text.hasPrefix("CarbonTracker: ") { text = text.dropFirst("CarbonTracker: ".count) }
        }
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        if let heading = heading(trimmed) {
            closeBlock()
            block = heading
            return
        }
        guard var current = block else { return }
        if trimmed.hasPrefix("Time:") {
            current.durationSeconds = LogValue.duration(trimmed.dropFirst("Time:".count))
        } else if trimmed.hasPrefix("Energy:") {
            current.energy = Self.value(trimmed.dropFirst("Energy:".count), unit: "kWh")
        } else if trimmed.hasPrefix("CO2eq:") {
            current.co2eq = Self.value(trimmed.dropFirst("CO2eq:".count), unit: "g")
        } else if trimmed.hasPrefix("This is equivalent to:") {
            current.readingEquivalents = true
        } else if current.readingEquivalents, !trimmed.isEmpty {
            let parts = trimmed.split(separator: " ", maxSplits: 1)
            if parts.count == 2, let amount = LogValue.number(parts[0]) {
                current.equivalents.append(
                    .init(unit: parts[1].trimmingCharacters(in: .whitespaces), amount: amount))
            } else {
                output.warnings.append(
                    "Line \(lineNumber): cannot read the equivalent '\(trimmed)'; it is left out.")
            }
        }
        block = current
    }

    mutating func finish(endedMidLine: Bool) -> LogParser.OutputLog {
        if endedMidLine {
            output.warnings.append(
                "The file ends in the middle of a line (the tracker was probably killed while writing); "
                    + "the partial line was ignored.")
        }
        closeBlock()
        return output
    }

    private func heading(_ text: String) -> Block? {
        guard let first = text.first, "AaPp".contains(first) else { return nil }
        let lower = text.lowercased()
        for (prefix, isActual) in [("actual consumption", true), ("predicted consumption", false)]
        where lower.hasPrefix(prefix) {
            let rest = lower.dropFirst(prefix.count)
            if rest == ":" { return Block(isActual: isActual, epochs: nil, line: lineNumber) }
            guard rest.hasPrefix(" for "), rest.hasSuffix(":") else { return nil }
            let count = rest.dropFirst(" for ".count)
            guard let epochs = LogValue.leadingInteger(count) else { return nil }
            let unit = count.dropFirst(String(epochs).count).dropLast()
            guard [" epoch(s)", " epochs", " epoch"].contains(unit) else { return nil }
            return Block(isActual: isActual, epochs: epochs, line: lineNumber)
        }
        return nil
    }

    private mutating func closeBlock() {
        guard let current = block else { return }
        block = nil
        let kind = current.isActual ? "actual" : "predicted"
        guard let energy = current.energy, let co2eq = current.co2eq else {
            output.warnings.append(
                "The \(kind) consumption report at line \(current.line) is incomplete; it is ignored.")
            return
        }
        let consumption = LogParser.Consumption(
            epochs: current.epochs, durationSeconds: current.durationSeconds, energyKilowattHours: energy,
            co2eqGrams: co2eq, equivalents: current.equivalents)
        if current.isActual {
            if output.actual == nil { output.actual = consumption }
        } else if output.predicted == nil {
            output.predicted = consumption
        }
    }

    /// `0.000131147360 kWh` → 0.00013114736.
    private static func value<S: StringProtocol>(_ text: S, unit: String) -> Double? {
        var trimmed = text.trimmingCharacters(in: .whitespaces)
        if trimmed.hasSuffix(" " + unit) { trimmed.removeLast(unit.count + 1) }
        return LogValue.number(trimmed.trimmingCharacters(in: .whitespaces))
    }
}
