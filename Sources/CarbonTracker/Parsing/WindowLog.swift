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
        /// When it began, to the millisecond; only event logs record it.
        public var startDate: Date? = nil
        /// When it ended, to the millisecond; only event logs record it.
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

/// Reads the text after `Window ` of a window line; `nil` when it is not one.
enum WindowLogLine {
    private static let durationMarker = ": duration "
    private static let energyMarker = ", energy (J) for "
    private static let co2Marker = ", CO2eq (g): "

    static func parse(_ text: String) -> LogParser.Window? {
        // The name may hold anything, ": duration " too; what follows it never does.
        guard let split = text.range(of: durationMarker, options: .backwards) else { return nil }
        let name = String(text[..<split.lowerBound])
        var rest = text[split.upperBound...]
        let isApproximate = rest.hasSuffix(", approximate")
        if isApproximate { rest = rest.dropLast(", approximate".count) }
        var co2: Double?
        if let marker = rest.range(of: co2Marker, options: .backwards) {
            co2 = LogValue.number(String(rest[marker.upperBound...]))
            rest = rest[..<marker.lowerBound]
        }
        let parts = rest.components(separatedBy: energyMarker)
        guard let duration = parts.first.flatMap(seconds) else { return nil }
        var components: [LogParser.WindowComponent] = []
        for part in parts.dropFirst() {
            // The method tag is looked for after the list: a name could hold "] [method: " (a trap
            // the fuzzer found when it came first).
            guard let colon = part.range(of: ": ["),
                let close = part.range(of: "] [method: ", range: colon.upperBound..<part.endIndex),
                part.hasSuffix("]")
            else { return nil }
            let values = part[colon.upperBound..<close.lowerBound].split(separator: " ").map {
                LogValue.number(String($0))
            }
            guard values.allSatisfy({ $0 != nil }) else { return nil }
            components.append(
                LogParser.WindowComponent(
                    name: String(part[..<colon.lowerBound]), energyJoules: values.map { $0! },
                    method: String(part[close.upperBound...].dropLast())))
        }
        return LogParser.Window(
            name: name, durationSeconds: duration, components: components, co2eqGrams: co2,
            isApproximate: isApproximate)
    }

    /// `H:MM:SS.hh` in seconds.
    private static func seconds(_ text: String) -> Double? {
        let fields = text.split(separator: ":", omittingEmptySubsequences: false)
        guard fields.count == 3, let hours = Double(fields[0]), let minutes = Double(fields[1]),
            let seconds = Double(fields[2]), [hours, minutes, seconds].allSatisfy({ $0.isFinite && $0 >= 0 })
        else { return nil }
        return hours * 3600 + minutes * 60 + seconds
    }
}
