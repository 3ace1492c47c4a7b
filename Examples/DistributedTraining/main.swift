// Data-parallel training in every rank of a distributed job, each rank under its own CarbonTracker.
// Each rank trains a logistic-regression model on its own shard for a fixed time per epoch; the
// trackers find out from the launcher (Slurm, torchrun, mpirun) which rank measures what, so the
// job's total counts every CPU and GPU once. Add the ranks' logs up with `carbontracker --parse DIR`.
//
//   srun -N2 --ntasks-per-node=2 DistributedTraining --log-dir logs --sim-cpu-tdp 100 --sim-gpu-watts 300
//   torchrun --nproc-per-node=4 --no-python DistributedTraining --log-dir logs
import CarbonTracker
import Foundation

struct Arguments {
    var epochs = 3
    var epochSeconds = 1.0
    var logDir = "logs"
    var simCPUTDP: Double?
    var simGPUWatts: Double?

    /// Reads `--name value` pairs; every option takes a value.
    init(_ arguments: [String]) throws {
        guard arguments.count % 2 == 0 else {
            throw CarbonTrackerError(.invalidConfiguration, "\(arguments.last ?? "") needs a value")
        }
        for index in stride(from: 0, to: arguments.count, by: 2) {
            let (name, text) = (arguments[index], arguments[index + 1])
            if name == "--log-dir" {
                logDir = text
                continue
            }
            guard let value = Double(text), value.isFinite, value > 0 else {
                throw CarbonTrackerError(
                    .invalidConfiguration,
                    "\(name) needs a positive number; options: --epochs N, --epoch-seconds S, --log-dir DIR, "
                        + "--sim-cpu-tdp W, --sim-gpu-watts W")
            }
            switch name {
            case "--epochs": epochs = Int(value)
            case "--epoch-seconds": epochSeconds = value
            case "--sim-cpu-tdp": simCPUTDP = value
            case "--sim-gpu-watts": simGPUWatts = value
            default: throw CarbonTrackerError(.invalidConfiguration, "unknown option \(name)")
            }
        }
        guard epochs >= 1 else {
            throw CarbonTrackerError(.invalidConfiguration, "--epochs must be at least 1")
        }
    }
}

/// A logistic-regression model on one rank's shard of generated data.
struct Shard {
    var features: [[Double]] = []
    var labels: [Double] = []
    var weights = [Double](repeating: 0, count: 16)
    var state: UInt64

    init(rank: Int) {
        state = 0x5EED &+ UInt64(rank)
        for index in 0..<2_000 {
            let label = Double(index % 2)
            features.append((0..<16).map { _ in (label == 1 ? 0.2 : -0.2) + uniform() - 0.5 })
            labels.append(label)
        }
    }

    mutating func uniform() -> Double {
        state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
        return Double(state >> 11) / Double(1 << 53)
    }

    /// Passes over the shard until `seconds` have gone by; returns the last pass's mean log-loss.
    mutating func train(forSeconds seconds: Double) -> Double {
        let deadline = Date(timeIntervalSinceNow: seconds)
        var loss = 0.0
        repeat {
            loss = 0
            for (x, y) in zip(features, labels) {
                var z = 0.0
                for (w, v) in zip(weights, x) { z += w * v }
                let p = 1 / (1 + exp(-z))
                loss -= y * log(max(p, 1e-12)) + (1 - y) * log(max(1 - p, 1e-12))
                for index in weights.indices { weights[index] -= 0.01 * (p - y) * x[index] }
            }
            // A rank would wait for its peers' gradients here; sleeping keeps the 2-core test machine usable.
            Thread.sleep(forTimeInterval: 0.05)
        } while Date() < deadline
        return loss / Double(labels.count)
    }
}

do {
    let arguments = try Arguments(Array(CommandLine.arguments.dropFirst()))
    let environment = ProcessInfo.processInfo.environment
    let role = DistributedRole.detect(environment: environment)
    print("DistributedTraining: \(DistributedRole.describe(environment: environment))")
    let tracker = try CarbonTracker(
        epochs: arguments.epochs, epochsBeforePred: 0, updateInterval: 0.2, logDir: arguments.logDir,
        simCPU: arguments.simCPUTDP.map { _ in "Simulated CPU" }, simCPUTDP: arguments.simCPUTDP,
        simGPU: arguments.simGPUWatts.map { _ in "Simulated GPU" }, simGPUWatts: arguments.simGPUWatts)
    var shard = Shard(rank: role?.rank ?? 0)
    for epoch in 1...arguments.epochs {
        try tracker.epochStart()
        let loss = shard.train(forSeconds: arguments.epochSeconds)
        try tracker.epochEnd()
        print(
            "rank \(role?.rank.map(String.init) ?? "?") epoch \(epoch): loss \(String(format: "%.4f", loss))")
    }
    try tracker.stop()
} catch {
    FileHandle.standardError.write(Data("DistributedTraining: \(error)\n".utf8))
    exit(1)
}
