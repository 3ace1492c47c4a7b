import CarbonTrackerSources
import Foundation

/// Reads one JSON line of exactly the shape ``EventLogEncoder`` writes: the keys it writes in its order,
/// no whitespace, strings without escapes, numbers in JSON's grammar that `JSONSerialization` reads as
/// Swift does (``JSONSerializationNumber``). Anything else stops it (each read returns `nil`) and the
/// caller falls back to `JSONSerialization`, so a line it reads gives the same values as
/// `JSONSerialization` would, and a line it does not read is read as before.
struct CompactJSONCursor {
    private let line: LogBytes
    private var offset = 0

    init(_ line: LogBytes) { self.line = line }

    /// Whether every byte has been read.
    var isAtEnd: Bool { offset == line.count }

    /// Reads `text` if it comes next.
    mutating func literal(_ text: StaticString) -> Bool {
        let length = text.utf8CodeUnitCount
        guard line.count - offset >= length else { return false }
        let start = text.utf8Start
        for index in 0..<length where line[offset + index] != start[index] {
            return false
        }
        offset += length
        return true
    }

    /// A string without escapes or control characters, well-formed UTF-8 (what `JSONSerialization`
    /// accepts as it is).
    mutating func string() -> String? {
        guard literal("\"") else { return nil }
        let start = offset
        var ascii = true
        while offset < line.count {
            let byte = line[offset]
            if byte == UInt8(ascii: "\"") {
                let text = line[start..<offset]
                offset += 1
                guard ascii || UTF8Validation.isValid(text.bytes) else { return nil }
                return text.string
            }
            // An escape or a control character: left to JSONSerialization.
            if byte == UInt8(ascii: "\\") || byte < 0x20 { return nil }
            if byte >= 0x80 { ascii = false }
            offset += 1
        }
        return nil
    }

    /// A finite number in JSON's grammar, `-?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?`, that
    /// `JSONSerialization` reads as Swift does.
    mutating func number() -> Double? {
        let start = offset
        func digits() -> Int {
            let first = offset
            while offset < line.count, line[offset] >= UInt8(ascii: "0"), line[offset] <= UInt8(ascii: "9") {
                offset += 1
            }
            return offset - first
        }
        _ = literal("-")
        let leading = offset
        let whole = digits()
        guard whole > 0, whole == 1 || line[leading] != UInt8(ascii: "0") else { return fail(start) }
        var isInteger = true
        if literal(".") {
            isInteger = false
            if digits() == 0 { return fail(start) }
        }
        if literal("e") || literal("E") {
            isInteger = false
            if !literal("+") { _ = literal("-") }
            if digits() == 0 { return fail(start) }
        }
        guard let value = JSONSerializationNumber.double(line[start..<offset].string, isInteger: isInteger),
            value.isFinite
        else { return fail(start) }
        return value
    }

    /// `true` or `false`.
    mutating func bool() -> Bool? {
        if literal("true") { return true }
        if literal("false") { return false }
        return nil
    }

    /// `[number,...]`, possibly empty.
    mutating func numbers() -> [Double]? { list { $0.number() } }

    /// `[string,...]`, possibly empty.
    mutating func strings() -> [String]? { list { $0.string() } }

    /// `[element,...]`, possibly empty, each element read by `element`.
    private mutating func list<Element>(_ element: (inout CompactJSONCursor) -> Element?) -> [Element]? {
        guard literal("[") else { return nil }
        var values: [Element] = []
        if literal("]") { return values }
        repeat {
            guard let value = element(&self) else { return nil }
            values.append(value)
        } while literal(",")
        return literal("]") ? values : nil
    }

    private mutating func fail(_ start: Int) -> Double? {
        offset = start
        return nil
    }
}

extension EventLogScanner {
    /// A version 2 window line as ``EventLogEncoder`` writes it, read without `JSONSerialization` (whose
    /// dictionaries cost tens of microseconds a line, and a run can log a window per step); `nil` for a
    /// line of any other shape, which is then read the general way.
    /// - Parameter line: One line of the event log.
    /// - Returns: The line's `time` and the window, the same as ``window(from:)`` gives.
    static func compactWindow(_ line: LogBytes) -> (time: Date?, window: LogParser.Window)? {
        var json = CompactJSONCursor(line)
        guard json.literal(#"{"event":"window","time":"#), let time = json.string(),
            json.literal(#","name":"#), let name = json.string(),
            json.literal(#","start":"#), let start = json.string(),
            json.literal(#","end":"#), let end = json.string(),
            json.literal(#","duration_seconds":"#), let duration = json.number(),
            json.literal(#","energy_kwh":"#), json.number() != nil,
            json.literal(#","co2eq_grams":"#), let co2 = json.number(),
            json.literal(#","energy_kwh_low":"#), let energyLow = json.number(),
            json.literal(#","energy_kwh_high":"#), let energyHigh = json.number(),
            json.literal(#","co2eq_grams_low":"#), let co2Low = json.number(),
            json.literal(#","co2eq_grams_high":"#), let co2High = json.number(),
            json.literal(#","intensity_g_per_kwh":"#), json.number() != nil,
            json.literal(#","approximate":"#), let approximate = json.bool(),
            json.literal(#","components":["#)
        else { return nil }
        var components: [LogParser.WindowComponent] = []
        if !json.literal("]") {
            repeat {
                guard json.literal(#"{"component":"#), let kind = json.string(),
                    json.literal(#","devices":"#), json.strings() != nil,
                    json.literal(#","energy_joules":"#), let joules = json.numbers(),
                    json.literal(#","average_power_watts":"#), json.numbers() != nil,
                    json.literal(#","method":"#), let method = json.string(), json.literal("}")
                else { return nil }
                components.append(LogParser.WindowComponent(name: kind, energyJoules: joules, method: method))
            } while json.literal(",")
            guard json.literal("]") else { return nil }
        }
        guard json.literal("}"), json.isAtEnd else { return nil }
        var window = LogParser.Window(
            name: name, durationSeconds: duration, components: components, co2eqGrams: co2,
            isApproximate: approximate, startDate: UTCTime.parse(start), endDate: UTCTime.parse(end))
        window.energyKilowattHoursRange = energyLow <= energyHigh ? energyLow...energyHigh : nil
        window.co2eqGramsRange = co2Low <= co2High ? co2Low...co2High : nil
        return (UTCTime.parse(time), window)
    }
}
