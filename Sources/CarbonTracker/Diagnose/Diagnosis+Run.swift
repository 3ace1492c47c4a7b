import Foundation

extension Diagnosis {
    /// What to diagnose and how.
    public struct Options: Sendable {
        /// `CARBONTRACKER_*`, `CUDA_VISIBLE_DEVICES` and the other settings a tracker reads.
        public var environment: [String: String]
        /// The components asked for, as `CarbonTracker(components:)` takes them (`"all"`, `"gpu,cpu"`, ...).
        public var components: String
        /// How long to measure every source, in seconds (5 for the command).
        public var measurementSeconds: Double
        /// Provider keys, as `apiKeys`.
        public var apiKeys: [String: String]?
        /// Measure only GPUs running this process or its children.
        public var devicesByPID: Bool
        /// The candidate sources per component instead of the machine's (tests, custom meters).
        var candidates: (@Sendable (ComponentKind, HardwareContext) -> [any PowerComponent])?

        /// Creates options.
        /// - Parameters:
        ///   - environment: The settings a tracker reads.
        ///   - components: The components asked for.
        ///   - measurementSeconds: How long to measure, in seconds.
        ///   - apiKeys: Provider keys.
        ///   - devicesByPID: Measure only GPUs running this process or its children.
        public init(
            environment: [String: String], components: String = "all", measurementSeconds: Double = 5,
            apiKeys: [String: String]? = nil, devicesByPID: Bool = false
        ) {
            self.environment = environment
            self.components = components
            self.measurementSeconds = measurementSeconds
            self.apiKeys = apiKeys
            self.devicesByPID = devicesByPID
        }
    }

    /// Tries every source of every requested component as a tracker would, measures the ones used,
    /// and looks at carbon intensity.
    /// - Parameter options: What to diagnose.
    /// - Returns: The diagnosis; ``text`` is the report, ``exitStatus`` the command's status.
    /// - Throws: ``CarbonTrackerError`` with code `.invalidConfiguration` for unknown components or a
    ///   measurement time that is negative or not finite.
    public static func run(_ options: Options) throws -> Diagnosis {
        let (kinds, _) = try TrackerConfiguration.parseComponents(options.components)
        guard options.measurementSeconds.isFinite, options.measurementSeconds >= 0,
            options.measurementSeconds <= 3600
        else {
            throw CarbonTrackerError.invalidConfiguration(
                "The measurement time must be between 0 and 3600 seconds, got \(options.measurementSeconds).")
        }
        let context = HardwareContext(environment: options.environment, devicesByPID: options.devicesByPID)
        var sources: [Source] = []
        var outcomes: [ComponentKind: Outcome] = [:]
        var chosen: [(kind: ComponentKind, component: any PowerComponent)] = []
        for kind in kinds {
            let candidates =
                options.candidates?(kind, context)
                ?? ComponentSelection.candidates(for: kind, context: context)
            var used: (any PowerComponent)?
            for candidate in candidates {
                if used != nil {
                    sources.append(Source(kind: kind, name: candidate.handlerName, verdict: .notTried))
                    continue
                }
                switch start(candidate, kind: kind) {
                case .success(let source):
                    used = candidate
                    chosen.append((kind, candidate))
                    sources.append(source)
                case .failure(let failure):
                    let reason = failure.message
                    sources.append(
                        Source(
                            kind: kind, name: candidate.handlerName, verdict: .unavailable, reason: reason,
                            fix: SourceFix.command(
                                for: candidate, reason: reason, environment: options.environment)))
                }
            }
            outcomes[kind] =
                used.map { $0.measurementMethod() == .estimated ? Outcome.estimated : .measured } ?? .missing
        }
        let intensity = IntensityDiagnosis.lines(apiKeys: options.apiKeys, environment: options.environment)
        let (readings, agreements) = measure(chosen, options: options)
        for (_, component) in chosen { component.shutdown() }
        var diagnosis = Diagnosis(
            requested: kinds, sources: sources, outcomes: outcomes, intensity: intensity,
            distributedRole: distributedRole(options.environment),
            measurementSeconds: options.measurementSeconds,
            readings: readings, agreements: agreements)
        do {
            diagnosis.scope = try WorkScope.resolve(environment: options.environment).summary
        } catch {
            diagnosis.scope = (error as? CarbonTrackerError)?.message ?? "\(error)"
        }
        return diagnosis
    }

    /// The distributed role line: this process's rank and what it measures, or "single process".
    static func distributedRole(_ environment: [String: String]) -> String? {
        DistributedRole.describe(environment: environment)
    }

    /// Starts `candidate` when it is available; the failure says why it is not or how starting failed.
    private static func start(_ candidate: any PowerComponent, kind: ComponentKind) -> Result<
        Source, CarbonTrackerError
    > {
        guard candidate.isAvailable() else {
            return .failure(
                CarbonTrackerError(
                    .componentUnavailable, candidate.unavailabilityReason() ?? "it is not available here."))
        }
        let notes = DiagnosisNotes()
        do {
            try candidate.start(diagnostics: notes)
        } catch {
            candidate.shutdown()
            let message = (error as? CarbonTrackerError)?.message ?? "\(error)"
            return .failure(CarbonTrackerError(.componentUnavailable, "it failed to start: " + message))
        }
        return .success(
            Source(
                kind: kind, name: candidate.handlerName, verdict: .used,
                method: candidate.measurementMethod(),
                devices: candidate.devices(),
                notes: notes.lines + [candidate.provenanceNote()].compactMap { $0 }))
    }

    /// Reads every chosen source for the measurement window; NVML with both of its methods.
    private static func measure(
        _ chosen: [(kind: ComponentKind, component: any PowerComponent)], options: Options
    ) -> ([Reading], [Agreement]) {
        let comparison =
            chosen.contains { $0.component is NVMLComponent }
            ? NVMLMethodComparison(environment: options.environment, devicesByPID: options.devicesByPID) : nil
        let generic = chosen.filter { comparison == nil || !($0.component is NVMLComponent) }
        var meters = generic.map {
            [PowerMeter](repeating: PowerMeter(), count: $0.component.devices().count)
        }
        var failures: [String?] = Array(repeating: nil, count: generic.count)
        let clock = ContinuousClock()
        let start = clock.now
        let step = max(0.01, min(0.1, options.measurementSeconds / 20))
        while true {
            let elapsed = start.duration(to: clock.now)
            let time = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
            for index in generic.indices where failures[index] == nil {
                do {
                    for (device, reading) in try generic[index].component.read().enumerated()
                    where device < meters[index].count {
                        meters[index][device].add(reading, at: time)
                    }
                } catch {
                    failures[index] = (error as? CarbonTrackerError)?.message ?? "\(error)"
                }
            }
            comparison?.sample(at: time)
            if time >= options.measurementSeconds { break }
            Thread.sleep(forTimeInterval: min(step, options.measurementSeconds - time))
        }
        var readings: [Reading] = []
        for (index, item) in generic.enumerated() {
            let method = item.component.measurementMethod().rawValue
            for (device, name) in item.component.devices().enumerated() where device < meters[index].count {
                readings.append(
                    Reading(
                        kind: item.kind, device: name, method: method,
                        watts: failures[index] == nil ? meters[index][device].averageWatts : nil))
            }
        }
        let (gpuReadings, agreements) = comparison?.results() ?? ([], [])
        return (gpuReadings + readings, agreements)
    }
}

/// Collects what a source says while starting: its standard-log lines and warnings, without the
/// reasons the TDP estimate repeats for the sources it stands in for (listed with those sources).
final class DiagnosisNotes: DiagnosticsReporter {
    private let recorded = LockedBox<[String]>([])

    /// The lines, in order.
    var lines: [String] { recorded.withLock { $0 } }

    func info(_ message: String) { recorded.withLock { $0.append(message) } }
    func debug(_ message: String) {}
    func warning(_ message: String) {
        guard !message.contains(" could not measure the CPU: ") else { return }
        recorded.withLock { $0.append(message) }
    }
    func critical(_ message: String) { recorded.withLock { $0.append(message) } }
}
