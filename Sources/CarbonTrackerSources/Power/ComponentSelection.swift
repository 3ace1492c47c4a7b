/// What hardware detection may consult; built by the tracker from its options.
package struct HardwareContext: Sendable {
    /// Environment variables (`CARBONTRACKER_RAPL_DIR`, `CARBONTRACKER_NVML_LIBRARY`,
    /// `CARBONTRACKER_POWERMETRICS`, `CUDA_VISIBLE_DEVICES`, ...).
    package var environment: [String: String]
    /// Measure only devices that run this process or its children.
    package var devicesByPID: Bool
    /// Lets the CPU and GPU candidates built from one context share a powermetrics child.
    let shared = SharedHardware()

    /// Creates a context.
    /// - Parameters:
    ///   - environment: Environment variables for overrides.
    ///   - devicesByPID: Measure only devices used by this process tree.
    package init(environment: [String: String], devicesByPID: Bool) {
        self.environment = environment
        self.devicesByPID = devicesByPID
    }
}

/// Chooses a power source for each requested component, in Python carbontracker's order.
package enum ComponentSelection {
    /// The candidate sources for `kind`, best first (gpu: NVML, Apple; cpu: RAPL, Apple, TDP estimate).
    package static func candidates(for kind: ComponentKind, context: HardwareContext) -> [any PowerComponent]
    {
        HardwareComponents.candidates(for: kind, context: context)
    }

    /// Python's message when a requested component has no source.
    package static func unavailableMessage(_ kind: ComponentKind) -> String {
        kind == .gpu ? "No GPU(s) available." : "No CPU(s) available."
    }
}
