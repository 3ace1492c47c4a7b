/// Which process of a distributed job should measure each device a tracker chose, and why: a pure
/// function of the role and the devices, before any lock is tried.
///
/// ```swift
/// let decision = DistributionDecision.decide(role: role, sources: [.nodeShared(kind: .cpu, devices: ["Xeon"])])
/// decision.sources[0].claims[0].owner   // .thisProcess when role.localRank == 0
/// ```
///
/// The rules (each claim names the one that decided it):
/// - Node-shared sources (CPU package and DRAM, the TDP estimate, Apple silicon, a simulated CPU):
///   local rank 0; with ranks unknown, whichever process wins the node lock.
/// - NVML GPUs: with `devicesByPID`, the process running on them; with `CUDA_VISIBLE_DEVICES` binding a
///   subset of the node's GPUs, that process; when every rank sees every GPU, local rank *i* takes the
///   *i*-th visible GPU and GPUs beyond the local world size go to the node's measuring process; the
///   only rank on a node takes all; with ranks unknown, the node's measuring process takes all.
/// - Any other GPU source (a simulated GPU, a custom meter): the rank that declares it.
///
/// Costs nothing measurable: no system call.
struct DistributionDecision: Sendable, Equatable {
    /// What the decision needs to know about one chosen power source.
    enum Source: Sendable, Equatable {
        /// Measures the whole node (one per node): CPU, DRAM, SoC.
        case nodeShared(kind: ComponentKind, devices: [String])
        /// NVML GPUs, with the node's inventory.
        case nvml(GPUInventory)
        /// A source that belongs to the process that declares it (simulated GPU, custom GPU meter).
        case declared(kind: ComponentKind, devices: [String])
    }

    /// Which process should measure a device.
    enum Owner: Sendable, Equatable {
        /// This process (after taking the device's lock).
        case thisProcess
        /// Whichever process holds the node lock (local rank 0, or the elected one).
        case nodeMeasurer
        /// The process with this local rank.
        case localRank(Int)
    }

    /// Which lock makes a device's measurement exclusive.
    enum LockKey: Sendable, Equatable, Hashable {
        /// The node lock, shared by every node-shared source.
        case node
        /// One GPU's lock, by UUID.
        case gpu(String)
        /// No lock: only the declaring process can measure it.
        case none
    }

    /// One device's intended owner and the rule that decided it.
    struct Claim: Sendable, Equatable {
        /// The device's name as the source reports it.
        var device: String
        /// A job-wide identity of the device: `node1/cpu/Xeon`, `node1/gpu/GPU-8f2a...`.
        var id: String
        var lock: LockKey
        var owner: Owner
        var rule: String
        /// The GPU's UUID, for NVML claims.
        var uuid: String?
    }

    /// The claims of one chosen source, in its device order.
    struct SourcePlan: Sendable, Equatable {
        var kind: ComponentKind
        var source: Source
        var claims: [Claim]
    }

    var role: DistributedRole
    var sources: [SourcePlan]

    /// Decides every device of `sources` for `role`.
    static func decide(role: DistributedRole, sources: [Source]) -> DistributionDecision {
        DistributionDecision(role: role, sources: sources.map { plan($0, role) })
    }

    static let nodeSharedRuleLocalRankZero = "local rank 0 measures the node-shared sources"
    static let nodeSharedRuleElected =
        "ranks unknown: the process holding the node lock measures the node-shared sources"

    private static func plan(_ source: Source, _ role: DistributedRole) -> SourcePlan {
        switch source {
        case .nodeShared(let kind, let devices):
            let owner: Owner
            let rule: String
            switch role.localRank {
            case 0?:
                (owner, rule) = (.thisProcess, nodeSharedRuleLocalRankZero)
            case _?:
                (owner, rule) = (.localRank(0), nodeSharedRuleLocalRankZero)
            case nil:
                (owner, rule) = (.nodeMeasurer, nodeSharedRuleElected)
            }
            let claims = devices.map { device in
                Claim(
                    device: device, id: "\(role.nodeName)/\(kind.rawValue)/\(device)", lock: .node,
                    owner: owner,
                    rule: rule)
            }
            return SourcePlan(kind: kind, source: source, claims: claims)
        case .declared(let kind, let devices):
            let holder = role.rank.map { "rank \($0)" } ?? "pid \(role.processID)"
            let claims = devices.map { device in
                Claim(
                    device: device, id: "\(role.nodeName)/\(holder)/\(kind.rawValue)/\(device)", lock: .none,
                    owner: .thisProcess,
                    rule: "a \(kind.rawValue.uppercased()) source set up in this process belongs to it")
            }
            return SourcePlan(kind: kind, source: source, claims: claims)
        case .nvml(let inventory):
            return SourcePlan(kind: .gpu, source: source, claims: gpuClaims(inventory, role))
        }
    }

    private static func gpuClaims(_ inventory: GPUInventory, _ role: DistributedRole) -> [Claim] {
        func claim(_ position: Int, _ owner: Owner, _ rule: String) -> Claim {
            let gpu = inventory.gpus[inventory.selected[position]]
            return Claim(
                device: gpu.name, id: "\(role.nodeName)/gpu/\(gpu.uuid)", lock: .gpu(gpu.uuid), owner: owner,
                rule: rule, uuid: gpu.uuid)
        }
        let visible = inventory.selected.indices
        if inventory.byProcess {
            return visible.map {
                claim($0, .thisProcess, "devicesByPID: it runs this process or its children")
            }
        }
        if !inventory.seesEveryGPU {
            return visible.map {
                claim($0, .thisProcess, "CUDA_VISIBLE_DEVICES binds it to this process")
            }
        }
        if role.localWorldSize == 1 {
            return visible.map {
                claim($0, .thisProcess, "the only rank on its node measures every GPU it sees")
            }
        }
        guard let localRank = role.localRank else {
            return visible.map {
                claim(
                    $0, .nodeMeasurer, "ranks unknown: the process holding the node lock measures every GPU")
            }
        }
        let ranksOnNode = role.localWorldSize ?? Int.max
        return visible.map { position in
            if position >= ranksOnNode {
                return claim(
                    position, .nodeMeasurer,
                    "every rank sees every GPU and no LOCAL_RANK is \(position): the node's measuring process measures it"
                )
            }
            let rule = "every rank sees every GPU: LOCAL_RANK \(position) uses visible GPU \(position)"
            return claim(position, position == localRank ? .thisProcess : .localRank(position), rule)
        }
    }
}
