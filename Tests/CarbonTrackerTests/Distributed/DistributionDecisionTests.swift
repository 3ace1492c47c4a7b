import Foundation
import Testing

@testable import CarbonTracker
@testable import CarbonTrackerMonitor
@testable import CarbonTrackerSources

/// The pure decision: who should measure each device, and the rule that says so.
struct DistributionDecisionTests {
    static func role(localRank: Int?, of localWorldSize: Int? = 2, rank: Int? = nil) -> DistributedRole {
        DistributedRole(
            launcher: "slurm", jobID: "7", jobSource: "slurm", step: "0", nodeName: "node1",
            rank: rank ?? localRank,
            localRank: localRank, worldSize: 4, localWorldSize: localWorldSize, processID: 100)
    }

    static func inventory(count: Int, selected: [Int]? = nil, set: Bool = false, byProcess: Bool = false)
        -> GPUInventory
    {
        GPUInventory(
            gpus: (0..<count).map { .init(index: $0, uuid: "GPU-\($0)", name: "A100") },
            selected: selected ?? Array(0..<count), cudaVisibleDevicesSet: set, byProcess: byProcess)
    }

    static func owners(_ decision: DistributionDecision) -> [DistributionDecision.Owner] {
        decision.sources.flatMap { $0.claims.map(\.owner) }
    }

    @Test func nodeSharedSourcesGoToLocalRankZeroOrTheElectedProcess() {
        let cpu = DistributionDecision.Source.nodeShared(kind: .cpu, devices: ["cpu:0", "dram:0"])
        let zero = DistributionDecision.decide(role: Self.role(localRank: 0), sources: [cpu])
        #expect(Self.owners(zero) == [.thisProcess, .thisProcess])
        #expect(zero.sources[0].claims.map(\.id) == ["node1/cpu/cpu:0", "node1/cpu/dram:0"])
        #expect(zero.sources[0].claims.allSatisfy { $0.lock == .node })
        #expect(zero.sources[0].claims[0].rule == "local rank 0 measures the node-shared sources")
        let one = DistributionDecision.decide(role: Self.role(localRank: 1), sources: [cpu])
        #expect(Self.owners(one) == [.localRank(0), .localRank(0)])
        let unknown = DistributionDecision.decide(role: Self.role(localRank: nil), sources: [cpu])
        #expect(Self.owners(unknown) == [.nodeMeasurer, .nodeMeasurer])
        #expect(unknown.sources[0].claims[0].rule.hasPrefix("ranks unknown"))
    }

    @Test func aDeclaredGPUBelongsToItsRankWithAnIDOfItsOwn() {
        let gpu = DistributionDecision.Source.declared(kind: .gpu, devices: ["Sim GPU"])
        let decision = DistributionDecision.decide(role: Self.role(localRank: 1, rank: 3), sources: [gpu])
        #expect(Self.owners(decision) == [.thisProcess])
        #expect(decision.sources[0].claims[0].id == "node1/rank 3/gpu/Sim GPU")
        #expect(decision.sources[0].claims[0].lock == .none)
    }

    @Test func whenEveryRankSeesEveryGPULocalRankIUsesGPUIAndTheRestGoToTheNodeMeasurer() {
        let source = DistributionDecision.Source.nvml(Self.inventory(count: 4))
        let one = DistributionDecision.decide(role: Self.role(localRank: 1, of: 2), sources: [source])
        #expect(Self.owners(one) == [.localRank(0), .thisProcess, .nodeMeasurer, .nodeMeasurer])
        #expect(one.sources[0].claims[1].rule == "every rank sees every GPU: LOCAL_RANK 1 uses visible GPU 1")
        #expect(
            one.sources[0].claims.map(\.lock) == [.gpu("GPU-0"), .gpu("GPU-1"), .gpu("GPU-2"), .gpu("GPU-3")])
        #expect(one.sources[0].claims[2].id == "node1/gpu/GPU-2")
        let zero = DistributionDecision.decide(role: Self.role(localRank: 0, of: 2), sources: [source])
        #expect(Self.owners(zero) == [.thisProcess, .localRank(1), .nodeMeasurer, .nodeMeasurer])
    }

    @Test func cudaVisibleDevicesBindingASubsetMakesThoseGPUsThisRanks() {
        let bound = DistributionDecision.Source.nvml(Self.inventory(count: 4, selected: [2, 3], set: true))
        let decision = DistributionDecision.decide(role: Self.role(localRank: 1), sources: [bound])
        #expect(Self.owners(decision) == [.thisProcess, .thisProcess])
        #expect(decision.sources[0].claims.map(\.uuid) == ["GPU-2", "GPU-3"])
        #expect(decision.sources[0].claims[0].rule == "CUDA_VISIBLE_DEVICES binds it to this process")
        // Listing every GPU is no binding: every rank sees every GPU.
        let all = DistributionDecision.Source.nvml(Self.inventory(count: 2, selected: [1, 0], set: true))
        let shared = DistributionDecision.decide(role: Self.role(localRank: 0), sources: [all])
        #expect(Self.owners(shared) == [.thisProcess, .localRank(1)])
        #expect(shared.sources[0].claims.map(\.uuid) == ["GPU-1", "GPU-0"])  // CUDA's order
    }

    @Test func devicesByPIDTheOnlyRankAndUnknownRanks() {
        let byPID = DistributionDecision.Source.nvml(Self.inventory(count: 4, selected: [3], byProcess: true))
        let pid = DistributionDecision.decide(role: Self.role(localRank: 2, of: 4), sources: [byPID])
        #expect(Self.owners(pid) == [.thisProcess])
        #expect(pid.sources[0].claims[0].rule.hasPrefix("devicesByPID"))
        let all = DistributionDecision.Source.nvml(Self.inventory(count: 2))
        let alone = DistributionDecision.decide(role: Self.role(localRank: 0, of: 1), sources: [all])
        #expect(Self.owners(alone) == [.thisProcess, .thisProcess])
        let unknown = DistributionDecision.decide(role: Self.role(localRank: nil, of: nil), sources: [all])
        #expect(Self.owners(unknown) == [.nodeMeasurer, .nodeMeasurer])
    }

    @Test func logLinesReadBackAsWritten() throws {
        let role = DistributedRole(
            launcher: "slurm+torchrun", jobID: "4711", jobSource: "slurm", step: "0", nodeName: "node1",
            rank: 2,
            localRank: 0, worldSize: 4, localWorldSize: 2, nodeRank: 1, processID: 812)
        let run = try #require(
            DistributedLogLines.parseRun(
                String(DistributedLogLines.run(role).dropFirst(DistributedLogLines.runPrefix.count))))
        #expect(run.jobID == "4711" && run.jobSource == "slurm" && run.step == "0" && run.nodeName == "node1")
        #expect(run.rank == 2 && run.worldSize == 4 && run.localRank == 0 && run.localWorldSize == 2)
        #expect(run.nodeRank == 1 && run.launcher == "slurm+torchrun" && run.processID == 812)
        let unknown = DistributedRole(
            launcher: "settings", jobID: "x", jobSource: "settings", step: "0", nodeName: "h", processID: 1)
        let line = DistributedLogLines.run(unknown)
        #expect(
            line
                == "Distributed run: job x (settings), step 0, node h, rank ? of ?, local rank ? of ?, launcher settings, pid 1"
        )
        let parsed = try #require(
            DistributedLogLines.parseRun(String(line.dropFirst(DistributedLogLines.runPrefix.count))))
        #expect(parsed.rank == nil && parsed.localWorldSize == nil)

        let leave = DistributedLogLines.leave(
            kind: .cpu, device: "Intel(R) Xeon(R) @ 2.2GHz", id: "node1/cpu/Intel(R) Xeon(R) @ 2.2GHz",
            to: "local rank 0", rule: "local rank 0 measures the node-shared sources")
        let device = try #require(
            DistributedLogLines.parseDevice(String(leave.dropFirst(DistributedLogLines.leavePrefix.count))))
        #expect(device.kind == "cpu" && device.device == "Intel(R) Xeon(R) @ 2.2GHz")
        #expect(device.id == "node1/cpu/Intel(R) Xeon(R) @ 2.2GHz")
        #expect(device.detail == "to local rank 0; rule: local rank 0 measures the node-shared sources")
    }
}
