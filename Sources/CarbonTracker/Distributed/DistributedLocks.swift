import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The lock files of one tracker in a distributed job: where they are, which this process holds,
/// and what a claim becomes once its lock was tried.
///
/// Files are named after the job, step and node (`slurm-4711.0.node1.node.lock`,
/// `slurm-4711.0.node1.gpu-GPU-8f2a....lock`), so jobs never share a lock, nor do nodes that share
/// a `/tmp` by mistake. A lock this process holds is shared by every source it covers (a
/// ``LockLease`` counts them) and released when the last of them shuts down.
final class DistributedLocks: Sendable {
    let role: DistributedRole
    let directory: String
    let graceSeconds: Double
    private let started = ContinuousClock.now
    private let held = LockedBox<[DistributionDecision.LockKey: LockLease]>([:])
    /// Why the lock directory cannot be used, when it cannot.
    private let directoryProblem: String?
    /// The hold the start-up decision keeps on the node lock until every claim was tried.
    private let startHold = LockedBox<LockLease?>(nil)
    /// What the start-up attempt on the node lock gave, when one was made.
    private let nodeAttempt = LockedBox<Acquisition?>(nil)

    init(role: DistributedRole, directory: String, graceSeconds: Double) {
        self.role = role
        self.directory = directory
        self.graceSeconds = graceSeconds
        var problem: String?
        if mkdir(directory, 0o700) != 0 && errno != EEXIST {
            problem = "cannot create the lock directory '\(directory)': \(String(cString: strerror(errno)))"
        }
        self.directoryProblem = problem
    }

    /// The file of the lock `key`.
    func path(_ key: DistributionDecision.LockKey) -> String {
        let base = [role.jobSource + "-" + role.jobID, role.step, role.nodeName].map(Self.safe).joined(
            separator: ".")
        switch key {
        case .node, .none: return "\(directory)/\(base).node.lock"
        case .gpu(let uuid): return "\(directory)/\(base).gpu-\(Self.safe(uuid)).lock"
        }
    }

    private static func safe(_ text: String) -> String {
        String(text.map { $0.isASCII && ($0.isLetter || $0.isNumber || "-_@+".contains($0)) ? $0 : "_" })
    }

    /// Whether this process holds the node lock now.
    var holdsNode: Bool { held.withLock { $0[.node]?.isHeld ?? false } }

    /// Whether the grace period for owners that never started has passed.
    func graceElapsed(_ now: ContinuousClock.Instant) -> Bool { now - started >= .seconds(graceSeconds) }

    /// What one attempt on a lock gave.
    enum Acquisition: Sendable {
        /// Held now, with one hold for the caller; the record of the previous holder, if any.
        case acquired(LockLease, previous: HolderRecord?)
        /// Held by another process, or another tracker of this one.
        case busy(HolderRecord?)
        /// Not usable: why.
        case failed(String)
    }

    /// Tries `key` once without waiting; a lock this process already holds gets one more hold.
    func acquire(_ key: DistributionDecision.LockKey) -> Acquisition {
        if let problem = directoryProblem { return .failed(problem) }
        return held.withLock { held in
            if let lease = held[key], lease.retainIfHeld() { return .acquired(lease, previous: nil) }
            switch NodeLock.tryAcquire(path: path(key), holder: HolderRecord(role: role)) {
            case .acquired(let lock, let previous):
                let lease = LockLease(lock)
                held[key] = lease
                return .acquired(lease, previous: previous)
            case .busy(let holder): return .busy(holder)
            case .failed(let reason): return .failed(reason)
            }
        }
    }

    /// The start-up attempt on the node lock, by the process meant to measure the node.
    func tryNode() {
        let attempt = acquire(.node)
        if case .acquired(let lease, _) = attempt { startHold.withLock { $0 = lease } }
        nodeAttempt.withLock { $0 = attempt }
    }

    /// Drops the start-up hold on the node lock: released now unless a measured source kept it.
    func releaseUnusedNodeLease() {
        startHold.withLock { hold in
            hold?.drop()
            hold = nil
        }
    }

    /// What a claim becomes once its lock was tried.
    package enum Outcome: Sendable {
        /// Measure it; the lease (with one hold for the caller) when a lock was taken, and a note for the rule.
        case measure(LockLease?, note: String)
        /// Leave it to `owner`; a note for the rule.
        case leave(owner: String, note: String)
    }

    /// Tries the lock of `claim` when this process is to measure it.
    func claim(_ claim: DistributionDecision.Claim) -> Outcome {
        switch (claim.owner, claim.lock) {
        case (_, .none):
            return .measure(nil, note: "")
        case (.localRank(let rank), _):
            return .leave(owner: "local rank \(rank)", note: "")
        case (.nodeMeasurer, .gpu), (.thisProcess, .gpu):
            if claim.owner == .nodeMeasurer && !holdsNode { return leaveToNodeMeasurer() }
            return take(claim.lock)
        case (.thisProcess, .node), (.nodeMeasurer, .node):
            switch nodeAttempt.withLock({ $0 }) {
            case .acquired?:
                return take(.node)
            case .busy(let holder)?:
                return .leave(
                    owner: holder?.who ?? "the node's measuring process", note: "; the node lock is held")
            case .failed(let reason)?:
                return .measure(
                    nil, note: " (without a lock: \(reason); a second measuring process is not excluded)")
            case nil:
                return leaveToNodeMeasurer()
            }
        }
    }

    private func take(_ key: DistributionDecision.LockKey) -> Outcome {
        switch acquire(key) {
        case .acquired(let lease, _):
            return .measure(lease, note: "")
        case .busy(let holder):
            let who = holder.map {
                $0.processID == role.processID ? "another tracker in this process" : $0.who
            }
            return .leave(owner: who ?? "another process", note: "; its lock is held")
        case .failed(let reason):
            return .measure(
                nil, note: " (without a lock: \(reason); a second measuring process is not excluded)")
        }
    }

    private func leaveToNodeMeasurer() -> Outcome {
        if case .failed(let reason)? = nodeAttempt.withLock({ $0 }) {
            return .measure(
                nil, note: " (without a lock: \(reason); a second measuring process is not excluded)")
        }
        let holder = NodeLock.record(at: path(.node)).map { " (\($0.who))" } ?? ""
        return .leave(owner: "the node's measuring process" + holder, note: "")
    }
}

/// One held lock shared by the sources it covers; released when the last hold is dropped.
final class LockLease: Sendable {
    private struct State {
        var lock: NodeLock?
        var holds = 1
    }

    private let state: LockedBox<State>

    /// Wraps a lock just acquired, with one hold for the caller.
    init(_ lock: NodeLock) { state = LockedBox(State(lock: lock)) }

    /// Whether the lock is still held.
    var isHeld: Bool { state.withLock { $0.lock != nil } }

    /// Adds a hold if the lock is still held.
    func retainIfHeld() -> Bool {
        state.withLock { state in
            guard state.lock != nil else { return false }
            state.holds += 1
            return true
        }
    }

    /// Drops one hold; the last one releases the lock.
    func drop() {
        let lock = state.withLock { state -> NodeLock? in
            state.holds -= 1
            guard state.holds <= 0, let lock = state.lock else { return nil }
            state.lock = nil
            return lock
        }
        lock?.release()
    }
}
