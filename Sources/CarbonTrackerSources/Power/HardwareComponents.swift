/// The hardware power sources, best first, for one component kind.
enum HardwareComponents {
    /// Candidate sources for `kind` on this machine; the first available one is used.
    ///
    /// In Python carbontracker's order: gpu: NVML, then Apple silicon; cpu: RAPL, then Apple
    /// silicon, then the TDP estimate (always available, told which sources it stands in for). On Apple
    /// silicon IOReport's counters (no root) come before powermetrics (root through `sudo -n`).
    /// When the GPU candidates were built from the same context first (the tracker chooses the GPU
    /// before the CPU), the CPU list starts with ``ModuleCoveredCPUComponent``, available only when NVML
    /// measures a GPU at module scope, so a Grace CPU is not counted twice.
    /// Building them is cheap; availability is checked by the caller.
    static func candidates(for kind: ComponentKind, context: HardwareContext) -> [any PowerComponent] {
        let environment = context.environment
        let ioreport = AppleEnergyComponent(kind: kind, environment: environment)
        let apple = AppleSiliconComponent(
            kind: kind, session: context.shared.powermetrics(environment), preferred: [ioreport])
        switch kind {
        case .gpu:
            let nvml = NVMLComponent(environment: environment, devicesByPID: context.devicesByPID)
            context.shared.register(nvml)
            return [nvml, ioreport, apple]
        case .cpu:
            let cpuinfo = environment["CARBONTRACKER_CPUINFO"] ?? PlatformPaths.cpuinfo
            let resolver = ScopeResolver(files: .system, environment: environment)
            let scope = (try? resolver.resolve()) ?? resolver.machine()
            let counters = RAPLComponent(environment: environment)
            // On a shared machine the tracked work gets its share of the packages' energy.
            let rapl: any PowerComponent =
                scope.kind == .machine ? counters : ScopeAttributedComponent(wrapping: counters, scope: scope)
            let estimate = cpuEstimate(
                environment: environment, scope: scope, cpuinfo: cpuinfo,
                fallbackFor: [rapl, ioreport, apple])
            // A Grace CPU inside a GPU module that NVML measures whole is already counted there.
            let covered = context.shared.nvml.map { nvml -> [any PowerComponent] in
                [
                    ModuleCoveredCPUComponent(
                        gpu: nvml, cpuName: CPUModel.detect(cpuinfoPath: cpuinfo) ?? "Grace CPU")
                ]
            }
            return (covered ?? []) + [rapl, ioreport, apple, estimate]
        }
    }

    /// The CPU estimate when no sensor can be read: the per-vCPU model of the tracked work's scope, or
    /// Python carbontracker's half-TDP constant with `CARBONTRACKER_CPU_ESTIMATE=python`.
    static func cpuEstimate(
        environment: [String: String], scope: WorkScope, cpuinfo: String?,
        fallbackFor skipped: [any PowerComponent]
    ) -> any PowerComponent {
        if environment["CARBONTRACKER_CPU_ESTIMATE"]?.lowercased() == "python" {
            return TDPEstimateComponent(cpuinfoPath: cpuinfo, fallbackFor: skipped)
        }
        return CPUPowerModelComponent(
            scope: scope, cpuinfoPath: cpuinfo, files: .system, fallbackFor: skipped)
    }
}

/// What the candidates built from one ``HardwareContext`` share.
final class SharedHardware: Sendable {
    private let session = LockedBox<PowermetricsSession?>(nil)
    private let gpu = LockedBox<NVMLComponent?>(nil)

    /// The NVML component built for the GPU from this context, if any.
    var nvml: NVMLComponent? { gpu.withLock { $0 } }

    /// Remembers the NVML component built for the GPU, so that the CPU candidates can ask its scope.
    func register(_ nvml: NVMLComponent) { gpu.withLock { $0 = nvml } }

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
