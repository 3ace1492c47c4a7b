/// Builds a ``LogParser/OutputLog`` one line at a time from the consumption reports in an output log.
///
/// A report starts at its heading ("Actual consumption for 3 epoch(s):") and ends at the next
/// time-stamped line; it counts only when both its energy and its CO2eq lines were read.
package struct OutputLogScanner {
    package init() {
    }

    private(set) var output = LogParser.OutputLog()
    private var lineNumber = 0
    private var block: Block?
    /// Warnings about single lines so far, of which the first ``LogFileReader/lineWarningLimit`` are kept.
    private var lineWarnings = 0

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

    package mutating func consume(_ line: LogBytes) {
        lineNumber += 1
        let (stamp, message) = LogValue.splitTimestamp(line)
        var text = message
        if stamp != nil {
            let closed = closeBlock()
            text = text.after("CarbonTracker: ") ?? text
            if let rest = text.after(RangeLine.prefix) {
                if let closed { readRange(rest, isActual: closed) }
                return
            }
        }
        let trimmed = text.trimmed
        if let heading = heading(trimmed) {
            closeBlock()
            block = heading
            return
        }
        guard block != nil else { return }
        if let rest = trimmed.after("Time:") {
            block?.durationSeconds = LogValue.duration(rest)
        } else if let rest = trimmed.after("Energy:") {
            block?.energy = Self.value(rest, unit: " kWh")
        } else if let rest = trimmed.after("CO2eq:") {
            block?.co2eq = Self.value(rest, unit: " g")
        } else if trimmed.hasPrefix("This is equivalent to:") {
            block?.readingEquivalents = true
        } else if block?.readingEquivalents == true, !trimmed.isEmpty {
            readEquivalent(trimmed)
        }
    }

    /// The reports read so far, with the warnings for how the file ended.
    package mutating func finish(_ end: LogFileReader.Outcome = .init()) -> LogParser.OutputLog {
        if let warning = end.endedMidLineWarning { output.warnings.append(warning) }
        closeBlock()
        if let warning = end.longLinesWarning { output.warnings.append(warning) }
        if lineWarnings > LogFileReader.lineWarningLimit {
            output.warnings.append(
                "\(lineWarnings - LogFileReader.lineWarningLimit) more line(s) could not be read "
                    + "(only the first \(LogFileReader.lineWarningLimit) are listed).")
        }
        return output
    }

    /// "0.001310681792 km travelled by car": the amount up to the first space, the unit after it.
    private mutating func readEquivalent(_ text: LogBytes) {
        if let space = text.firstIndex(of: 0x20), let amount = LogValue.number(text.prefix(upTo: space)) {
            let unit = text.suffix(from: space + 1).trimmed.string
            block?.equivalents.append(.init(unit: unit, amount: amount))
        } else {
            warnAboutLine("Line \(lineNumber): cannot read the equivalent \(text.excerpt); it is left out.")
        }
    }

    /// "Actual consumption for 3 epoch(s):", "Actual consumption:", "Predicted consumption for 10 epoch(s):",
    /// in any case, as Python's `(?i)` expressions accept.
    private func heading(_ text: LogBytes) -> Block? {
        let isActual: Bool
        let rest: LogBytes
        switch text.first {
        case UInt8(ascii: "A"), UInt8(ascii: "a"):
            guard text.hasPrefix(ignoringCase: "actual consumption") else { return nil }
            isActual = true
            rest = text.suffix(from: 18)
        case UInt8(ascii: "P"), UInt8(ascii: "p"):
            guard text.hasPrefix(ignoringCase: "predicted consumption") else { return nil }
            isActual = false
            rest = text.suffix(from: 21)
        default:
            return nil
        }
        if rest.equals(":") { return Block(isActual: isActual, epochs: nil, line: lineNumber) }
        guard rest.hasPrefix(ignoringCase: " for "), rest.last == UInt8(ascii: ":"),
            let (epochs, unit) = LogValue.leadingInteger(rest.suffix(from: 5)),
            unit.equals(ignoringCase: " epoch(s):") || unit.equals(ignoringCase: " epochs:")
                || unit.equals(ignoringCase: " epoch:")
        else { return nil }
        return Block(isActual: isActual, epochs: epochs, line: lineNumber)
    }

    /// Ends the open report, if any.
    /// - Returns: Whether the report kept was the actual one (`true`) or the prediction (`false`);
    ///   `nil` when none was open or it was not kept.
    @discardableResult
    private mutating func closeBlock() -> Bool? {
        guard let current = block else { return nil }
        block = nil
        let kind = current.isActual ? "actual" : "predicted"
        guard let energy = current.energy, let co2eq = current.co2eq else {
            warnAboutLine(
                "The \(kind) consumption report at line \(current.line) is incomplete; it is ignored.")
            return nil
        }
        let consumption = LogParser.Consumption(
            epochs: current.epochs, durationSeconds: current.durationSeconds, energyKilowattHours: energy,
            co2eqGrams: co2eq, equivalents: current.equivalents)
        if current.isActual {
            guard output.actual == nil else { return nil }
            output.actual = consumption
        } else {
            guard output.predicted == nil else { return nil }
            output.predicted = consumption
        }
        return current.isActual
    }

    /// The range line that follows a report (`Energy range: a–b kWh, CO2eq range: c–d g`).
    private mutating func readRange(_ text: LogBytes, isActual: Bool) {
        guard let bounds = RangeLogLine.bounds(text) else {
            warnAboutLine("Line \(lineNumber): cannot read the energy range \(text.excerpt); it is left out.")
            return
        }
        if isActual {
            output.actual?.energyKilowattHoursRange = bounds.energyKilowattHours
            output.actual?.co2eqGramsRange = bounds.co2eqGrams
        } else {
            output.predicted?.energyKilowattHoursRange = bounds.energyKilowattHours
            output.predicted?.co2eqGramsRange = bounds.co2eqGrams
        }
    }

    /// Keeps a warning about one line unless the file already had ``LogFileReader/lineWarningLimit``.
    private mutating func warnAboutLine(_ message: String) {
        lineWarnings += 1
        if lineWarnings <= LogFileReader.lineWarningLimit { output.warnings.append(message) }
    }

    /// `0.000131147360 kWh` → 0.00013114736.
    private static func value(_ text: LogBytes, unit: StaticString) -> Double? {
        var trimmed = text.trimmed
        if trimmed.hasSuffix(unit) { trimmed = trimmed.dropLast(unit.utf8CodeUnitCount) }
        return LogValue.number(trimmed.trimmed)
    }
}
