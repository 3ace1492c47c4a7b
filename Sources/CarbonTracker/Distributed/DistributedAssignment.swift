import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// What this process measures in a distributed job, with the locks that make each device's
/// measurement exclusive.
///
/// ```swift
/// let assignment = DistributedAssignment.make(
///     components: chosen, role: role, environment: options.environment, settings: options.distributed,
///     devicesByPID: configuration.devicesByPID)
/// assignment.logLines.forEach(log.info)          // after Python's opening lines
/// start(assignment.measured)                      // measure only these
/// // about once a second, for each source still left to another process:
/// if let takeOver = assignment.deferred[i].tryTakeOver() { start(takeOver.component); takeOver.notes.forEach(log.info) }
/// ```
///
/// For a single process (no launcher detected) ``measured`` is `components` unchanged, nothing is
/// deferred and no line is logged. Otherwise ``DistributionDecision`` names each device's owner; this
/// type then tries the locks (`flock` in a node-local directory): the node lock for the node-shared
/// sources, one lock per GPU UUID. A measured source comes back wrapped so that its locks are released
/// when the tracker shuts it down (or the process dies: the kernel drops them). Costs one `open` +
/// `flock` per lock (microseconds) and, when NVML was chosen, one NVML inventory (milliseconds).
final class DistributedAssignment: Sendable {
    /// The detected role; `nil` for a single process.
    let role: DistributedRole?
    /// The sources to measure from the start.
    let measured: [any PowerComponent]
    /// Sources left to another process, which this one may take over later.
    let deferred: [DeferredSource]
    /// Lines for the standard log, after Python's opening lines.
    let logLines: [String]

    private init(
        role: DistributedRole?, measured: [any PowerComponent], deferred: [DeferredSource], logLines: [String]
    ) {
        self.role = role
        self.measured = measured
        self.deferred = deferred
        self.logLines = logLines
    }

    /// Decides what this process measures and takes the locks for it.
    /// - Parameters:
    ///   - components: The sources the tracker chose (one per kind), not yet started.
    ///   - role: This process's role in its job, detected once at start; `nil` outside a job.
    ///   - environment: The launcher's variables, `CUDA_VISIBLE_DEVICES`, `CARBONTRACKER_LOCK_DIR`, ...
    ///   - settings: Overrides of the detected role.
    ///   - devicesByPID: Whether GPUs are chosen by the processes running on them.
    /// - Returns: The assignment; never fails (a lock that cannot be used is said in the rule).
    static func make(
        components: [any PowerComponent], role: DistributedRole?, environment: [String: String],
        settings: DistributedSettings, devicesByPID: Bool
    ) -> DistributedAssignment {
        guard let role else {
            return DistributedAssignment(role: nil, measured: components, deferred: [], logLines: [])
        }
        let sources = components.map { source(for: $0, environment: environment, devicesByPID: devicesByPID) }
        let decision = DistributionDecision.decide(role: role, sources: sources)
        let locks = DistributedLocks(
            role: role, directory: lockDirectory(settings, environment),
            graceSeconds: settings.takeOverGraceSeconds)
        return apply(decision, components: components, locks: locks, environment: environment)
    }

    /// The directory for lock files: the settings', else `CARBONTRACKER_LOCK_DIR`, else
    /// `/tmp/carbontracker-<uid>` (not `$TMPDIR`, which a launcher may set per task).
    static func lockDirectory(_ settings: DistributedSettings, _ environment: [String: String]) -> String {
        settings.lockDirectory ?? environment["CARBONTRACKER_LOCK_DIR"].flatMap { $0.isEmpty ? nil : $0 }
            ?? "/tmp/carbontracker-\(getuid())"
    }

    private static func source(
        for component: any PowerComponent, environment: [String: String], devicesByPID: Bool
    ) -> DistributionDecision.Source {
        if component is NVMLComponent {
            switch GPUInventory.load(environment: environment, devicesByPID: devicesByPID) {
            case .success(let inventory): return .nvml(inventory)
            case .failure:
                // Without UUIDs no GPU can be told apart: the node's measuring process takes them all.
                return .nodeShared(kind: .gpu, devices: ["every GPU NVML shows"])
            }
        }
        // Apple silicon's GPU is part of the one chip of the node, whichever source reads it.
        if component.kind == .cpu || component is AppleSiliconComponent || component is AppleEnergyComponent {
            return .nodeShared(kind: component.kind, devices: component.devices())
        }
        return .declared(kind: component.kind, devices: component.devices())
    }

    // MARK: Applying the decision

    private static func apply(
        _ decision: DistributionDecision, components: [any PowerComponent], locks: DistributedLocks,
        environment: [String: String]
    ) -> DistributedAssignment {
        let role = decision.role
        var lines = [DistributedLogLines.run(role)]
        var leaveLines: [String] = []
        var measured: [any PowerComponent] = []
        var deferred: [DeferredSource] = []

        let needsNodeLock = decision.sources.contains { plan in
            plan.claims.contains { $0.lock == .node || $0.owner == .nodeMeasurer }
        }
        if needsNodeLock && (role.localRank ?? 0) == 0 { locks.tryNode() }

        for (plan, component) in zip(decision.sources, components) {
            var mine: [DistributionDecision.Claim] = []
            var leases: [LockLease] = []
            var left: [(claim: DistributionDecision.Claim, owner: String)] = []
            for claim in plan.claims {
                switch locks.claim(claim) {
                case .measure(let lease, let note):
                    mine.append(claim)
                    if let lease {
                        // One hold per lease for the component; a second device under the same lock gives its back.
                        if leases.contains(where: { $0 === lease }) {
                            lease.drop()
                        } else {
                            leases.append(lease)
                        }
                    }
                    lines.append(
                        DistributedLogLines.measure(
                            kind: plan.kind, device: claim.device, id: claim.id, rule: claim.rule + note))
                case .leave(let owner, let note):
                    left.append((claim, owner))
                    leaveLines.append(
                        DistributedLogLines.leave(
                            kind: plan.kind, device: claim.device, id: claim.id, to: owner,
                            rule: claim.rule + note))
                }
            }
            // Devices under one lock are taken over together: the node-shared source whole, each GPU alone.
            var groups:
                [(lock: DistributionDecision.LockKey, claims: [DistributionDecision.Claim], owner: String)] =
                    []
            for (claim, owner) in left {
                if let index = groups.firstIndex(where: { $0.lock == claim.lock && claim.lock != .none }) {
                    groups[index].claims.append(claim)
                } else {
                    groups.append((claim.lock, [claim], owner))
                }
            }
            for group in groups {
                deferred.append(
                    DeferredSource(
                        kind: plan.kind, claims: group.claims, leftTo: group.owner, locks: locks,
                        component: takeOverComponent(plan, group.claims, component, environment)))
            }
            guard !mine.isEmpty else { continue }
            let base: any PowerComponent
            if case .nvml = plan.source {
                base = nvmlComponent(uuids: mine.compactMap(\.uuid), environment)
            } else {
                base = component
            }
            measured.append(leases.isEmpty ? base : LockedComponent(base, leases: leases))
        }
        locks.releaseUnusedNodeLease()
        return DistributedAssignment(
            role: role, measured: measured, deferred: deferred, logLines: lines + leaveLines)
    }

    /// The component that measures `claim` if this process takes it over.
    private static func takeOverComponent(
        _ plan: DistributionDecision.SourcePlan, _ claims: [DistributionDecision.Claim],
        _ component: any PowerComponent,
        _ environment: [String: String]
    ) -> any PowerComponent {
        if case .nvml = plan.source { return nvmlComponent(uuids: claims.compactMap(\.uuid), environment) }
        return component
    }

    /// An NVML source restricted to `uuids` the way CUDA restricts a process: through `CUDA_VISIBLE_DEVICES`.
    private static func nvmlComponent(uuids: [String], _ environment: [String: String]) -> NVMLComponent {
        var restricted = environment
        restricted["CUDA_VISIBLE_DEVICES"] = uuids.joined(separator: ",")
        return NVMLComponent(environment: restricted, devicesByPID: false)
    }
}

/// A source left to another process, which this one may take over when that process ends.
///
/// ```swift
/// if let takeOver = source.tryTakeOver() { start(takeOver.component); takeOver.notes.forEach(log.info) }
/// ```
///
/// How the roles and the locks combine so that exactly one process measures a source: the owner the
/// decision names (local rank 0 for node-shared sources) tries the lock first at start-up; every other
/// process only ever tries it through ``tryTakeOver()``. While the owner lives it holds the lock, so
/// every try fails (`flock` with `LOCK_NB`, microseconds). When it dies the kernel drops its lock, and
/// the first try after that wins: exactly one process, about one call interval later. A lock whose
/// file holds no record was never taken: its designated owner has not started, so tries wait
/// ``DistributedSettings/takeOverGraceSeconds`` for it before taking it. GPUs left to another rank are
/// taken over only by the process that holds the node lock.
final class DeferredSource: DeferredPowerSource {
    /// The component kind.
    let kind: ComponentKind
    /// The devices' names.
    let devices: [String]
    /// Who was to measure them, as logged.
    let leftTo: String
    private let claims: [DistributionDecision.Claim]
    private let lock: DistributionDecision.LockKey
    private let designatedToUs: Bool
    private let locks: DistributedLocks
    private let component: any PowerComponent
    private let state = LockedBox(State())

    private struct State {
        var taken = false
        var lastSeenHeld: ContinuousClock.Instant?
        var lastHolder: HolderRecord?
    }

    init(
        kind: ComponentKind, claims: [DistributionDecision.Claim], leftTo: String, locks: DistributedLocks,
        component: any PowerComponent
    ) {
        self.kind = kind
        self.devices = claims.map(\.device)
        self.claims = claims
        self.lock = claims.first?.lock ?? .none
        self.designatedToUs = claims.contains { $0.owner == .thisProcess }
        self.leftTo = leftTo
        self.locks = locks
        self.component = component
    }

    /// Whether this process has taken the source over.
    var isTaken: Bool { state.withLock { $0.taken } }

    /// Takes the source over if the process measuring it has ended; never waits.
    ///
    /// Costs one `open` + `flock` (+ `pread` of the holder record): a few microseconds. Call it about
    /// once a second; after it returned a take-over it returns `nil`.
    /// - Returns: The component to start measuring now and the lines that record the take-over and
    ///   its gap, or `nil` while the source is measured elsewhere (or still waits for its owner).
    func tryTakeOver() -> SourceTakeOver? {
        state.withLock { state -> SourceTakeOver? in
            guard !state.taken else { return nil }
            let now = ContinuousClock.now
            // A GPU meant for another rank is taken over only by the node's measuring process.
            if case .gpu = lock, !designatedToUs, !locks.holdsNode { return nil }
            if state.lastSeenHeld == nil && !locks.graceElapsed(now)
                && NodeLock.record(at: locks.path(lock)) == nil
            {
                return nil
            }
            switch locks.acquire(lock) {
            case .busy(let holder):
                state.lastSeenHeld = now
                state.lastHolder = holder ?? state.lastHolder
                return nil
            case .failed:
                return nil
            case .acquired(let lease, let previous):
                state.taken = true
                let who = (previous ?? state.lastHolder)?.who ?? leftTo
                let gap: String
                if let seen = state.lastSeenHeld {
                    let seconds = (now - seen) / .seconds(1)
                    gap =
                        "not measured between the last record \(who) logged and now; its lock was last seen held "
                        + "\(String(format: "%.1f", seconds)) s ago"
                } else if previous != nil {
                    gap = "not measured between the last record \(who) logged and now"
                } else {
                    gap =
                        "not measured from the job's start until now: its owner did not start within "
                        + "\(LogNumber.seconds(locks.graceSeconds)) s"
                }
                let lines = claims.map { claim in
                    DistributedLogLines.takeOver(
                        kind: kind, device: claim.device, id: claim.id, from: who, gap: gap)
                }
                return SourceTakeOver(component: LockedComponent(component, leases: [lease]), notes: lines)
            }
        }
    }
}
