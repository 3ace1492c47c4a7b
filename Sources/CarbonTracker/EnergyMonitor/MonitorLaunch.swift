import Foundation

/// Builds a monitor: opens the logs, starts the intensity source, picks one power source per
/// requested component, and starts the sampling thread. Shared by ``EnergyMonitor`` and
/// ``CarbonTracker``, which adds its epoch observer.
enum MonitorLaunch {
    /// Opens the logs and starts the carbon-intensity source; writes Python's opening lines.
    static func prepare(_ configuration: MonitorConfiguration, options: TrackerOptions) throws -> (
        log: TrackerLog, wake: WakeSignal, intensity: any CarbonIntensitySource, pue: Double
    ) {
        try options.validate()
        let pue = try options.powerUsageEffectiveness()
        // A scope that names no cgroup is a configuration error, found before anything starts.
        try options.validateScope()
        let intensity = try IntensitySourceFactory.make(apiKeys: configuration.apiKeys, options: options)
        let wake = WakeSignal()
        let log = try TrackerLog(
            directory: configuration.logDir, prefix: configuration.logFilePrefix,
            verbose: configuration.verbose,
            console: options.console, wake: wake)
        let source =
            pue == CarbonTracker.defaultPowerUsageEffectiveness
            ? "(Daniel Bizo, 2023, Uptime Institute Global Data Center Survey)."
            : "(set with TrackerOptions.pue or CARBONTRACKER_PUE)."
        log.write { batch in
            batch.standard("carbontracker version \(CarbonTrackerVersion.string)")
            batch.standard(
                "Only predicted and actual consumptions are multiplied by a PUE coefficient of "
                    + "\(LogNumber.python(pue)) \(source)")
        }
        intensity.start(diagnostics: log)
        return (log, wake, intensity, pue)
    }

    /// Chooses the power sources and starts the sampling thread.
    /// - Parameters:
    ///   - configuration: What to measure and how often.
    ///   - options: Swift-only settings.
    ///   - reporter: The tracker's epoch reporter; `nil` for a standalone monitor.
    ///   - settings: The tracker's own settings, by Python's names, for the event log.
    /// - Throws: ``CarbonTrackerError`` with code `.componentUnavailable` when a requested component has
    ///   no source (or none has), unless errors are ignored; the logs are then deleted.
    static func start(
        _ configuration: MonitorConfiguration, options: TrackerOptions, reporter: EpochReporter?,
        settings: [String: String] = [:]
    ) throws -> (core: MonitorCore, recorder: RunRecorder) {
        let (log, wake, intensity, pue) = try prepare(configuration, options: options)
        let exporters: [any RunExporter]
        do {
            exporters = try RunExporters.make(
                options: options, environment: options.environment, logPaths: log.paths, diagnostics: log)
        } catch {
            log.discard()
            intensity.stop()
            throw error
        }
        let role = DistributedRole.detect(environment: options.environment, settings: options.distributed)
        let recorder = RunRecorder(
            log: log, intensity: intensity, powerUsageEffectiveness: pue, exporters: exporters,
            reporter: reporter,
            description: describe(
                configuration, options: options, role: role, pue: pue, log: log, settings: settings))
        let core = MonitorCore(
            settings: MonitorSettings(
                updateIntervalSeconds: configuration.updateIntervalSeconds,
                componentKinds: configuration.componentKinds, componentsIsAll: configuration.componentsIsAll,
                ignoreErrors: configuration.ignoreErrors, timeoutSeconds: options.shutdownTimeoutSeconds,
                powerUsageEffectiveness: pue, synchronize: options.synchronize),
            wake: wake, intensity: intensity, sink: recorder)
        let (chosen, missing) = choose(configuration, options: options, log: log)
        // In a distributed job, each device is measured by exactly one process: this one measures what it
        // is assigned, logs who measures what, and may take over a source whose measurer ends.
        let assignment = DistributedAssignment.make(
            components: chosen, role: role, environment: options.environment, settings: options.distributed,
            devicesByPID: configuration.devicesByPID)
        log.write { batch in
            for line in assignment.logLines { batch.standard(line) }
        }
        if chosen.isEmpty || (!configuration.componentsIsAll && !missing.isEmpty) {
            let message = (missing.isEmpty ? ["No components available."] : missing).joined(separator: " ")
            guard configuration.ignoreErrors else {
                log.critical(message)
                recorder.abandon(discardingLogs: true)
                throw CarbonTrackerError(.componentUnavailable, message)
            }
            core.endWithoutSampling(CarbonTrackerError(.componentUnavailable, message))
            recorder.abandon(discardingLogs: false)
            return (core, recorder)
        }
        core.start(assignment.measured, deferred: assignment.deferred)
        return (core, recorder)
    }

    /// Who this run is, for the exporters' `run_started` event.
    private static func describe(
        _ configuration: MonitorConfiguration, options: TrackerOptions, role: DistributedRole?, pue: Double,
        log: TrackerLog, settings: [String: String]
    ) -> RunDescription {
        var description = RunDescription(
            runID: log.paths.map { EventLogExporter.runID(logPath: $0.standard) }
                ?? "\(getpid()).\(Int.random(in: 1...999_999))_\(LogTime.fileStamp(Date()))",
            version: CarbonTrackerVersion.string, startDate: Date(), components: [],
            powerUsageEffectiveness: pue,
            configuration: configuration.pythonSettings.merging(settings) { $1 },
            node: role?.nodeName
                ?? DistributedRole.nodeName(environment: options.environment, settings: options.distributed)
        )
        if let role {
            description.labels =
                [
                    RunLabel(name: "job_id", value: role.jobID), RunLabel(name: "node", value: role.nodeName),
                ] + (role.rank.map { [RunLabel(name: "rank", value: String($0))] } ?? [])
        }
        return description
    }

    /// Picks one power source per requested kind; returns the messages for kinds without one.
    static func choose(_ configuration: MonitorConfiguration, options: TrackerOptions, log: TrackerLog)
        -> (chosen: [any PowerComponent], missing: [String])
    {
        let context = HardwareContext(
            environment: options.hardwareEnvironment, devicesByPID: configuration.devicesByPID)
        var chosen: [any PowerComponent] = []
        var missing: [String] = []
        let detects = configuration.componentKinds.contains { kind in
            options.customComponents == nil
                && (kind == .cpu ? configuration.simulatedCPU : configuration.simulatedGPU) == nil
        }
        if detects, let scope = try? options.workScope() {
            log.info("Scope of the measured work: \(scope.summary).")
        }
        for kind in configuration.componentKinds {
            let simulated = kind == .cpu ? configuration.simulatedCPU : configuration.simulatedGPU
            let candidates: [any PowerComponent] =
                options.customComponents.map { custom in custom.filter { $0.kind == kind } }
                ?? simulated.map { [$0] } ?? ComponentSelection.candidates(for: kind, context: context)
            if let first = candidates.first(where: { $0.isAvailable() }) {
                chosen.append(first)
                continue
            }
            let reasons = candidates.compactMap { candidate in
                candidate.unavailabilityReason().map { "\(candidate.handlerName): \($0)" }
            }
            let message = ComponentSelection.unavailableMessage(kind)
            log.info(message)
            // Under "all" a missing component is expected (no GPU here): the reasons go to the error
            // log only. A component asked for by name fails with them in the thrown error instead.
            for reason in reasons {
                configuration.componentsIsAll ? log.debug(reason) : log.errorInfo(reason)
            }
            missing.append(reasons.isEmpty ? message : message + " " + reasons.joined(separator: " "))
        }
        return (chosen, missing)
    }
}
