/// The members of a version 2 epoch line (`carbontracker.events/2`) that ``EventLogScanner`` reads,
/// typed as `JSONSerialization` and Swift's `as?` casts give them.
///
/// ```swift
/// let fields = CompactEpochFields(plainLine: line)   // nil: decode the line with JSONSerialization
/// ```
///
/// A line that ``EventLogScanner/isPlainEpochLine(_:)`` accepts can be read without
/// `JSONSerialization` (``init(plainLine:)``), which costs most of the time of reading a long run's
/// event log. Cost: one pass over the line, a few small arrays.
struct CompactEpochFields {
    /// `epoch`: the epoch's number; `nil` when missing, to be numbered by position.
    var number: Int?
    /// `j`: energy per component and device in joules, one device's as a one-element array; NaN
    /// where the line has `null` or something else than a number.
    var joules: [[Double]]
    /// `s`: the duration in seconds.
    var seconds: Double?
    /// `t`: seconds from the run's start to the epoch's.
    var offsetSeconds: Double?
    /// `methods`: the methods by component position, where they differ from the declared ones.
    var methods: [String?]?
    /// `energy_kwh_low`: the low bound of the energy, in kilowatt-hours with PUE.
    var energyLowKilowattHours: Double?
    /// `energy_kwh_high`: the high bound of the energy, in kilowatt-hours with PUE.
    var energyHighKilowattHours: Double?
    /// `co2eq_grams_low`: the low bound of the CO2eq, in grams.
    var co2eqLowGrams: Double?
    /// `co2eq_grams_high`: the high bound of the CO2eq, in grams.
    var co2eqHighGrams: Double?

    /// The members of a decoded line.
    /// - Parameters:
    ///   - object: The line's object.
    ///   - joules: Its `j` member.
    init(_ object: [String: Any], joules: [Any]) {
        number = object["epoch"] as? Int
        // One device's energy is a number, several devices' an array.
        self.joules = joules.map { $0 is [Any] ? EventLogScanner.numbers($0) : [($0 as? Double) ?? .nan] }
        seconds = object["s"] as? Double
        offsetSeconds = object["t"] as? Double
        methods = (object["methods"] as? [Any]).map { $0.map { $0 as? String } }
        energyLowKilowattHours = object["energy_kwh_low"] as? Double
        energyHighKilowattHours = object["energy_kwh_high"] as? Double
        co2eqLowGrams = object["co2eq_grams_low"] as? Double
        co2eqHighGrams = object["co2eq_grams_high"] as? Double
    }

    /// The members of a line that ``EventLogScanner/isPlainEpochLine(_:)`` accepted, read in place.
    ///
    /// `nil` where the line holds anything whose typing is not plainly the one `JSONSerialization`
    /// gives: a member read here twice or of an unexpected type, a `j` missing, a negative zero, a
    /// fraction or exponent in `epoch`, a number of more than 17 significant digits (each of the others
    /// is read as Swift's correctly rounded `Double(_:)` reads it). The caller then decodes the line.
    /// - Parameter line: The line.
    init?(plainLine line: LogBytes) {
        self.joules = []
        var reader = PlainMemberReader(line.bytes)
        var joules: [[Double]]?
        var read = Set<Member>()
        guard reader.take(UInt8(ascii: "{")) else { return nil }
        if !reader.take(UInt8(ascii: "}")) {
            repeat {
                guard let key = reader.key() else { return nil }
                guard let member = Member(key) else {
                    guard reader.skipValue() else { return nil }
                    continue
                }
                guard read.insert(member).inserted else { return nil }
                switch member {
                case .epoch:
                    guard let number = reader.integer() else { return nil }
                    self.number = number
                case .joules:
                    guard let values = reader.joules() else { return nil }
                    joules = values
                case .methods:
                    guard let names = reader.strings() else { return nil }
                    methods = names
                case .seconds, .offset, .energyLow, .energyHigh, .co2Low, .co2High:
                    guard let value = reader.optionalNumber() else { return nil }
                    set(member, value)
                }
            } while reader.take(UInt8(ascii: ","))
            guard reader.take(UInt8(ascii: "}")) else { return nil }
        }
        guard let joules else { return nil }
        self.joules = joules
    }

    /// The members read as numbers, by name.
    private enum Member: Hashable {
        case epoch, joules, methods, seconds, offset, energyLow, energyHigh, co2Low, co2High

        init?(_ key: LogBytes) {
            switch key.string {
            case "epoch": self = .epoch
            case "j": self = .joules
            case "methods": self = .methods
            case "s": self = .seconds
            case "t": self = .offset
            case "energy_kwh_low": self = .energyLow
            case "energy_kwh_high": self = .energyHigh
            case "co2eq_grams_low": self = .co2Low
            case "co2eq_grams_high": self = .co2High
            default: return nil
            }
        }
    }

    /// Stores a member read as a number.
    private mutating func set(_ member: Member, _ value: Double?) {
        switch member {
        case .seconds: seconds = value
        case .offset: offsetSeconds = value
        case .energyLow: energyLowKilowattHours = value
        case .energyHigh: energyHighKilowattHours = value
        case .co2Low: co2eqLowGrams = value
        case .co2High: co2eqHighGrams = value
        case .epoch, .joules, .methods: break
        }
    }
}

/// Reads the members of plain JSON (``PlainJSON`` accepted it) in place, typed as `JSONSerialization`
/// types them; each read gives `nil` for a value of another type than asked for.
private struct PlainMemberReader {
    private let bytes: UnsafeBufferPointer<UInt8>
    private var index = 0

    /// Wraps the bytes to read.
    init(_ bytes: UnsafeBufferPointer<UInt8>) { self.bytes = bytes }

    private var current: UInt8? { index < bytes.count ? bytes[index] : nil }

    private mutating func skipSpace() {
        while let byte = current, byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D { index += 1 }
    }

    /// Takes `byte` after white space, if it comes next.
    mutating func take(_ byte: UInt8) -> Bool {
        skipSpace()
        guard current == byte else { return false }
        index += 1
        return true
    }

    /// A member's name and its colon.
    mutating func key() -> LogBytes? {
        guard let name = string(), take(UInt8(ascii: ":")) else { return nil }
        return name
    }

    /// A string's bytes (plain JSON strings have no escapes).
    private mutating func string() -> LogBytes? {
        guard take(UInt8(ascii: "\"")) else { return nil }
        let start = index
        while let byte = current, byte != UInt8(ascii: "\"") { index += 1 }
        guard current != nil else { return nil }
        index += 1
        return LogBytes(UnsafeBufferPointer(rebasing: bytes[start..<(index - 1)]))
    }

    /// Takes `null`.
    private mutating func null() -> Bool {
        skipSpace()
        guard bytes.count - index >= 4, bytes[index] == UInt8(ascii: "n") else { return false }
        index += 4
        return true
    }

    /// A number's text and whether it is an integer (no fraction, no exponent).
    private mutating func numberText() -> (text: String, isInteger: Bool)? {
        skipSpace()
        let start = index
        var isInteger = true
        while let byte = current,
            (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")) || byte == UInt8(ascii: "-")
                || byte == UInt8(ascii: "+") || byte == UInt8(ascii: ".") || byte == UInt8(ascii: "e")
                || byte == UInt8(ascii: "E")
        {
            if byte == UInt8(ascii: ".") || byte == UInt8(ascii: "e") || byte == UInt8(ascii: "E") {
                isInteger = false
            }
            index += 1
        }
        guard index > start else { return nil }
        return (
            String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<index]), as: UTF8.self), isInteger
        )
    }

    /// An integer (`as? Int`); `nil` for anything else.
    mutating func integer() -> Int? {
        guard let (text, isInteger) = numberText(), isInteger, text != "-0" else { return nil }
        return Int(text)
    }

    /// A number read as `as? Double` reads it.
    private mutating func number() -> Double? {
        guard let (text, isInteger) = numberText() else { return nil }
        return JSONSerializationNumber.double(text, isInteger: isInteger)
    }

    /// A number, or `null` as `.some(nil)`; `nil` for anything else.
    mutating func optionalNumber() -> Double?? {
        if null() { return .some(nil) }
        guard let value = number() else { return nil }
        return .some(value)
    }

    /// `j`: numbers (one device) and arrays of numbers, `null` as NaN.
    mutating func joules() -> [[Double]]? {
        guard take(UInt8(ascii: "[")) else { return nil }
        var values: [[Double]] = []
        if take(UInt8(ascii: "]")) { return values }
        repeat {
            if take(UInt8(ascii: "[")) {
                var devices: [Double] = []
                if !take(UInt8(ascii: "]")) {
                    repeat {
                        guard let value = optionalNumber() else { return nil }
                        devices.append(value ?? .nan)
                    } while take(UInt8(ascii: ","))
                    guard take(UInt8(ascii: "]")) else { return nil }
                }
                values.append(devices)
            } else {
                guard let value = optionalNumber() else { return nil }
                values.append([value ?? .nan])
            }
        } while take(UInt8(ascii: ","))
        return take(UInt8(ascii: "]")) ? values : nil
    }

    /// `methods`: strings, `null` as `nil`.
    mutating func strings() -> [String?]? {
        guard take(UInt8(ascii: "[")) else { return nil }
        var names: [String?] = []
        if take(UInt8(ascii: "]")) { return names }
        repeat {
            if null() {
                names.append(nil)
            } else {
                guard let name = string() else { return nil }
                names.append(name.string)
            }
        } while take(UInt8(ascii: ","))
        return take(UInt8(ascii: "]")) ? names : nil
    }

    /// Passes over any value.
    mutating func skipValue() -> Bool {
        skipSpace()
        guard let byte = current else { return false }
        switch byte {
        case UInt8(ascii: "\""): return string() != nil
        case UInt8(ascii: "["), UInt8(ascii: "{"):
            let close = byte == UInt8(ascii: "[") ? UInt8(ascii: "]") : UInt8(ascii: "}")
            index += 1
            if take(close) { return true }
            repeat {
                if close == UInt8(ascii: "}") { guard key() != nil else { return false } }
                guard skipValue() else { return false }
            } while take(UInt8(ascii: ","))
            return take(close)
        case UInt8(ascii: "t"), UInt8(ascii: "n"):
            index += 4
            return index <= bytes.count
        case UInt8(ascii: "f"):
            index += 5
            return index <= bytes.count
        default:
            return numberText() != nil
        }
    }
}

/// Which JSON numbers `JSONSerialization` reads as Swift does, so that a reader of their text in place
/// gives the same double: one rule for every such reader.
enum JSONSerializationNumber {
    /// The double `JSONSerialization` and an `as? Double` cast give for a number's text; `nil` where they
    /// might differ from Swift's reading (the caller then decodes the line).
    /// - Parameters:
    ///   - text: A JSON number's text.
    ///   - isInteger: Whether it has neither a fraction nor an exponent.
    /// - Returns: The value, or `nil`.
    static func double(_ text: String, isInteger: Bool) -> Double? {
        if isInteger {
            guard text != "-0", let integer = Int(text) else { return nil }
            return Double(integer)
        }
        // `JSONSerialization` on Linux is not correctly rounded for longer numbers
        // (-0.000784735590143 reads as -0.0007847355901430001); up to 12 significant digits in at most
        // 17 characters it agreed with `Double(_:)` on 2,500,000 numbers of every form, sign and exponent.
        guard text.utf8.count <= 17 else { return nil }
        var significant = 0
        var leading = true
        for byte in text.utf8 {
            if byte == UInt8(ascii: "e") || byte == UInt8(ascii: "E") { break }
            guard byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") else { continue }
            if byte != UInt8(ascii: "0") { leading = false }
            if !leading { significant += 1 }
        }
        guard significant <= 12, let value = Double(text), value != 0 || !text.hasPrefix("-") else {
            return nil
        }
        return value
    }
}
