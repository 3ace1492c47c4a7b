import Foundation

/// CPU packages and their DRAM through Linux powercap (RAPL), on Intel and AMD processors.
///
/// ```swift
/// let cpu = RAPLComponent(environment: ["CARBONTRACKER_RAPL_DIR": "/host/sys/class/powercap"])
/// if cpu.isAvailable() { try cpu.start(diagnostics: SilentDiagnostics()); try cpu.read() }
/// ```
///
/// Each read is one small file read per zone, with no sleep: the energy used between two reads is
/// the difference of the `energy_uj` counters, so all of the time is measured. A counter that went
/// down wrapped around, and `max_energy_range_uj` is added. ``maximumReadInterval`` keeps reads
/// frequent enough that a counter cannot wrap twice between them. Unreadable counters (root-only
/// since Linux 5.10) make the component unavailable with a message giving the exact fix.
public final class RAPLComponent: PowerComponent, ActionableUnavailability {
    /// Always `.cpu`.
    public let kind = ComponentKind.cpu
    /// "RAPL".
    public let handlerName = "RAPL"

    /// Power no package is assumed to exceed before a higher one is seen, in watts.
    static let assumedPeakWatts = 500.0

    private struct Counter {
        var last: UInt64?
        var totalMicrojoules: UInt64 = 0
        var lastTime: Double?
        var peakWatts = 0.0
        /// The counter answered once and then stopped (unreadable, gone): its total stays where it was.
        var failed = false
    }

    private struct State {
        var zones: Result<[RAPLZone], CarbonTrackerError>?
        var counters: [Counter] = []
        var diagnostics: any DiagnosticsReporter = SilentDiagnostics()
        var reportedResets: Set<String> = []
    }

    private let root: String
    private let reader: SysfsReader
    private let clock = MonotonicTime()
    private let state = LockedBox(State())

    /// Creates the component from environment variables, as the tracker does.
    /// - Parameter environment: Reads `CARBONTRACKER_RAPL_DIR` (default `/sys/class/powercap` on Linux; none
    ///   elsewhere, so the component is unavailable there).
    public convenience init(environment: [String: String] = ProcessInfo.processInfo.environment) {
        self.init(root: environment["CARBONTRACKER_RAPL_DIR"] ?? PlatformPaths.powercap ?? "")
    }

    init(root: String, reader: SysfsReader = .posix) {
        self.root = root
        self.reader = reader
    }

    /// `cpu:N` for each package and `dram:N` for its memory.
    public func devices() -> [String] {
        state.withLock { state in (try? zones(&state).get())?.map(\.device) ?? [] }
    }

    /// Whether package zones exist and every counter can be read. Costs one read per zone.
    public func isAvailable() -> Bool { unavailabilityReason() == nil }

    /// Why RAPL cannot be used, with the command that fixes unreadable counters; `nil` when it can.
    public func unavailabilityReason() -> String? {
        state.withLock { state in
            switch zones(&state) {
            case .failure(let error): return error.message
            case .success(let zones):
                let denied = deniedCounterPaths(zones)
                return denied.isEmpty ? nil : RAPLZones.permissionMessage(denied)
            }
        }
    }

    /// The counters that exist but cannot be read (for the `chmod` that fixes them).
    package func unreadableCounterPaths() -> [String] {
        state.withLock { state in
            guard case .success(let zones) = zones(&state) else { return [] }
            return deniedCounterPaths(zones)
        }
    }

    /// The energy files of `zones` that reading refuses for lack of permission. One read per zone.
    private func deniedCounterPaths(_ zones: [RAPLZone]) -> [String] {
        zones.compactMap { zone in
            guard case .failure(let error) = reader.read(zone.energyPath), error.isPermissionDenied else {
                return nil
            }
            return zone.energyPath
        }
    }

    /// Whether zones exist but some counter is unreadable, which the user can fix.
    package var unavailabilityIsActionable: Bool {
        unavailabilityReason() != nil && state.withLock { (try? zones(&$0).get()) != nil }
    }

    /// RAPL's counter step and update period (``PowerErrorModel/rapl``).
    /// - Returns: The model.
    public func errorModel() -> PowerErrorModel { .rapl }

    /// `.counter`, or `.incomplete` once a counter that was read stopped answering mid-run.
    public func measurementMethod() -> MeasurementMethod {
        state.withLock { state in state.counters.contains(where: \.failed) ? .incomplete : .counter }
    }

    /// Takes the first reading of every counter.
    /// - Parameter diagnostics: Receives the zones found and counter anomalies.
    /// - Throws: ``CarbonTrackerError`` with code `.componentUnavailable` when there are no zones,
    ///   `.permissionDenied` when a counter cannot be read.
    public func start(diagnostics: any DiagnosticsReporter) throws {
        let zones = try state.withLock { state -> [RAPLZone] in
            state.diagnostics = diagnostics
            let found = try self.zones(&state).get()
            state.counters = Array(repeating: Counter(), count: found.count)
            return found
        }
        diagnostics.debug(
            "RAPL zones: " + zones.map { "\($0.device) = \($0.directory)" }.joined(separator: ", ") + ".")
        _ = try read()
    }

    /// Reads every counter once and returns the energy used since ``start(diagnostics:)``.
    /// - Throws: ``CarbonTrackerError`` with code `.permissionDenied`, naming each unreadable file.
    public func read() throws -> [DeviceReading] {
        let now = clock.now()
        return try state.withLock { state in
            guard case .success(let zones) = state.zones, state.counters.count == zones.count else {
                throw CarbonTrackerError.measurementFailed("RAPL was read before it was started.")
            }
            var readings: [DeviceReading] = []
            var denied: [String] = []
            for (index, zone) in zones.enumerated() {
                if state.counters[index].failed {
                    // Its energy up to the failure stays counted; nothing is added after it.
                    readings.append(.cumulativeJoules(Double(state.counters[index].totalMicrojoules) / 1e6))
                    continue
                }
                let result = reader.read(zone.energyPath)
                if case .success(let text) = result,
                    let value = UInt64(text.trimmingCharacters(in: .whitespacesAndNewlines))
                {
                    update(&state, index: index, zone: zone, value: value, at: now)
                    readings.append(.cumulativeJoules(Double(state.counters[index].totalMicrojoules) / 1e6))
                    continue
                }
                // A refusal has a fix (chmod), given by the permission error, whether or not it read before.
                if case .failure(let error) = result, error.isPermissionDenied {
                    denied.append(zone.energyPath)
                    readings.append(.unavailable)
                    continue
                }
                guard state.counters[index].last != nil else {
                    readings.append(.unavailable)
                    continue
                }
                // A counter that answered before and no longer does: named once, its total kept, and the
                // component's figures marked incomplete from now on.
                state.counters[index].failed = true
                let reason: String
                switch result {
                case .failure(let error): reason = error.reason
                case .success(let text): reason = "it holds '\(text.prefix(40))', not a number"
                }
                let joules = Double(state.counters[index].totalMicrojoules) / 1e6
                state.diagnostics.warning(
                    "RAPL counter \(zone.energyPath) (\(zone.device)) stopped answering mid-run: \(reason). Its "
                        + "\(LogNumber.python(joules)) J up to now are kept; later CPU figures miss its energy and are "
                        + "marked [method: incomplete].")
                readings.append(.cumulativeJoules(joules))
            }
            if !denied.isEmpty {
                throw CarbonTrackerError(.permissionDenied, RAPLZones.permissionMessage(denied))
            }
            return readings
        }
    }

    /// The longest gap between reads at which no counter can wrap twice, in seconds.
    ///
    /// A counter of range R microjoules wraps every R / P seconds at P watts; P is taken as the
    /// larger of twice the highest power seen and `assumedPeakWatts`.
    public var maximumReadInterval: Double? {
        state.withLock { state in
            guard case .success(let zones) = state.zones else { return nil }
            var shortest: Double?
            for (index, zone) in zones.enumerated() {
                guard let range = zone.rangeMicrojoules, range > 0 else { continue }
                let peak = index < state.counters.count ? state.counters[index].peakWatts : 0
                let seconds = Double(range) / 1e6 / max(Self.assumedPeakWatts, 2 * peak)
                shortest = min(shortest ?? seconds, seconds)
            }
            return shortest
        }
    }

    /// Nothing to release: no file stays open.
    public func shutdown() {}

    private func zones(_ state: inout State) -> Result<[RAPLZone], CarbonTrackerError> {
        if let zones = state.zones { return zones }
        let zones = Result { try RAPLZones.discover(root: root, reader: reader) }.mapError { error in
            error as? CarbonTrackerError ?? CarbonTrackerError(.componentUnavailable, "\(error)")
        }
        state.zones = zones
        return zones
    }

    private func update(_ state: inout State, index: Int, zone: RAPLZone, value: UInt64, at now: Double) {
        var counter = state.counters[index]
        defer { state.counters[index] = counter }
        if let last = counter.last {
            var delta: UInt64 = 0
            if value >= last {
                delta = value - last
            } else if let range = zone.rangeMicrojoules, range >= last {
                delta = range - last + value
            } else if state.reportedResets.insert(zone.device).inserted {
                state.diagnostics.warning(
                    "RAPL counter \(zone.energyPath) went down without a known range (max_energy_range_uj); "
                        + "the energy between these two reads is not counted.")
            }
            counter.totalMicrojoules &+= delta
            if let lastTime = counter.lastTime, now > lastTime {
                counter.peakWatts = max(counter.peakWatts, Double(delta) / 1e6 / (now - lastTime))
            }
        }
        counter.last = value
        counter.lastTime = now
    }
}
