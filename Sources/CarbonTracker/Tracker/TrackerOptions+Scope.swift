extension TrackerOptions {
    /// The environment the hardware sources read, with ``scope`` and ``cpuEstimate`` in it when set.
    var hardwareEnvironment: [String: String] {
        var environment = environment
        if let scope { environment["CARBONTRACKER_SCOPE"] = scope }
        if let cpuEstimate { environment["CARBONTRACKER_CPU_ESTIMATE"] = cpuEstimate }
        return environment
    }

    /// The scope of the measured work, resolved from ``scope`` or `CARBONTRACKER_SCOPE`.
    /// - Throws: ``CarbonTrackerError`` with code `.invalidConfiguration` for a scope that names no cgroup
    ///   or an unknown CPU estimate.
    func workScope() throws -> WorkScope {
        let environment = hardwareEnvironment
        if let estimate = environment["CARBONTRACKER_CPU_ESTIMATE"],
            !["", "model", "python"].contains(estimate.lowercased())
        {
            throw CarbonTrackerError.invalidConfiguration(
                "The CPU estimate must be `model` (per vCPU, following the work's CPU time) or `python` "
                    + "(half the TDP, as Python carbontracker), got '\(estimate)'.")
        }
        return try WorkScope.resolve(environment: environment)
    }

    /// Checks the scope and CPU-estimate settings before anything starts, cheaply: only a scope that
    /// names a cgroup is looked up now (the automatic scope is resolved when a hardware source needs it).
    /// - Throws: ``CarbonTrackerError`` with code `.invalidConfiguration`, as ``workScope()``.
    func validateScope() throws {
        let environment = hardwareEnvironment
        let request = (environment["CARBONTRACKER_SCOPE"] ?? "").trimmingCharacters(in: .whitespaces)
            .lowercased()
        let estimate = (environment["CARBONTRACKER_CPU_ESTIMATE"] ?? "").lowercased()
        if ["", "auto", "machine", "process"].contains(request) && ["", "model", "python"].contains(estimate)
        {
            return
        }
        _ = try workScope()
    }
}
