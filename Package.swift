// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "CarbonTracker",
    platforms: [.macOS(.v13)],
    products: [
        .library(name: "CarbonTracker", targets: ["CarbonTracker"]),
        .executable(name: "carbontracker", targets: ["CarbonTrackerCLI"]),
        .executable(name: "TrainingExample", targets: ["TrainingExample"]),
        .executable(name: "DistributedTraining", targets: ["DistributedTraining"]),
        .executable(name: "CarbonTrackerBenchmarks", targets: ["CarbonTrackerBenchmarks"]),
        .executable(name: "CarbonTrackerFuzz", targets: ["CarbonTrackerFuzz"]),
    ],
    targets: [
        // NVML is loaded with dlopen at run time, so the package builds and runs without a driver.
        .target(name: "CNVML", linkerSettings: [.linkedLibrary("dl", .when(platforms: [.linux]))]),
        // libcurl is loaded with dlopen too, so the executable runs where libcurl is missing (HTTP then
        // fails with a reason and intensity falls back to stored averages) and links without it.
        .target(name: "CCurl", linkerSettings: [.linkedLibrary("dl", .when(platforms: [.linux]))]),
        // Apple silicon's IOReport energy counters, with CoreFoundation, loaded with dlopen at run time too.
        .target(name: "CIOReport", linkerSettings: [.linkedLibrary("dl", .when(platforms: [.linux]))]),
        .target(name: "CarbonTracker", dependencies: ["CNVML", "CCurl", "CIOReport"]),
        // fork and exec in C, so the tracked command can be told to die with its parent (Linux).
        .target(name: "CSpawn"),
        // The CLI's logic lives in a library target so tests can import it; main.swift only calls it.
        .target(name: "CarbonTrackerCLICore", dependencies: ["CarbonTracker", "CSpawn"]),
        .executableTarget(name: "CarbonTrackerCLI", dependencies: ["CarbonTrackerCLICore"]),
        .executableTarget(
            name: "TrainingExample", dependencies: ["CarbonTracker"], path: "Examples/TrainingExample"),
        .executableTarget(
            name: "DistributedTraining", dependencies: ["CarbonTracker"], path: "Examples/DistributedTraining"
        ),
        .executableTarget(
            name: "CarbonTrackerBenchmarks", dependencies: ["CarbonTracker"],
            path: "Benchmarks/CarbonTrackerBenchmarks"),
        // The fuzzer: libFuzzer's entry points when built with -DCARBONTRACKER_LIBFUZZER (see .ci/run),
        // else a replayer of saved inputs.
        .executableTarget(
            name: "CarbonTrackerFuzz", dependencies: ["CarbonTracker"], path: "Fuzz/CarbonTrackerFuzz"),
        // Programs the tests run as child processes (exit without stop(), output order, kill -9).
        .executableTarget(
            name: "CarbonTrackerTestPrograms", dependencies: ["CarbonTracker"], path: "Tests/Programs"),
        .testTarget(
            name: "CarbonTrackerTests",
            dependencies: [
                "CarbonTracker", "CarbonTrackerCLICore", "CarbonTrackerBenchmarks",
                "CarbonTrackerTestPrograms",
            ],
            resources: [.copy("Fixtures")]),
    ],
    swiftLanguageModes: [.v6]
)
