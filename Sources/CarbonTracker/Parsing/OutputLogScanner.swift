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
            text = LogValue.after("CarbonTracker: ", in: text) ?? text
        }
        let trimmed = LogValue.trimmed(text)
        if let heading = heading(trimmed) {
            closeBlock()
            block = heading
            return
        }
        guard var current = block else { return }
        if let rest = LogValue.after("Time:", in: trimmed) {
            current.durationSeconds = LogValue.duration(rest)
        } else if let rest = LogValue.after("Energy:", in: trimmed) {
            current.energy = Self.value(rest, unit: " kWh")
        } else if let rest = LogValue.after("CO2eq:", in: trimmed) {
            current.co2eq = Self.value(rest, unit: " g")
        } else if LogValue.hasPrefix(trimmed, "This is equivalent to:") {
            current.readingEquivalents = true
        } else if current.readingEquivalents, !trimmed.isEmpty {
            let parts = trimmed.split(separator: " ", maxSplits: 1)
            if parts.count == 2, let amount = LogValue.number(parts[0]) {
                current.equivalents.append(.init(unit: String(LogValue.trimmed(parts[1])), amount: amount))
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

    /// "Actual consumption for 3 epoch(s):", "Actual consumption:", "Predicted consumption for 10 epoch(s):",
    /// in any case, as Python's `(?i)` expressions accept.
    private func heading(_ text: Substring) -> Block? {
        guard let first = text.utf8.first, "AaPp".utf8.contains(first) else { return nil }
        let lower = text.lowercased()[...]
        for (prefix, isActual) in [("actual consumption", true), ("predicted consumption", false)] {
            guard let rest = LogValue.after(prefix, in: lower) else { continue }
            if rest == ":" { return Block(isActual: isActual, epochs: nil, line: lineNumber) }
            guard let count = LogValue.after(" for ", in: rest), rest.utf8.last == UInt8(ascii: ":"),
                let (epochs, unit) = LogValue.leadingInteger(count),
                [" epoch(s):", " epochs:", " epoch:"].contains(unit)
            else { return nil }
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
    private static func value(_ text: Substring, unit: String) -> Double? {
        var trimmed = LogValue.trimmed(text)
        if trimmed.utf8.reversed().starts(with: unit.utf8.reversed()) {
            trimmed = trimmed.dropLast(unit.count)
        }
        return LogValue.number(LogValue.trimmed(trimmed))
    }
}
