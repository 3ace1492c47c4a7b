import Foundation

/// A package energy counter (RAPL `cpu:N`, `dram:N`) charged to a scope that shares the machine: the
/// active part by the scope's share of the package's busy CPU time, the idle part by its share of the
/// package's CPUs.
///
/// ```swift
/// let rapl = ScopeAttributedComponent(wrapping: RAPLComponent(environment: env), scope: scope)
/// try rapl.read()   // the job's share of each package's and DRAM's energy, cumulative
/// ```
///
/// Per interval between reads, for each package `p` (its CPUs from
/// `/sys/devices/system/cpu/cpuN/topology/physical_package_id`):
/// - the package's idle power is estimated from its own readings over the run: a least-squares line
///   of its power against its busy CPUs (from `/proc/stat`), whose intercept is the idle power,
///   bounded by the lowest power it drew; the lowest power alone until the load has varied;
/// - idle energy = idle power × interval, charged by the scope's CPUs on `p` ÷ `p`'s CPUs;
/// - the rest is active energy, charged by the scope's CPU time on `p` ÷ `p`'s busy CPU time (a cgroup
///   reports one CPU time: it is spread over the packages in proportion to the CPUs held on each).
///
/// The jobs of a node thus add up to the node's energy less the idle power of CPUs nobody holds. Cost
/// per read: the wrapped read, one read of `/proc/stat` and one of the scope's CPU time.
package final class ScopeAttributedComponent: PowerComponent, ActionableUnavailability {
    /// The wrapped counter's kind.
    package var kind: ComponentKind { inner.kind }
    /// The wrapped counter's name ("RAPL").
    package var handlerName: String { inner.handlerName }
    /// The scope charged.
    package let scope: WorkScope
    private let inner: any PowerComponent
    private let files: ScopeFiles
    private let cpuTime: ScopeCPUTime
    private let clock = MonotonicTime()
    private let state = LockedBox(State())

    /// Running least-squares sums of one device's power against its package's busy CPUs.
    private struct IdleFit {
        var count = 0.0
        var sumX = 0.0
        var sumY = 0.0
        var sumXX = 0.0
        var sumXY = 0.0
        var lowest = Double.infinity

        mutating func add(busyCPUs x: Double, watts y: Double) {
            count += 1
            sumX += x
            sumY += y
            sumXX += x * x
            sumXY += x * y
            lowest = min(lowest, y)
        }

        /// The intercept when the load has varied enough to fit a line, bounded by the lowest power.
        var idleWatts: Double? {
            guard count > 0 else { return nil }
            let variance = sumXX / count - (sumX / count) * (sumX / count)
            guard count >= 3, variance > 0.01 else { return lowest }
            let slope = (sumXY / count - sumX / count * sumY / count) / variance
            let intercept = sumY / count - slope * sumX / count
            return min(lowest, max(0, intercept))
        }
    }

    private struct State {
        /// Package number of each device, from its name (`cpu:N`, `dram:N`).
        var devicePackage: [Int?] = []
        /// CPUs of each package, and how many of them the scope holds.
        var packageCPUs: [Int: [Int]] = [:]
        var heldCPUs: [Int: Double] = [:]
        var lastTime: Double?
        var lastJoules: [Double?] = []
        var lastScopeSeconds: Double?
        var lastBusy: [Int: Double] = [:]
        var attributed: [Double] = []
        var fits: [IdleFit] = []
        var scopeBusyTotal = 0.0
        var packageBusyTotal = 0.0
        /// The energy charged so far, and what the share by CPU time alone and the share by CPUs held
        /// alone would have charged: the attribution's spread.
        var chargedJoules = 0.0
        var byTimeJoules = 0.0
        var byHeldJoules = 0.0
    }

    /// Wraps `inner` for `scope`.
    package init(wrapping inner: any PowerComponent, scope: WorkScope, files: ScopeFiles = .system) {
        self.inner = inner
        self.scope = scope
        self.files = files
        self.cpuTime = ScopeCPUTime(scope: scope, files: files)
    }

    /// The wrapped counter's devices.
    package func devices() -> [String] { inner.devices() }
    /// Whether the wrapped counter is available.
    package func isAvailable() -> Bool { inner.isAvailable() }
    /// The wrapped counter's reason.
    package func unavailabilityReason() -> String? { inner.unavailabilityReason() }
    /// The wrapped counter's.
    package var unavailabilityIsActionable: Bool {
        (inner as? any ActionableUnavailability)?.unavailabilityIsActionable ?? false
    }
    /// The wrapped counter's method.
    package func measurementMethod() -> MeasurementMethod { inner.measurementMethod() }
    /// The wrapped counter's limit.
    package var maximumReadInterval: Double? { inner.maximumReadInterval }
    /// Shuts the wrapped counter down.
    package func shutdown() { inner.shutdown() }

    /// Starts the wrapped counter and reads the packages' CPUs.
    package func start(diagnostics: any DiagnosticsReporter) throws {
        try inner.start(diagnostics: diagnostics)
        let devices = inner.devices()
        let topology = packageTopology()
        state.withLock { state in
            state.devicePackage = devices.map { name in
                name.split(separator: ":").last.flatMap { Int($0) }
            }
            state.packageCPUs = topology
            let held = Set(scope.cpuIDs ?? [])
            for (package, cpus) in topology {
                state.heldCPUs[package] =
                    scope.cpuIDs == nil
                    ? Double(scope.cpuCount) * Double(cpus.count) / Double(max(1, scope.machineCPUCount))
                    : Double(cpus.filter(held.contains).count)
            }
            state.attributed = Array(repeating: 0, count: devices.count)
            state.lastJoules = Array(repeating: nil, count: devices.count)
            state.fits = Array(repeating: IdleFit(), count: devices.count)
        }
        diagnostics.info(
            "\(inner.handlerName) energy is charged to \(scope.label) (\(scope.cpuCount) of \(scope.machineCPUCount) "
                + "CPUs): idle power by its share of each package's CPUs, the rest by its share of the package's busy "
                + "CPU time.")
        _ = try read()
    }

    /// The scope's share of each device's energy since start, cumulative.
    package func read() throws -> [DeviceReading] {
        let now = clock.now()
        let readings = try inner.read()
        let busy = KernelPaths.stat.flatMap { files.read($0, limit: 1 << 20) }.map(ProcStat.perCPU) ?? []
        let scopeSeconds = cpuTime.cpuSeconds()
        return state.withLock { state in
            var busyByCPU: [Int: Double] = [:]
            for entry in busy { busyByCPU[entry.cpu] = entry.busySeconds }
            var packageBusy: [Int: Double] = [:]
            for (package, cpus) in state.packageCPUs {
                packageBusy[package] = cpus.reduce(0) { $0 + (busyByCPU[$1] ?? 0) }
            }
            defer {
                state.lastTime = now
                state.lastScopeSeconds = scopeSeconds ?? state.lastScopeSeconds
                state.lastBusy = packageBusy
            }
            let elapsed = state.lastTime.map { now - $0 } ?? 0
            let scopeBusy = max(0, (scopeSeconds ?? 0) - (state.lastScopeSeconds ?? scopeSeconds ?? 0))
            let heldTotal = state.heldCPUs.values.reduce(0, +)
            var out: [DeviceReading] = []
            out.reserveCapacity(readings.count)
            var countedPackages = Set<Int>()
            for (index, reading) in readings.enumerated() {
                guard index < state.attributed.count, case .cumulativeJoules(let joules) = reading else {
                    out.append(reading)
                    continue
                }
                defer { state.lastJoules[index] = joules }
                guard let last = state.lastJoules[index], elapsed > 0,
                    let package = state.devicePackage[index], let cpus = state.packageCPUs[package]
                else {
                    out.append(.cumulativeJoules(state.attributed[index]))
                    continue
                }
                let used = max(0, joules - last)
                let busyNow = max(0, (packageBusy[package] ?? 0) - (state.lastBusy[package] ?? 0))
                if elapsed >= 0.05 {
                    state.fits[index].add(busyCPUs: busyNow / elapsed, watts: used / elapsed)
                }
                // With no busy CPU time on the package, everything it drew was idle power.
                let idle = busyNow > 0 ? min(used, (state.fits[index].idleWatts ?? 0) * elapsed) : used
                let held = state.heldCPUs[package] ?? 0
                let scopeOnPackage = heldTotal > 0 ? scopeBusy * held / heldTotal : 0
                let busyShare = busyNow > 0 ? min(1, scopeOnPackage / busyNow) : 0
                let heldShare = held / Double(max(1, cpus.count))
                let charged = idle * heldShare + (used - idle) * busyShare
                state.attributed[index] += charged
                state.chargedJoules += charged
                state.byTimeJoules += used * (busyNow > 0 ? busyShare : heldShare)
                state.byHeldJoules += used * heldShare
                if countedPackages.insert(package).inserted {
                    state.scopeBusyTotal += min(scopeOnPackage, busyNow)
                    state.packageBusyTotal += busyNow
                }
                out.append(.cumulativeJoules(state.attributed[index]))
            }
            return out
        }
    }

    /// The wrapped counter's model, with the spread between charging all the energy by the share of busy
    /// CPU time and charging it all by the share of CPUs held, over the run so far.
    /// - Returns: The model.
    package func errorModel() -> PowerErrorModel {
        var model = inner.errorModel()
        model.attributionFactors = state.withLock { state in
            guard state.chargedJoules > 0 else { return 1...1 }
            let low = min(state.byTimeJoules, state.byHeldJoules, state.chargedJoules) / state.chargedJoules
            let high = max(state.byTimeJoules, state.byHeldJoules, state.chargedJoules) / state.chargedJoules
            return low...high
        }
        return model
    }

    /// Each device's idle power as estimated so far, in watts (`nil` before two readings).
    package var idleWattsEstimates: [Double?] { state.withLock { $0.fits.map(\.idleWatts) } }

    /// `scope: job 4242, 8 of 64 CPUs, 11% of busy CPU time` (the busy share over the run so far).
    package func attributionNote() -> String? {
        let share = state.withLock { $0.packageBusyTotal > 0 ? $0.scopeBusyTotal / $0.packageBusyTotal : 0 }
        return scope.shareDescription + ", \(Int((share * 100).rounded()))% of busy CPU time"
    }

    /// How the energy is charged, with each device's estimated idle power so far.
    package func provenanceNote() -> String? {
        let devices = inner.devices()
        let idle = state.withLock { state in state.fits.map(\.idleWatts) }
        let estimates = zip(devices, idle).map { device, watts in
            "\(device) \(watts.map { LogNumber.python(($0 * 100).rounded() / 100) + " W" } ?? "not yet estimated")"
        }
        let base = inner.provenanceNote().map { $0 + " " } ?? ""
        return base + "CPU energy is charged to \(scope.label), which holds \(scope.cpuCount) of "
            + "\(scope.machineCPUCount) CPUs: idle power by its share of each package's CPUs, the rest by its "
            + "share of the package's busy CPU time. Idle power estimated from the readings: "
            + estimates.joined(separator: ", ") + "."
    }

    /// Package number → CPUs, from sysfs topology; one package of every online CPU when it is missing.
    private func packageTopology() -> [Int: [Int]] {
        let online = ScopeResolver(files: files, environment: [:]).onlineCPUs()
        var packages: [Int: [Int]] = [:]
        for cpu in online {
            let text = KernelPaths.packageID(of: cpu).flatMap { files.read($0, limit: 64) }
            let package = text.flatMap { Int($0.trimmingCharacters(in: .whitespacesAndNewlines)) } ?? 0
            packages[package, default: []].append(cpu)
        }
        return packages
    }
}
