/// The hardware power sources, best first, for one component kind.
enum HardwareComponents {
    /// Candidate sources for `kind` on this machine; the first available one is used.
    ///
    /// In Python carbontracker's order: gpu: NVML, then Apple silicon; cpu: RAPL, then Apple
    /// silicon, then the TDP estimate (always available, told which sources it stands in for).
    /// Building them is cheap; availability is checked by the caller.
    static func candidates(for kind: ComponentKind, context: HardwareContext) -> [any PowerComponent] {
        let environment = context.environment
        let apple = AppleSiliconComponent(kind: kind, session: context.shared.powermetrics(environment))
        switch kind {
        case .gpu:
            return [NVMLComponent(environment: environment, devicesByPID: context.devicesByPID), apple]
        case .cpu:
            let rapl = RAPLComponent(environment: environment)
            let estimate = TDPEstimateComponent(
                cpuinfoPath: environment["CARBONTRACKER_CPUINFO"] ?? "/proc/cpuinfo",
                fallbackFor: [rapl, apple])
            return [rapl, apple, estimate]
        }
    }
}

/// What the candidates built from one ``HardwareContext`` share.
final class SharedHardware: Sendable {
    private let session = LockedBox<PowermetricsSession?>(nil)

    /// The one powermetrics session for this context, created on first use.
    func powermetrics(_ environment: [String: String]) -> PowermetricsSession {
        session.withLock { session in
            if let session { return session }
            let created = PowermetricsSession(launch: PowermetricsLaunch(environment: environment))
            session = created
            return created
        }
    }
}
