/// Which IOReport "Energy Model" channels a component reads, in joules, and whether they look right.
///
/// ```swift
/// let channels = try AppleEnergyChannels(kind: .cpu, sample: values)   // "CPU Energy" (mJ), "DRAM" (nJ)
/// channels.devices                                                     // ["CPU", "DRAM"]
/// ```
///
/// The CPU is every channel whose name ends in "CPU Energy" (one per die on Ultra chips) and the memory
/// every channel starting with "DRAM"; the GPU is "GPU Energy" and the Neural Engine every channel
/// starting with "ANE", as Zeus and macmon read them. Per-cluster channels ("PACC0_CPU", "EACC_CPU") are
/// parts of "CPU Energy" and are left out so nothing is counted twice. Each channel has its own unit.
package struct AppleEnergyChannels: Sendable {
    /// One channel read by a component.
    struct Channel: Equatable, Sendable {
        /// IOReport's name, e.g. "CPU Energy".
        var name: String
        /// The device name in the logs: the name without " Energy" ("CPU", "DIE_1_CPU", "ANE").
        var device: String
        /// Joules per counter unit.
        var joulesPerUnit: Double
    }

    /// The channels, in the order ``devices`` lists them.
    let channels: [Channel]

    /// The device names, one per channel.
    package var devices: [String] { channels.map(\.device) }

    /// Joules per unit for IOReport's energy unit labels; `nil` for anything else.
    package static func joulesPerUnit(_ label: String) -> Double? {
        switch label.trimmingCharacters(in: .whitespaces) {
        case "J": return 1
        case "mJ": return 1e-3
        case "uJ", "µJ", "μJ": return 1e-6
        case "nJ": return 1e-9
        default: return nil
        }
    }

    /// Whether IOReport's channel `name` belongs to a component of `kind`.
    static func belongs(_ name: String, to kind: ComponentKind) -> Bool {
        switch kind {
        case .cpu: return name.hasSuffix("CPU Energy") || name.hasPrefix("DRAM")
        case .gpu: return name.hasSuffix("GPU Energy") || name.hasPrefix("ANE")
        }
    }

    /// Picks the channels of `kind` from a sample.
    /// - Throws: ``CarbonTrackerError`` with code `.componentUnavailable` when there is none, or one has
    ///   a unit that is not an energy unit.
    package init(kind: ComponentKind, sample: [IOReportValue]) throws {
        var channels: [Channel] = []
        for value in sample where Self.belongs(value.name, to: kind) {
            guard !channels.contains(where: { $0.name == value.name }) else { continue }
            guard let scale = Self.joulesPerUnit(value.unit) else {
                throw CarbonTrackerError(
                    .componentUnavailable,
                    "IOReport's channel \"\(value.name)\" counts in \"\(value.unit)\", which is not an energy unit "
                        + "(mJ, uJ or nJ).")
            }
            let device =
                value.name.hasSuffix(" Energy") ? String(value.name.dropLast(" Energy".count)) : value.name
            channels.append(Channel(name: value.name, device: device, joulesPerUnit: scale))
        }
        guard !channels.isEmpty else {
            let seen = sample.map(\.name).prefix(12).joined(separator: ", ")
            throw CarbonTrackerError(
                .componentUnavailable,
                "IOReport's \"Energy Model\" group has no \(kind == .cpu ? "CPU" : "GPU") channel"
                    + (seen.isEmpty ? " (it has no channel at all)." : " (channels: \(seen))."))
        }
        self.channels = channels
    }

    /// The short check made before a component is used: every channel is in both samples with a
    /// non-negative counter, the counters advanced, and no channel implies more than `maximumWatts`.
    /// - Parameters:
    ///   - first: The earlier sample.
    ///   - second: A sample `seconds` later.
    /// - Returns: Why the counters cannot be trusted, or `nil` when they look right.
    func selfCheck(
        first: [IOReportValue], second: [IOReportValue], seconds: Double, maximumWatts: Double = 1000
    )
        -> String?
    {
        var advancedJoules = 0.0
        for channel in channels {
            guard let before = first.first(where: { $0.name == channel.name })?.value,
                let after = second.first(where: { $0.name == channel.name })?.value
            else {
                return "IOReport's channel \"\(channel.name)\" is missing from a sample."
            }
            guard before >= 0, after >= 0 else {
                return
                    "IOReport's channel \"\(channel.name)\" reported a negative counter (\(min(before, after)))."
            }
            let joules = Double(after &- before) * channel.joulesPerUnit
            let watts = joules / max(seconds, 0.001)
            guard joules >= 0, watts <= maximumWatts else {
                let shown = (seconds * 1000).rounded() / 1000
                return "IOReport's channel \"\(channel.name)\" changed by \(joules) J in \(shown) s, "
                    + "which is not a plausible energy."
            }
            advancedJoules += joules
        }
        guard advancedJoules > 0 else {
            let shown = (seconds * 1000).rounded() / 1000
            return "IOReport's \(devices.joined(separator: ", ")) counters did not advance in \(shown) s."
        }
        return nil
    }
}

/// Energy per channel since the component started, from successive counter values.
struct AppleEnergyCounters: Sendable {
    private let channels: [AppleEnergyChannels.Channel]
    private var last: [Int64?]
    private(set) var joules: [Double]
    /// Channels whose counter went down (restarted), in the order seen; each restart is counted from zero.
    private(set) var restarts: [String] = []

    /// Starts counting from `baseline`.
    init(channels: AppleEnergyChannels, baseline: [IOReportValue]) {
        self.channels = channels.channels
        self.last = channels.channels.map { channel in baseline.first { $0.name == channel.name }?.value }
        self.joules = Array(repeating: 0, count: channels.channels.count)
    }

    /// Adds what each counter advanced since the previous sample.
    /// - Returns: One reading per channel: the joules so far, or `.unavailable` for a channel missing
    ///   from `sample`.
    mutating func add(_ sample: [IOReportValue]) -> [DeviceReading] {
        channels.indices.map { index in
            let channel = channels[index]
            guard let value = sample.first(where: { $0.name == channel.name })?.value else {
                return .unavailable
            }
            if let previous = last[index] {
                if value >= previous {
                    joules[index] += Double(value - previous) * channel.joulesPerUnit
                } else {
                    // A counter that went down restarted; what it shows now was used since then.
                    joules[index] += Double(max(value, 0)) * channel.joulesPerUnit
                    restarts.append(channel.name)
                }
            }
            last[index] = value
            return .cumulativeJoules(joules[index])
        }
    }
}
