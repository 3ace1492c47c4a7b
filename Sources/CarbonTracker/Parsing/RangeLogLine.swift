/// Reads the range lines of the standard and output logs (``RangeLine``): `a–b kWh, CO2eq range: c–d g`
/// after `Energy range: ` or after `Energy range of window NAME: `.
enum RangeLogLine {
    /// The bounds of one line.
    struct Bounds: Equatable {
        var energyKilowattHours: ClosedRange<Double>
        var co2eqGrams: ClosedRange<Double>
    }

    /// Reads `a–b kWh, CO2eq range: c–d g`; `nil` when it is not that, or when a bound is not a number
    /// or a low bound exceeds its high one.
    static func bounds(_ text: LogBytes) -> Bounds? {
        var text = text.trimmed
        guard text.hasSuffix(" g"), let middle = text.find(" kWh, CO2eq range: ") else { return nil }
        text = text.dropLast(2)
        guard let energy = range(text.prefix(upTo: middle.lowerBound)),
            let grams = range(text.suffix(from: middle.upperBound))
        else { return nil }
        return Bounds(energyKilowattHours: energy, co2eqGrams: grams)
    }

    /// Reads `NAME: a–b kWh, CO2eq range: c–d g`, the text after `Energy range of window `.
    static func window(_ text: LogBytes) -> (name: String, bounds: Bounds)? {
        // The name may hold ": " itself; the bounds never do, so the last one ends the name.
        guard let middle = text.find(" kWh, CO2eq range: "),
            let colon = text.prefix(upTo: middle.lowerBound).find(": ", backwards: true),
            let bounds = bounds(text.suffix(from: colon.upperBound))
        else { return nil }
        return (text.prefix(upTo: colon.lowerBound).string, bounds)
    }

    /// `low–high` (an en dash between them).
    private static func range(_ text: LogBytes) -> ClosedRange<Double>? {
        guard let dash = enDash(in: text),
            let low = LogValue.number(text.prefix(upTo: dash).trimmed),
            let high = LogValue.number(text.suffix(from: dash + 3).trimmed), low <= high
        else { return nil }
        return low...high
    }

    /// The offset of the first U+2013 (E2 80 93 in UTF-8).
    private static func enDash(in text: LogBytes) -> Int? {
        var from = 0
        while let offset = text.suffix(from: from).firstIndex(of: 0xE2) {
            let start = from + offset
            guard start + 2 < text.count else { return nil }
            if text[start + 1] == 0x80 && text[start + 2] == 0x93 { return start }
            from = start + 1
        }
        return nil
    }
}
