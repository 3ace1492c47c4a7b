/// What `carbontracker --diagnose` found: each power source tried per component and why, the carbon
/// intensity that would be used, and a short measurement of every source with each method it has.
///
/// ```swift
/// let diagnosis = try Diagnosis.run(Diagnosis.Options(environment: ProcessInfo.processInfo.environment))
/// print(diagnosis.text)
/// exit(diagnosis.exitStatus)   // 0: every requested component measured; 1: estimated or missing
/// ```
///
/// Cost: the measurement window (5 s by default) plus, unless `CARBONTRACKER_OFFLINE=1`, one IP lookup
/// and one provider request, each bounded by `CARBONTRACKER_HTTP_TIMEOUT`. Needs no root.
public struct Diagnosis: Sendable {
    /// What became of one power source.
    public enum Verdict: String, Sendable {
        /// The tracker would use it.
        case used
        /// It cannot be used here; ``Source/reason`` says why and ``Source/fix`` what to do.
        case unavailable
        /// A better source comes first, so it is not tried.
        case notTried = "not tried"
    }

    /// One candidate source of one component.
    public struct Source: Sendable {
        /// The component.
        public var kind: ComponentKind
        /// The source's name ("RAPL", "NVML", "powermetrics", "TDP estimate", "NVML module").
        public var name: String
        /// What became of it.
        public var verdict: Verdict
        /// How it measures, when used.
        public var method: MeasurementMethod?
        /// The devices it measures, when used.
        public var devices: [String] = []
        /// Why it cannot be used.
        public var reason: String?
        /// The command or setting that makes it usable, when there is one.
        public var fix: String?
        /// What it reported while starting (scope, fallbacks, provenance).
        public var notes: [String] = []
    }

    /// How a requested component ends up.
    public enum Outcome: String, Sendable {
        /// A counter or sampled power.
        case measured
        /// A model (TDP estimate).
        case estimated
        /// No source can be used.
        case missing
    }

    /// The average power of one device over the measurement window, by one method.
    public struct Reading: Sendable, Equatable {
        /// The component.
        public var kind: ComponentKind
        /// The device.
        public var device: String
        /// The method, as logs name it ("counter", "instantaneous power", "estimated", ...).
        public var method: String
        /// The average power in watts, or `nil` when it could not be read.
        public var watts: Double?
    }

    /// Two methods of one device compared: the counter against sampled power.
    public struct Agreement: Sendable, Equatable {
        /// The device.
        public var device: String
        /// The sampled method's name.
        public var sampledMethod: String
        /// Average power from the energy counter, in watts.
        public var counterWatts: Double
        /// Average of the power samples, in watts.
        public var sampledWatts: Double
        /// Sampled over counter, or `nil` when the counter did not advance.
        public var ratio: Double?
        /// Whether they differ by more than ``Diagnosis/disagreementThreshold``.
        public var disagrees: Bool
    }

    /// The relative difference between two methods above which a warning is printed: 10%.
    public static let disagreementThreshold = 0.10

    /// The components asked for.
    public var requested: [ComponentKind]
    /// Every candidate source, per component in the tracker's order.
    public var sources: [Source]
    /// How each requested component ends up.
    public var outcomes: [ComponentKind: Outcome]
    /// The carbon-intensity lines: location, provider or fallback, a live value when fetched.
    public var intensity: [String]
    /// This process's place in a distributed job and what it measures, or "single process ..."
    /// (``DistributedRole/describe(environment:settings:)``).
    public var distributedRole: String?
    /// The work whose CPU energy is charged (``WorkScope/summary``), or why it could not be resolved.
    public var scope: String? = nil
    /// How long the sources were measured, in seconds.
    public var measurementSeconds: Double
    /// Average power per device and method.
    public var readings: [Reading]
    /// Counter against sampled power, where a device has both.
    public var agreements: [Agreement]

    /// 0 when every requested component is measured, 1 when any is estimated or missing.
    public var exitStatus: Int32 {
        requested.allSatisfy { outcomes[$0] == .measured } ? 0 : 1
    }

    /// The report as printed by `carbontracker --diagnose`.
    public var text: String {
        var lines = ["CarbonTracker diagnosis", ""]
        for kind in requested {
            lines.append("\(kind.rawValue.uppercased()): \(outcomes[kind]?.rawValue ?? "missing")")
            for source in sources where source.kind == kind {
                var head = "  \(source.name): \(source.verdict.rawValue)"
                if let method = source.method { head += ", method \(method.rawValue)" }
                if !source.devices.isEmpty { head += ", devices: \(source.devices.joined(separator: ", "))" }
                lines.append(head)
                if let reason = source.reason { lines.append("      why: \(reason)") }
                if let fix = source.fix { lines.append("      fix: \(fix)") }
                for note in source.notes { lines.append("      note: \(note)") }
            }
            lines.append("")
        }
        lines.append("Carbon intensity")
        lines += intensity.map { "  " + $0 }
        lines.append("")
        // The distributed role (Sources/CarbonTracker/Distributed/), between intensity and measurement.
        if let distributedRole {
            lines += ["Distributed role", "  " + distributedRole, ""]
        }
        if let scope { lines += ["Scope", "  " + scope, ""] }
        lines.append("Measurement over \(Self.number(measurementSeconds, digits: 1)) s")
        if readings.isEmpty { lines.append("  (no source to measure)") }
        for reading in readings {
            let value = reading.watts.map { Self.number($0, digits: 2) + " W" } ?? "could not be read"
            lines.append("  \(reading.kind.rawValue) \(reading.device): \(reading.method) \(value)")
        }
        for agreement in agreements {
            guard let ratio = agreement.ratio else {
                lines.append(
                    "  \(agreement.device): the energy counter did not advance, so \(agreement.sampledMethod) "
                        + "cannot be compared with it; measure for longer or under load.")
                continue
            }
            lines.append(
                "  \(agreement.device): \(agreement.sampledMethod) / counter = \(Self.number(ratio, digits: 3))"
            )
            if agreement.disagrees {
                lines.append(
                    "  WARNING: on \(agreement.device) \(agreement.sampledMethod) and the energy counter disagree "
                        + "by \(Self.number(abs(ratio - 1) * 100, digits: 1))% (more than "
                        + "\(Int(Self.disagreementThreshold * 100))%): a changing load between samples, "
                        + "one-second averaging or a scope difference; the counter is the reference.")
            }
        }
        lines.append("")
        let unmeasured = requested.filter { outcomes[$0] != .measured }
        lines.append(
            unmeasured.isEmpty
                ? "Every requested component is measured (exit status 0)."
                : unmeasured.map { "\($0.rawValue.uppercased()) is \(outcomes[$0]?.rawValue ?? "missing")" }
                    .joined(separator: ", ") + " (exit status 1).")
        return lines.joined(separator: "\n") + "\n"
    }

    /// `value` with `digits` decimals, without Foundation formatting.
    static func number(_ value: Double, digits: Int) -> String {
        guard value.isFinite else { return value.description }
        var scale = 1.0
        for _ in 0..<digits { scale *= 10 }
        let scaled = (abs(value) * scale).rounded()
        let whole = Int(scaled / scale)
        var fraction = String(Int(scaled.truncatingRemainder(dividingBy: scale)))
        while fraction.count < digits { fraction = "0" + fraction }
        let sign = value < 0 && scaled > 0 ? "-" : ""
        return digits == 0 ? sign + String(whole) : sign + "\(whole).\(fraction)"
    }
}
