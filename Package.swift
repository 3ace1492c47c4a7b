// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "CarbonTracker",
    platforms: [.macOS(.v13)],
    // What ships: the library and the command. Examples, benchmarks and the fuzzer run by target name
    // (`swift run TrainingExample`, `swift run -c release CarbonTrackerBenchmarks`).
    products: [
        .library(name: "CarbonTracker", targets: ["CarbonTracker"]),
        .executable(name: "carbontracker", targets: ["CarbonTrackerCLI"]),
    ],
    targets: [
        // NVML is loaded with dlopen at run time, so the package builds and runs without a driver.
        .target(name: "CNVML", linkerSettings: [.linkedLibrary("dl", .when(platforms: [.linux]))]),
        // libcurl is loaded with dlopen too, so the executable runs where libcurl is missing (HTTP then
        // fails with a reason and intensity falls back to stored averages) and links without it.
        .target(name: "CCurl", linkerSettings: [.linkedLibrary("dl", .when(platforms: [.linux]))]),
        // Apple silicon's IOReport energy counters, with CoreFoundation, loaded with dlopen at run time too.
        .target(name: "CIOReport", linkerSettings: [.linkedLibrary("dl", .when(platforms: [.linux]))]),
        // fork and exec in C, so a child can be told to die with its parent (Linux).
        .target(name: "CSpawn"),
        // The bottom layer: power sources, carbon-intensity sources, reference tables, and the support
        // code they share (locks, the monotonic clock, child processes, errors, number formatting).
        .target(name: "CarbonTrackerSources", dependencies: ["CNVML", "CCurl", "CIOReport", "CSpawn"]),
        // The monitor: the sampling thread, energy integration and measurement windows. It knows the
        // power sources, a clock, an intensity source and a sink protocol the layer above implements.
        .target(name: "CarbonTrackerMonitor", dependencies: ["CarbonTrackerSources"]),
        // What users import: the tracker, the exporters, the parser; re-exports the layers below.
        .target(name: "CarbonTracker", dependencies: ["CarbonTrackerMonitor", "CarbonTrackerSources"]),
        // The CLI's logic lives in a library target so tests can import it; main.swift only calls it.
        .target(name: "CarbonTrackerCLICore", dependencies: ["CarbonTracker"]),
        .executableTarget(name: "CarbonTrackerCLI", dependencies: ["CarbonTrackerCLICore"]),
        .executableTarget(
            name: "TrainingExample", dependencies: ["CarbonTracker"], path: "Examples/TrainingExample"),
        .executableTarget(
            name: "DistributedTraining", dependencies: ["CarbonTracker"], path: "Examples/DistributedTraining"
        ),
        .executableTarget(
            name: "CarbonTrackerBenchmarks", dependencies: ["CarbonTracker"],
            path: "Benchmarks/CarbonTrackerBenchmarks"),
        // What the fuzzer feeds: every reader of outside data, with the promises each must keep.
        .target(name: "CarbonTrackerFuzzing", dependencies: ["CarbonTracker"], path: "Fuzz/CarbonTrackerFuzzing"),
        // The fuzzer: libFuzzer's entry points when built with -DCARBONTRACKER_LIBFUZZER (scripts/fuzz.sh),
        // else a replayer of saved inputs.
        .executableTarget(
            name: "CarbonTrackerFuzz", dependencies: ["CarbonTrackerFuzzing"], path: "Fuzz/CarbonTrackerFuzz"),
        // Programs the tests run as child processes (exit without stop(), output order, kill -9).
        .executableTarget(
            name: "CarbonTrackerTestPrograms", dependencies: ["CarbonTracker"], path: "Tests/Programs"),
        .testTarget(
            name: "CarbonTrackerTests",
            dependencies: [
                "CarbonTracker", "CarbonTrackerCLICore", "CarbonTrackerBenchmarks", "CarbonTrackerFuzzing",
                "CarbonTrackerTestPrograms",
            ],
            resources: [.copy("Fixtures")]),
    ],
    swiftLanguageModes: [.v6]
)
