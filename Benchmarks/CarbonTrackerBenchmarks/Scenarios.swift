import CarbonTracker
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// The benchmark scenarios. Each returns named numbers; `main.swift` prints them as JSON so that
/// `scripts/benchmark.py` can put them beside Python carbontracker's.
enum Scenarios {
    /// An environment with no network use, so every scenario measures the tracker alone.
    static let offline = ["CARBONTRACKER_OFFLINE": "1"]

    static func options(components: [any PowerComponent]? = nil, environment: [String: String] = offline)
        -> TrackerOptions
    {
        TrackerOptions(customComponents: components, console: .silent, environment: environment)
    }

    /// Scenario 1: cost of one `epochStart` + `epochEnd` pair to the training loop, logging to files.
    static func epochCost(epochs: Int, logDir: String) throws -> [String: Double] {
        // One extra epoch: the last monitored epochEnd waits for the final report by design.
        let tracker = try CarbonTracker(
            epochs: epochs + 1, updateInterval: 1, logDir: logDir, verbose: 0, simCPU: "Sim CPU",
            simCPUTDP: 100,
            simGPU: "Sim GPU", simGPUWatts: 300, options: options())
        var costs: [Double] = []
        costs.reserveCapacity(epochs)
        for _ in 0..<epochs {
            let start = Measure.nanoseconds()
            try tracker.epochStart()
            try tracker.epochEnd()
            costs.append(Double(Measure.nanoseconds() - start) / 1000)
        }
        try tracker.stop()
        costs.sort()
        return [
            "epochs": Double(epochs), "median_us": Measure.percentile(costs, 0.5),
            "p99_us": Measure.percentile(costs, 0.99), "mean_us": costs.reduce(0, +) / Double(costs.count),
        ]
    }

    /// Scenario 2: CPU time the tracker uses while sampling at `hertz` during idle training.
    static func samplingCost(seconds: Double, hertz: Double) throws -> [String: Double] {
        let tracker = try CarbonTracker(
            epochs: 1, updateInterval: 1 / hertz, verbose: 0, simCPU: "Sim CPU", simCPUTDP: 100,
            simGPU: "Sim GPU",
            simGPUWatts: 300, options: options())
        try tracker.epochStart()
        let cpuBefore = Measure.cpuSeconds()
        let wallBefore = Measure.nanoseconds()
        Thread.sleep(forTimeInterval: seconds)
        let cpu = Measure.cpuSeconds() - cpuBefore
        let wall = Double(Measure.nanoseconds() - wallBefore) / 1e9
        try tracker.epochEnd()
        return ["seconds": wall, "hertz": hertz, "cpu_seconds": cpu, "core_share_percent": cpu / wall * 100]
    }

    /// Scenario 3: resident memory after `first` and after `second` samples of both components.
    static func memory(first: Int, second: Int) throws -> [String: Double] {
        let cpu = try CountingComponent(kind: .cpu, name: "Sim CPU", watts: 100)
        let gpu = try CountingComponent(kind: .gpu, name: "Sim GPU", watts: 300)
        let tracker = try CarbonTracker(
            epochs: 1, updateInterval: 1e-6, verbose: 0, options: options(components: [gpu, cpu]))
        try tracker.epochStart()
        func waitFor(_ samples: Int) {
            while cpu.reads < samples { Thread.sleep(forTimeInterval: 0.001) }
        }
        waitFor(first)
        let atFirst = Measure.residentBytes() ?? .nan
        let started = Measure.nanoseconds()
        waitFor(second)
        let elapsed = Double(Measure.nanoseconds() - started) / 1e9
        let atSecond = Measure.residentBytes() ?? .nan
        try tracker.epochEnd()
        return [
            "samples_first": Double(first), "samples_second": Double(second),
            "rss_first_mib": atFirst / 1_048_576,
            "rss_second_mib": atSecond / 1_048_576, "growth_mib": (atSecond - atFirst) / 1_048_576,
            "samples_per_second": Double(second - first) / elapsed,
        ]
    }

    /// Scenario 4: construction to the first `epochStart` returning, with the process's own environment
    /// (so live carbon-intensity lookups are attempted, in the background, wherever the network is).
    static func startup(
        repetitions: Int, environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws -> [String: Double] {
        var costs: [Double] = []
        for _ in 0..<repetitions {
            let start = Measure.nanoseconds()
            let tracker = try CarbonTracker(
                epochs: 1, verbose: 0, simCPU: "Sim CPU", simCPUTDP: 100, simGPU: "Sim GPU", simGPUWatts: 300,
                options: TrackerOptions(console: .silent, environment: environment))
            try tracker.epochStart()
            costs.append(Double(Measure.nanoseconds() - start) / 1e6)
            try tracker.stop()
        }
        costs.sort()
        return [
            "repetitions": Double(repetitions), "median_ms": Measure.percentile(costs, 0.5),
            "max_ms": costs.last ?? .nan,
        ]
    }
}

extension Scenarios {
    /// Scenario 5: `LogParser.aggregateConsumption` over every log pair in `directory`, beside the time
    /// merely to read the same files (the I/O floor). Best of `repetitions`, the floor first so the
    /// page cache is warm for both.
    static func parser(directory: String, repetitions: Int) throws -> [String: Double] {
        let names = try FileManager.default.contentsOfDirectory(atPath: directory).map {
            directory + "/" + $0
        }
        var floor = Double.infinity
        var aggregate = Double.infinity
        var bytes = 0
        var energy = 0.0
        for _ in 0..<max(1, repetitions) {
            var start = Measure.nanoseconds()
            bytes = readAll(names)
            floor = min(floor, Double(Measure.nanoseconds() - start) / 1e9)
            start = Measure.nanoseconds()
            energy = try LogParser.aggregateConsumption(logDir: directory).energyKilowattHours
            aggregate = min(aggregate, Double(Measure.nanoseconds() - start) / 1e9)
        }
        return [
            "files": Double(names.count), "io_floor_s": floor, "aggregate_s": aggregate, "energy_kwh": energy,
            "bytes": Double(bytes),
        ]
    }

    /// Reads every file once with plain `read` calls, one after another; returns the bytes read.
    private static func readAll(_ paths: [String]) -> Int {
        var total = 0
        var buffer = [UInt8](repeating: 0, count: 1 << 16)
        for path in paths {
            let descriptor = open(path, O_RDONLY)
            guard descriptor >= 0 else { continue }
            while true {
                let count = buffer.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
                if count <= 0 { break }
                total += count
            }
            close(descriptor)
        }
        return total
    }
}

/// A simulated component that counts its reads, so the memory scenario knows how many samples were taken.
final class CountingComponent: PowerComponent {
    private let simulated: SimulatedComponent
    private let count = Counter()
    let kind: ComponentKind
    let handlerName = "simulated"

    init(kind: ComponentKind, name: String, watts: Double) throws {
        self.kind = kind
        simulated = try SimulatedComponent(kind: kind, deviceName: name, watts: watts)
    }

    var reads: Int { count.value }
    func devices() -> [String] { simulated.devices() }
    func isAvailable() -> Bool { true }
    func start(diagnostics: any DiagnosticsReporter) throws {}
    func measurementMethod() -> MeasurementMethod { .simulated }
    func read() throws -> [DeviceReading] {
        count.increment()
        return try simulated.read()
    }
    func shutdown() {}
}

/// A thread-safe counter.
final class Counter: @unchecked Sendable {
    private let lock = NSLock()
    private var count = 0
    var value: Int { lock.withLock { count } }
    func increment() { lock.withLock { count += 1 } }
}

extension Scenarios {
    /// End-to-end scenario: `epochs` back-to-back epochs with file logging, simulated CPU and GPU, as
    /// a whole process measures them (run under `/usr/bin/time`). Checks that the work was done: every
    /// epoch in the standard log and the final report present; a run that lost any is a failure.
    static func epochsEndToEnd(epochs: Int, logDir: String, eventLog: Bool = true) throws -> [String: Double]
    {
        var options = options()
        options.eventLog = eventLog
        let tracker = try CarbonTracker(
            epochs: epochs, updateInterval: 1, logDir: logDir, verbose: 0, simCPU: "Sim CPU", simCPUTDP: 100,
            simGPU: "Sim GPU", simGPUWatts: 300, options: options)
        let started = Measure.nanoseconds()
        for _ in 0..<epochs {
            try tracker.epochStart()
            try tracker.epochEnd()
        }
        let wall = Double(Measure.nanoseconds() - started) / 1e9
        let paths = try LogCheck.require(tracker.logFiles)
        let check = try LogCheck.count(paths)
        guard check.epochs == epochs, check.hasFinalReport else {
            throw BenchmarkError(
                "lost data: \(check.epochs) of \(epochs) epochs in the log, final report "
                    + (check.hasFinalReport ? "present" : "missing"))
        }
        return [
            "epochs": Double(epochs), "epochs_logged": Double(check.epochs), "final_report": 1,
            "wall_s": wall, "rss_mib": (Measure.residentBytes() ?? .nan) / 1_048_576,
        ]
    }
}

/// Reads back what a run wrote, so a scenario fails when data was lost.
enum LogCheck {
    static func require(_ paths: LogPaths?) throws -> LogPaths {
        guard let paths else { throw BenchmarkError("no log files were written") }
        return paths
    }

    /// Counts `Epoch N:` lines in the standard log and looks for the actual report in the output log,
    /// reading in 64 KiB chunks so the check itself adds nothing to the process's peak memory.
    static func count(_ paths: LogPaths) throws -> (epochs: Int, hasFinalReport: Bool) {
        (
            try occurrences(of: " - Epoch ", in: paths.standard),
            try occurrences(of: "Actual consumption for", in: paths.output) > 0
        )
    }

    static func occurrences(of text: String, in path: String) throws -> Int {
        let marker = Array(text.utf8)
        let descriptor = open(path, O_RDONLY)
        guard descriptor >= 0 else { throw BenchmarkError("cannot read \(path)") }
        defer { close(descriptor) }
        // The last marker.count - 1 bytes of each chunk are kept at the front of the next one, so a
        // marker split between chunks is found once.
        let keep = marker.count - 1
        var buffer = [UInt8](repeating: 0, count: keep + (1 << 16))
        var filled = 0
        var found = 0
        while true {
            let count = buffer.withUnsafeMutableBytes {
                read(descriptor, $0.baseAddress! + filled, $0.count - filled)
            }
            if count <= 0 { break }
            filled += count
            buffer.withUnsafeBytes { bytes in
                marker.withUnsafeBytes { needle in
                    let base = bytes.baseAddress!
                    // memchr finds each candidate at memory speed, anchored on the marker's first capital
                    // letter (rare in logs, unlike its leading space); memcmp confirms it.
                    let anchor = marker.firstIndex { (65...90).contains($0) } ?? 0
                    var offset = anchor
                    while offset + needle.count - anchor <= filled,
                        let hit = memchr(
                            base + offset, Int32(marker[anchor]),
                            filled - offset - (needle.count - anchor) + 1)
                    {
                        let position = base.distance(to: UnsafeRawPointer(hit)) - anchor
                        if memcmp(base + position, needle.baseAddress!, needle.count) == 0 {
                            found += 1
                            offset = position + needle.count + anchor
                        } else {
                            offset = position + anchor + 1
                        }
                    }
                }
            }
            let tail = min(keep, filled)
            _ = buffer.withUnsafeMutableBytes { bytes in
                memmove(bytes.baseAddress!, bytes.baseAddress! + filled - tail, tail)
            }
            filled = tail
        }
        return found
    }
}

extension Scenarios {
    static func monitor(logDir: String?) throws -> EnergyMonitor {
        try EnergyMonitor(
            updateInterval: 1, logDir: logDir, verbose: 0, simCPU: "Sim CPU", simCPUTDP: 100,
            simGPU: "Sim GPU",
            simGPUWatts: 300, options: options())
    }

    /// Windows scenario: cost of one `beginWindow` + `endWindow` pair with simulated sources (the end
    /// reads both on the calling thread), logging to files.
    static func windowCost(windows: Int, logDir: String) throws -> [String: Double] {
        let monitor = try monitor(logDir: logDir)
        var costs: [Double] = []
        costs.reserveCapacity(windows)
        var joules = 0.0
        for _ in 0..<windows {
            let start = Measure.nanoseconds()
            try monitor.beginWindow("step")
            let window = try monitor.endWindow("step")
            costs.append(Double(Measure.nanoseconds() - start) / 1000)
            joules += window.components.reduce(0) { $0 + $1.joules.reduce(0, +) }
        }
        try monitor.stop()
        costs.sort()
        return [
            "windows": Double(windows), "median_us": Measure.percentile(costs, 0.5),
            "p99_us": Measure.percentile(costs, 0.99), "joules": joules,
        ]
    }

    /// Windows end to end: `windows` back-to-back windows with the log on, as a whole process; every
    /// window must be in the log.
    static func windowsEndToEnd(windows: Int, logDir: String) throws -> [String: Double] {
        let monitor = try monitor(logDir: logDir)
        let started = Measure.nanoseconds()
        for _ in 0..<windows {
            try monitor.beginWindow("step")
            _ = try monitor.endWindow("step")
        }
        try monitor.stop()
        let wall = Double(Measure.nanoseconds() - started) / 1e9
        let paths = try LogCheck.require(monitor.logFiles)
        let logged = try LogCheck.occurrences(of: " - Window step: ", in: paths.standard)
        guard logged == windows else {
            throw BenchmarkError("lost data: \(logged) of \(windows) windows in the log")
        }
        return [
            "windows": Double(windows), "windows_logged": Double(logged), "wall_s": wall,
            "rss_mib": (Measure.residentBytes() ?? .nan) / 1_048_576,
        ]
    }

    /// `threads` threads each opening and closing `windowsPerThread` windows of their own, at once.
    static func windowThreads(threads: Int, windowsPerThread: Int, logDir: String) throws -> [String: Double]
    {
        let monitor = try monitor(logDir: logDir)
        let costs = Counter()
        let perThread = LockedResults()
        let group = DispatchGroup()
        let started = Measure.nanoseconds()
        for thread in 0..<threads {
            group.enter()
            Thread {
                defer { group.leave() }
                var local: [Double] = []
                local.reserveCapacity(windowsPerThread)
                for _ in 0..<windowsPerThread {
                    let start = Measure.nanoseconds()
                    do {
                        try monitor.beginWindow("thread \(thread)")
                        _ = try monitor.endWindow("thread \(thread)")
                    } catch {
                        costs.increment()
                    }
                    local.append(Double(Measure.nanoseconds() - start) / 1000)
                }
                perThread.append(local)
            }.start()
        }
        group.wait()
        let wall = Double(Measure.nanoseconds() - started) / 1e9
        try monitor.stop()
        guard costs.value == 0 else { throw BenchmarkError("\(costs.value) window calls failed") }
        let paths = try LogCheck.require(monitor.logFiles)
        let logged = try LogCheck.occurrences(of: " - Window thread ", in: paths.standard)
        let total = threads * windowsPerThread
        guard logged == total else {
            throw BenchmarkError("lost data: \(logged) of \(total) windows in the log")
        }
        let sorted = perThread.all.sorted()
        return [
            "threads": Double(threads), "windows": Double(total), "windows_logged": Double(logged),
            "wall_s": wall,
            "median_us": Measure.percentile(sorted, 0.5), "p99_us": Measure.percentile(sorted, 0.99),
        ]
    }
}

/// Per-thread timings gathered under a lock.
final class LockedResults: @unchecked Sendable {
    private let lock = NSLock()
    private var values: [Double] = []
    func append(_ more: [Double]) { lock.withLock { values += more } }
    var all: [Double] { lock.withLock { values } }
}

extension Scenarios {
    /// Leader election: construction to first `epochStart` as local rank 0 of a Slurm job step (role
    /// detection, the distribution decision, the node lock in a fresh lock directory) beside the same
    /// for a single process; the difference is the election's cost at start-up.
    static func election(repetitions: Int, directory: String) throws -> [String: Double] {
        func startup(_ environment: [String: String], lockDirectory: String?) throws -> Double {
            var settings = DistributedSettings()
            settings.lockDirectory = lockDirectory
            let start = Measure.nanoseconds()
            let tracker = try CarbonTracker(
                epochs: 1, verbose: 0, simCPU: "Sim CPU", simCPUTDP: 100, simGPU: "Sim GPU", simGPUWatts: 300,
                options: TrackerOptions(console: .silent, environment: environment, distributed: settings))
            try tracker.epochStart()
            let elapsed = Double(Measure.nanoseconds() - start) / 1e6
            try tracker.stop()
            return elapsed
        }
        var single: [Double] = []
        var leader: [Double] = []
        for index in 0..<repetitions {
            single.append(try startup(offline, lockDirectory: nil))
            let job = [
                "SLURM_JOB_ID": "\(getpid())\(index)", "SLURM_STEP_ID": "0", "SLURM_PROCID": "0",
                "SLURM_LOCALID": "0",
                "SLURM_NODEID": "0", "SLURMD_NODENAME": "bench", "SLURM_NTASKS": "2",
            ].merging(offline) { $1 }
            leader.append(try startup(job, lockDirectory: directory + "/locks-\(index)"))
        }
        single.sort()
        leader.sort()
        let singleMedian = Measure.percentile(single, 0.5)
        let leaderMedian = Measure.percentile(leader, 0.5)
        return [
            "repetitions": Double(repetitions), "single_median_ms": singleMedian,
            "leader_median_ms": leaderMedian,
            "election_ms": leaderMedian - singleMedian,
        ]
    }
}
