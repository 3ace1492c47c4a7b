import Foundation

/// `Energy range: 1.1e-05–1.3e-05 kWh, CO2eq range: 0.0051–0.0056 g`: the low and high bounds of the
/// figures logged just before it, on a line of its own.
///
/// Python carbontracker's parser matches none of these lines: they hold no `Duration:`, `Energy:`,
/// `CO2eq:` or `Average power usage`, and in the output log each starts with its own timestamp, which
/// ends the report block above it for Python's expressions. The standard log writes the bounds in
/// plain decimals, kilowatt-hours to 10⁻¹⁵ (3.6 µJ) and grams to 10⁻¹², far below any measurement's
/// resolution, formatted by ``appendFixed(_:_:scale:decimals:)`` without allocating (one line per
/// epoch); the output log and the console write them with the report's decimal precision.
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
        batch.standardLines(count: 1, maximumBytes: maximumLength) { lines in writeEpoch(epoch, to: &lines) }
    }

    /// The most bytes of an epoch's range line after its timestamp, newline included: the fixed text
    /// and four numbers of at most ``DecimalText/maximumLength`` bytes.
    static let maximumLength = 64 + 4 * DecimalText.maximumLength

    /// Writes the epoch's range line, timestamp and newline included, in memory sized for it.
    static func writeEpoch(_ epoch: WindowMeasurement, to lines: inout StandardLines) {
        lines.begin()
        lines.cursor.text(prefix)
        let kilowattHours = epoch.energyKilowattHoursRange
        let grams = epoch.co2eqGramsRange
        lines.cursor.fixed(kilowattHours.lowerBound, scale: 1e15, decimals: 15)
        lines.cursor.text(dash)
        lines.cursor.fixed(kilowattHours.upperBound, scale: 1e15, decimals: 15)
        lines.cursor.text(middle)
        lines.cursor.fixed(grams.lowerBound, scale: 1e12, decimals: 12)
        lines.cursor.text(dash)
        lines.cursor.fixed(grams.upperBound, scale: 1e12, decimals: 12)
        lines.cursor.text(" g")
        lines.end()
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

    /// `a–b kWh, CO2eq range: c–d g`.
    private static func appendBounds(
        _ kilowattHours: ClosedRange<Double>, _ grams: ClosedRange<Double>, _ bytes: inout [UInt8]
    ) {
        appendFixed(&bytes, kilowattHours.lowerBound, scale: 1e15, decimals: 15)
        append(dash, &bytes)
        appendFixed(&bytes, kilowattHours.upperBound, scale: 1e15, decimals: 15)
        append(middle, &bytes)
        appendFixed(&bytes, grams.lowerBound, scale: 1e12, decimals: 12)
        append(dash, &bytes)
        appendFixed(&bytes, grams.upperBound, scale: 1e12, decimals: 12)
        bytes.append(contentsOf: [0x20, UInt8(ascii: "g")])
    }

    /// Appends `value` rounded to `1 / scale` in plain decimal notation without trailing zeros
    /// (`0.000012345678901`, `4.5`, `0.0`), as Python's `float()` and `LogValue.number` read
    /// it; a value that is negative, not finite, or whose scaled digits exceed 2⁵³ is written in
    /// shortest round-trip form instead.
    /// - Parameters:
    ///   - scale: `10^decimals`, at most 10¹⁵.
    ///   - decimals: The number of decimals `scale` stands for.
    static func appendFixed(_ bytes: inout [UInt8], _ value: Double, scale: Double, decimals: Int) {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: DecimalText.maximumLength) { buffer in
            let count = writeFixed(buffer.baseAddress!, value, scale: scale, decimals: decimals)
            bytes.append(contentsOf: UnsafeBufferPointer(start: buffer.baseAddress, count: count))
        }
    }

    /// Writes ``appendFixed(_:_:scale:decimals:)``'s text at `out`, which has room for
    /// ``DecimalText/maximumLength`` bytes (2⁵³ / 10¹² has 4 whole digits, and a shortest round-trip
    /// form at most 24 bytes).
    /// - Returns: The number of bytes written.
    static func writeFixed(_ out: UnsafeMutablePointer<UInt8>, _ value: Double, scale: Double, decimals: Int)
        -> Int
    {
        let scaled = DecimalText.roundedHalfAway(value * scale)
        guard value >= 0, scaled < 9_007_199_254_740_992 else {
            var count = 0
            for byte in value.description.utf8.prefix(DecimalText.maximumLength) {
                out[count] = byte
                count &+= 1
            }
            return count
        }
        let digits = UInt64(scaled)
        let unit = UInt64(scale)
        var count = writeDigits(out, digits / unit, width: 1)
        out[count] = UInt8(ascii: ".")
        count &+= 1
        var fraction = digits % unit
        guard fraction > 0 else {
            out[count] = UInt8(ascii: "0")
            return count &+ 1
        }
        var width = decimals
        while fraction % 10 == 0 {
            fraction /= 10
            width -= 1
        }
        return count &+ writeDigits(out + count, fraction, width: width)
    }

    /// Writes `value` in decimal, zero-padded to `width` digits.
    /// - Returns: The number of digits written.
    private static func writeDigits(_ out: UnsafeMutablePointer<UInt8>, _ value: UInt64, width: Int) -> Int {
        let count = max(DecimalText.digitCount(UInt(value)), width)
        DecimalText.writeDigits(out, value, count)
        return count
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
