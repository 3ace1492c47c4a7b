import Foundation

/// `Energy range: 1.1e-05–1.3e-05 kWh, CO2eq range: 0.0051–0.0056 g`: the low and high bounds of the
/// figures logged just before it, on a line of its own.
///
/// Python carbontracker's parser matches none of these lines: they hold no `Duration:`, `Energy:`,
/// `CO2eq:` or `Average power usage`, and in the output log each starts with its own timestamp, which
/// ends the report block above it for Python's expressions. The standard log writes the bounds in
/// shortest round-trip form, so that ``LogParser`` reads back the exact values; the output log and
/// the console write them with the report's decimal precision.
enum RangeLine {
    /// `Energy range: `, the start of an epoch's line in the standard log and of a report's line in
    /// the output log.
    static let prefix: StaticString = "Energy range: "
    /// `Energy range of window `, the start of a window's line in the standard log.
    static let windowPrefix: StaticString = "Energy range of window "
    /// The separator between the energy bounds and the CO2eq bounds.
    static let middle: StaticString = " kWh, CO2eq range: "
    /// The en dash between a low and a high bound.
    static let dash: StaticString = "\u{2013}"

    /// Appends the epoch's range line to the standard log, after its energy lines.
    static func appendEpoch(_ epoch: WindowMeasurement, to batch: inout LogBatch) {
        batch.standard { bytes in
            append(prefix, &bytes)
            appendBounds(epoch.energyKilowattHoursRange, epoch.co2eqGramsRange, &bytes)
        }
    }

    /// Appends the window's range line to the standard log, after its window line; the name is
    /// written as the window line writes it.
    static func appendWindow(_ window: WindowMeasurement, to batch: inout LogBatch) {
        batch.standard { bytes in
            append(windowPrefix, &bytes)
            for byte in window.name.utf8 { bytes.append(byte < 0x20 ? UInt8(ascii: " ") : byte) }
            bytes.append(contentsOf: [UInt8(ascii: ":"), 0x20])
            appendBounds(window.energyKilowattHoursRange, window.co2eqGramsRange, &bytes)
        }
    }

    /// `a–b kWh, CO2eq range: c–d g` with every bound in shortest round-trip form.
    private static func appendBounds(
        _ kilowattHours: ClosedRange<Double>, _ grams: ClosedRange<Double>, _ bytes: inout [UInt8]
    ) {
        bytes.append(contentsOf: kilowattHours.lowerBound.description.utf8)
        append(dash, &bytes)
        bytes.append(contentsOf: kilowattHours.upperBound.description.utf8)
        append(middle, &bytes)
        bytes.append(contentsOf: grams.lowerBound.description.utf8)
        append(dash, &bytes)
        bytes.append(contentsOf: grams.upperBound.description.utf8)
        bytes.append(contentsOf: [0x20, UInt8(ascii: "g")])
    }

    private static func append(_ text: StaticString, _ bytes: inout [UInt8]) {
        text.withUTF8Buffer { bytes.append(contentsOf: $0) }
    }
}

extension ConsumptionReport {
    /// The line that follows the report in the console and the output log, with its bounds at the
    /// report's precision: `Energy range: 0.011900–0.012800 kWh, CO2eq range: 5.100000–5.600000 g`.
    /// - Parameter decimalPrecision: Digits after the decimal point, as for ``text(heading:decimalPrecision:)``.
    /// - Returns: The line, without the "CarbonTracker: " prefix and without a newline.
    public func rangeText(decimalPrecision: Int) -> String {
        let p = decimalPrecision
        let energy = energyKilowattHoursRange
        let grams = co2eqGramsRange
        return
            "Energy range: \(Self.fixed(energy.lowerBound, p))\u{2013}\(Self.fixed(energy.upperBound, p)) kWh, "
            + "CO2eq range: \(Self.fixed(grams.lowerBound, p))\u{2013}\(Self.fixed(grams.upperBound, p)) g"
    }
}
