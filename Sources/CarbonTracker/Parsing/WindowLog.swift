import Foundation

extension LogParser {
    /// A measurement window's line in the standard log (`Window eval: duration 0:00:01.23, ...`),
    /// written by ``EnergyMonitor`` and by a tracker's ``CarbonTracker/monitor``.
    public struct Window: Sendable, Equatable {
        /// The window's name.
        public var name: String
        /// Its duration in seconds (to the hundredth, as logged).
        public var durationSeconds: Double
        /// Energy per component and device, without PUE.
        public var components: [WindowComponent]
        /// Grams of CO2-equivalent, with PUE.
        public var co2eqGrams: Double?
        /// Whether the window was shorter than the update interval (its energy interpolated).
        public var isApproximate: Bool
        /// When it began (to the microsecond; to the millisecond in older logs); only event logs record it.
        public var startDate: Date? = nil
        /// When it ended (to the microsecond; to the millisecond in older logs); only event logs record it.
        public var endDate: Date? = nil
        /// Low and high bounds of the energy in kilowatt-hours, with the PUE factor; `nil` when the log
        /// gives none (Python logs, logs from before ranges).
        public var energyKilowattHoursRange: ClosedRange<Double>? = nil
        /// Low and high bounds of the grams of CO2-equivalent; `nil` when the log gives none.
        public var co2eqGramsRange: ClosedRange<Double>? = nil
    }

    /// One component's energy in a window line.
    public struct WindowComponent: Sendable, Equatable {
        /// The component in lower case ("gpu", "cpu").
        public var name: String
        /// Joules per device.
        public var energyJoules: [Double]
        /// How the figures were obtained ("counter", "sampled", "estimated", "simulated").
        public var method: String
    }
}

/// Reads the text after `Window ` of a window line; `nil` when it is not one. Works on the line's bytes
/// (the markers are ASCII), with one `String` made per name: a run can log a window per step.
enum WindowLogLine {
    private static let durationMarker: StaticString = ": duration "
    private static let energyMarker: StaticString = ", energy (J) for "
    private static let co2Marker: StaticString = ", CO2eq (g): "
    private static let approximateSuffix: StaticString = ", approximate"

    static func parse(_ text: String) -> LogParser.Window? {
        var text = text
        return text.withUTF8 { parse(LogBytes($0)) }
    }

    static func parse(_ line: LogBytes) -> LogParser.Window? {
        // The name may hold anything, ": duration " too; what follows it never does.
        guard let split = line.find(durationMarker, backwards: true) else { return nil }
        var rest = line.suffix(from: split.upperBound)
        let isApproximate = rest.hasSuffix(approximateSuffix)
        if isApproximate { rest = rest.dropLast(approximateSuffix.utf8CodeUnitCount) }
        var co2: Double?
        if let marker = rest.find(co2Marker, backwards: true) {
            co2 = LogValue.number(rest.suffix(from: marker.upperBound))
            rest = rest.prefix(upTo: marker.lowerBound)
        }
        // The pieces between energy markers: the duration, then one per component.
        var pieceEnd = rest.find(energyMarker)
        guard let duration = seconds(rest.prefix(upTo: pieceEnd?.lowerBound ?? rest.count)) else {
            return nil
        }
        var components: [LogParser.WindowComponent] = []
        while let marker = pieceEnd {
            rest = rest.suffix(from: marker.upperBound)
            pieceEnd = rest.find(energyMarker)
            guard let component = component(rest.prefix(upTo: pieceEnd?.lowerBound ?? rest.count)) else {
                return nil
            }
            components.append(component)
        }
        return LogParser.Window(
            name: line.prefix(upTo: split.lowerBound).string, durationSeconds: duration,
            components: components,
            co2eqGrams: co2, isApproximate: isApproximate)
    }

    /// `gpu: [1.5 2.5] [method: counter]`.
    private static func component(_ part: LogBytes) -> LogParser.WindowComponent? {
        // The method tag is looked for after the list: a name could hold "] [method: " (a trap the
        // fuzzer found when it came first).
        guard let colon = part.find(": ["), part.hasSuffix("]") else { return nil }
        let list = part.suffix(from: colon.upperBound)
        guard let close = list.find("] [method: ") else { return nil }
        var values: [Double] = []
        let complete = list.prefix(upTo: close.lowerBound).forEachPiece(separatedBy: { $0 == 0x20 }) {
            piece in
            guard let value = LogValue.number(piece) else { return false }
            values.append(value)
            return true
        }
        guard complete else { return nil }
        return LogParser.WindowComponent(
            name: part.prefix(upTo: colon.lowerBound).string, energyJoules: values,
            method: list.suffix(from: close.upperBound).dropLast().string)
    }

    /// `H:MM:SS.hh` in seconds.
    private static func seconds(_ text: LogBytes) -> Double? {
        guard let first = text.firstIndex(of: UInt8(ascii: ":")) else { return nil }
        let afterFirst = text.suffix(from: first + 1)
        guard let second = afterFirst.firstIndex(of: UInt8(ascii: ":")) else { return nil }
        let last = afterFirst.suffix(from: second + 1)
        guard !last.contains(UInt8(ascii: ":")), let hours = Double(text.prefix(upTo: first).string),
            let minutes = Double(afterFirst.prefix(upTo: second).string), let seconds = Double(last.string),
            [hours, minutes, seconds].allSatisfy({ $0.isFinite && $0 >= 0 })
        else { return nil }
        return hours * 3600 + minutes * 60 + seconds
    }
}
