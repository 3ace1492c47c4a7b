// Benchmarks for CarbonTracker: `swift run -c release CarbonTrackerBenchmarks SCENARIO [options]`.
// Prints one JSON object per scenario. `scripts/benchmark.py` runs these beside Python carbontracker
// 2.4.7 and writes BENCHMARKS.md.
import Foundation

let usage = """
    usage: CarbonTrackerBenchmarks SCENARIO [--size N] [--seconds S] [--dir DIR]
      epoch-cost    --size EPOCHS (10000)          epochStart+epochEnd cost, logging to files
      epochs        --size EPOCHS (20000) [--event-log 0]  EPOCHS back-to-back epochs end to end, log checked
      window-cost   --size WINDOWS (100000)        beginWindow+endWindow cost, simulated sources
      windows       --size WINDOWS (100000)        WINDOWS back-to-back windows end to end, log checked
      window-threads --size PER_THREAD (10000)     8 threads with windows of their own at once
      sampling      --seconds S (30)               CPU share while sampling at 100 Hz
      memory        --size SAMPLES (1000000)       resident memory after 1,000 and SIZE samples
      startup       --size REPETITIONS (20)        construction to first epochStart
      election      --size REPETITIONS (200)       the same as local rank 0 of a Slurm job, minus single process
      parser        --dir LOGS --size REPETITIONS (3)  aggregateConsumption over LOGS, and the I/O floor
    """

do {
    var arguments = Array(CommandLine.arguments.dropFirst())
    guard let scenario = arguments.first else { throw BenchmarkError(usage) }
    arguments.removeFirst()
    var options: [String: String] = [:]
    while let flag = arguments.first {
        guard flag.hasPrefix("--"), arguments.count >= 2 else {
            throw BenchmarkError("bad option \(flag)\n\(usage)")
        }
        options[String(flag.dropFirst(2))] = arguments[1]
        arguments.removeFirst(2)
    }
    func number(_ key: String, _ fallback: Double) throws -> Double {
        guard let text = options[key] else { return fallback }
        guard let value = Double(text), value > 0 else {
            throw BenchmarkError("--\(key) needs a positive number")
        }
        return value
    }
    let directory = options["dir"] ?? NSTemporaryDirectory() + "carbontracker-bench-\(UUID().uuidString)"
    let result: [String: Double]
    switch scenario {
    case "epoch-cost":
        result = try Scenarios.epochCost(epochs: Int(try number("size", 10_000)), logDir: directory)
    case "epochs":
        result = try Scenarios.epochsEndToEnd(
            epochs: Int(try number("size", 20_000)), logDir: directory, eventLog: options["event-log"] != "0")
    case "window-cost":
        result = try Scenarios.windowCost(windows: Int(try number("size", 100_000)), logDir: directory)
    case "windows":
        result = try Scenarios.windowsEndToEnd(windows: Int(try number("size", 100_000)), logDir: directory)
    case "window-threads":
        result = try Scenarios.windowThreads(
            threads: 8, windowsPerThread: Int(try number("size", 10_000)), logDir: directory)
    case "sampling": result = try Scenarios.samplingCost(seconds: try number("seconds", 30), hertz: 100)
    case "memory": result = try Scenarios.memory(first: 1_000, second: Int(try number("size", 1_000_000)))
    case "startup": result = try Scenarios.startup(repetitions: Int(try number("size", 20)))
    case "election":
        result = try Scenarios.election(repetitions: Int(try number("size", 200)), directory: directory)
    case "parser":
        guard options["dir"] != nil else { throw BenchmarkError("parser needs --dir LOGS\n\(usage)") }
        result = try Scenarios.parser(directory: directory, repetitions: Int(try number("size", 3)))
    default: throw BenchmarkError("unknown scenario \(scenario)\n\(usage)")
    }
    var object = result.mapValues { $0 as Any }
    object["scenario"] = scenario
    let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
    print(String(decoding: data, as: UTF8.self))
} catch {
    FileHandle.standardError.write(Data("CarbonTrackerBenchmarks: \(error)\n".utf8))
    exit(2)
}

struct BenchmarkError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
