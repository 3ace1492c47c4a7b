// Trains a logistic-regression classifier by stochastic gradient descent on generated data, under a
// CarbonTracker, and prints the tracker's prediction and report.
//
//   swift run TrainingExample                 # real sensors if present, else simulated hardware
//   swift run TrainingExample --simulated     # always simulated hardware
//   swift run TrainingExample --epochs 8 --log-dir logs
import CarbonTracker
import Foundation

struct ExampleArguments {
    var epochs = 5
    var logDir = "logs"
    var simulated = false

    init(_ arguments: [String]) throws {
        var iterator = arguments.makeIterator()
        while let argument = iterator.next() {
            switch argument {
            case "--simulated": simulated = true
            case "--epochs":
                guard let value = iterator.next().flatMap(Int.init), value > 0 else {
                    throw CarbonTrackerError(.invalidConfiguration, "--epochs needs a positive whole number")
                }
                epochs = value
            case "--log-dir":
                guard let value = iterator.next() else {
                    throw CarbonTrackerError(.invalidConfiguration, "--log-dir needs a directory")
                }
                logDir = value
            default:
                throw CarbonTrackerError(
                    .invalidConfiguration,
                    "unknown argument \(argument); use --simulated, --epochs N, --log-dir DIR")
            }
        }
    }
}

/// Points in two Gaussian clusters, labelled 0 and 1.
struct Dataset {
    var features: [[Double]]
    var labels: [Double]

    init(count: Int, dimensions: Int, seed: UInt64) {
        var generator = SplitMix64(seed: seed)
        features = []
        labels = []
        for index in 0..<count {
            let label = Double(index % 2)
            let centre = label == 1 ? 0.15 : -0.15
            features.append((0..<dimensions).map { _ in centre + generator.nextGaussian() })
            labels.append(label)
        }
    }
}

/// A logistic-regression model trained one sample at a time.
struct LogisticRegression {
    var weights: [Double]
    var bias = 0.0

    init(dimensions: Int) { weights = Array(repeating: 0, count: dimensions) }

    func probability(_ x: [Double]) -> Double {
        var z = bias
        for (w, v) in zip(weights, x) { z += w * v }
        return 1 / (1 + exp(-z))
    }

    /// One pass over the data; returns the mean log-loss.
    mutating func trainEpoch(on data: Dataset, learningRate: Double) -> Double {
        var loss = 0.0
        for (x, y) in zip(data.features, data.labels) {
            let p = probability(x)
            loss -= y * log(max(p, 1e-12)) + (1 - y) * log(max(1 - p, 1e-12))
            let gradient = p - y
            for index in weights.indices { weights[index] -= learningRate * gradient * x[index] }
            bias -= learningRate * gradient
        }
        return loss / Double(data.labels.count)
    }

    func accuracy(on data: Dataset) -> Double {
        let correct = zip(data.features, data.labels).filter { (probability($0) >= 0.5 ? 1.0 : 0.0) == $1 }
            .count
        return Double(correct) / Double(data.labels.count)
    }
}

/// A small deterministic random generator, so every run trains on the same data.
struct SplitMix64 {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    mutating func nextUniform() -> Double { Double(next() >> 11) / Double(1 << 53) }
    mutating func nextGaussian() -> Double {
        let u = max(nextUniform(), 1e-300)
        return sqrt(-2 * log(u)) * cos(2 * .pi * nextUniform())
    }
}

func makeTracker(_ arguments: ExampleArguments) throws -> CarbonTracker {
    if !arguments.simulated {
        do {
            return try CarbonTracker(epochs: arguments.epochs, updateInterval: 0.1, logDir: arguments.logDir)
        } catch let error as CarbonTrackerError where error.code == .componentUnavailable {
            print("No power sensor found (\(error.message)); using simulated hardware instead.")
        }
    }
    return try CarbonTracker(
        epochs: arguments.epochs, updateInterval: 0.1, logDir: arguments.logDir,
        simCPU: "Simulated CPU", simCPUTDP: 65, simGPU: "Simulated GPU", simGPUWatts: 300)
}

do {
    let arguments = try ExampleArguments(Array(CommandLine.arguments.dropFirst()))
    let data = Dataset(count: 40_000, dimensions: 32, seed: 42)
    var model = LogisticRegression(dimensions: 32)
    let tracker = try makeTracker(arguments)
    for epoch in 1...arguments.epochs {
        try tracker.epochStart()
        let loss = model.trainEpoch(on: data, learningRate: 0.01)
        // The evaluation pass is also measured on its own: a window of the tracker's monitor, nested
        // in the epoch (the last epochEnd ends monitoring, so windows go before it).
        let (accuracy, evaluation) = try tracker.monitor.measure("evaluation \(epoch)") {
            model.accuracy(on: data)
        }
        try tracker.epochEnd()
        let joules = evaluation.components.reduce(0) { $0 + $1.joules.reduce(0, +) }
        print(
            "epoch \(epoch): loss \(String(format: "%.4f", loss)), accuracy \(String(format: "%.3f", accuracy)); "
                + "evaluation took \(String(format: "%.3f", evaluation.durationSeconds)) s and "
                + "\(String(format: "%.2f", joules)) J (\(String(format: "%.6f", evaluation.co2eqGrams)) g CO2eq)"
        )
    }
    try tracker.stop()
    if let actual = tracker.actualConsumption {
        print(
            "Measured \(String(format: "%.6f", actual.energyKilowattHours)) kWh and "
                + "\(String(format: "%.3f", actual.co2eqGrams)) g CO2eq over \(actual.epochs) epochs; "
                + "components: \(actual.components.map { "\($0.kind.rawValue) (\($0.method.rawValue))" }.joined(separator: ", "))."
        )
    }
    if let paths = tracker.logFiles { print("Logs: \(paths.standard)") }
} catch {
    FileHandle.standardError.write(Data("TrainingExample: \(error)\n".utf8))
    exit(1)
}
