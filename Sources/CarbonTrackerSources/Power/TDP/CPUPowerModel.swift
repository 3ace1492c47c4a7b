/// Power per vCPU for a CPU without an energy sensor: an idle part, drawn by every CPU the scope holds,
/// and a dynamic part, drawn per second of CPU time the scope uses.
///
/// ```swift
/// let model = CPUPowerModel.forCPU(named: "AMD EPYC", cpuinfo: text)
/// model.idleWattsPerCPU      // 0.74 (no single part is named: the SPECpower-derived default)
/// ```
///
/// The figures, in order of preference:
/// - the exact part is in the TDP table and its hardware threads are known (a bare-metal
///   `/proc/cpuinfo`, or an "N-Core" model name): the maximum per vCPU is the socket's TDP ÷ its
///   threads, the idle part the same share of it as in the defaults below;
/// - otherwise, including a model name that names only a family ("AMD EPYC", "Intel Xeon"), the
///   SPECpower-derived averages Cloud Carbon Footprint uses for x86 cloud CPUs: 0.74 W idle and
///   3.5 W at full load per vCPU (cloudcarbonfootprint.org, "Methodology", compute coefficients).
package struct CPUPowerModel: Sendable, Equatable {
    /// Watts each held CPU draws when idle.
    package var idleWattsPerCPU: Double
    /// Watts a CPU draws at full load.
    package var maximumWattsPerCPU: Double
    /// Where the figures come from, for the log ("the 280 W TDP of AMD EPYC 7763 ÷ 128 threads").
    package var basis: String
    /// Whether the figures are the per-vCPU default (no single part could be identified).
    package var isDefault: Bool

    /// Cloud Carbon Footprint's SPECpower-derived average idle power per vCPU, in watts.
    package static let defaultIdleWattsPerCPU = 0.74
    /// Cloud Carbon Footprint's SPECpower-derived average power per vCPU at full load, in watts.
    package static let defaultMaximumWattsPerCPU = 3.5

    /// Joules used over `seconds` by `cpus` held CPUs that were busy for `busySeconds` CPU-seconds.
    package func joules(seconds: Double, cpus: Int, busySeconds: Double) -> Double {
        let busy = min(max(0, busySeconds), Double(cpus) * max(0, seconds))
        return idleWattsPerCPU * Double(cpus) * max(0, seconds) + (maximumWattsPerCPU - idleWattsPerCPU)
            * busy
    }

    /// The model for the CPU `name`, with `cpuinfo` (the text of `/proc/cpuinfo`, when there is one)
    /// telling the threads per socket.
    package static func forCPU(
        named name: String, cpuinfo: String?,
        table: [(name: String, watts: Double)] = ReferenceData.cpuThermalDesignPower
    ) -> CPUPowerModel {
        let defaults = CPUPowerModel(
            idleWattsPerCPU: defaultIdleWattsPerCPU, maximumWattsPerCPU: defaultMaximumWattsPerCPU,
            basis: "", isDefault: true)
        let part = normalized(name)
        guard let row = table.first(where: { $0.name == part }) else {
            var model = defaults
            model.basis =
                "'\(name)' does not name one part in the TDP table, so Cloud Carbon Footprint's "
                + "SPECpower-derived per-vCPU figures for x86 are used"
            return model
        }
        guard let threads = threadsPerSocket(name: name, cpuinfo: cpuinfo), threads > 0 else {
            var model = defaults
            model.basis =
                "\(row.name) is in the TDP table but its threads per socket are not visible (virtual machine), "
                + "so Cloud Carbon Footprint's SPECpower-derived per-vCPU figures for x86 are used"
            return model
        }
        let maximum = row.watts / Double(threads)
        return CPUPowerModel(
            idleWattsPerCPU: maximum * defaultIdleWattsPerCPU / defaultMaximumWattsPerCPU,
            maximumWattsPerCPU: maximum,
            basis:
                "the \(LogNumber.python(row.watts)) W TDP of \(row.name) ÷ its \(threads) hardware threads",
            isDefault: false)
    }

    /// The model name without vendor marks, frequency and "N-Core Processor" ("Intel(R) Xeon(R) Platinum
    /// 8375C CPU @ 2.90GHz" → "Intel Xeon Platinum 8375C"), to match the table's names exactly.
    package static func normalized(_ name: String) -> String {
        var text = String(name.split(separator: "@", omittingEmptySubsequences: false)[0])
        for mark in ["(R)", "(r)", "(TM)", "(tm)"] { text = text.replacingOccurrences(of: mark, with: "") }
        var words = text.split(separator: " ").map(String.init)
        words.removeAll { $0 == "CPU" || $0 == "Processor" || $0.hasSuffix("-Core") }
        return words.joined(separator: " ")
    }

    /// The part's hardware threads: "N-Core" in the name × threads per core, else `siblings` from a
    /// bare-metal `/proc/cpuinfo` (in a virtual machine it counts the guest's vCPUs, not the part's).
    static func threadsPerSocket(name: String, cpuinfo: String?) -> Int? {
        var fields: [String: String] = [:]
        for line in (cpuinfo ?? "").split(separator: "\n") {
            guard let colon = line.firstIndex(of: ":") else { continue }
            let key = line[..<colon].trimmingCharacters(in: .whitespaces)
            if fields[key] == nil {
                fields[key] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            }
        }
        let virtual = fields["flags"]?.split(separator: " ").contains("hypervisor") ?? false
        let siblings = fields["siblings"].flatMap { Int($0) }
        let cores = fields["cpu cores"].flatMap { Int($0) }
        let threadsPerCore = siblings.flatMap { s in cores.map { c in c > 0 ? max(1, s / c) : 1 } } ?? 1
        if let named = name.split(separator: " ").first(where: { $0.hasSuffix("-Core") }),
            let count = Int(named.dropLast("-Core".count))
        {
            // A guest's threads per core are its own; bare metal shows the part's.
            return count * (virtual ? 2 : threadsPerCore)
        }
        return virtual ? nil : siblings
    }
}
