// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "CarbonTracker",
    platforms: [.macOS(.v13)],
    products: [
        .library(name: "CarbonTracker", targets: ["CarbonTracker"]),
        .executable(name: "carbontracker", targets: ["CarbonTrackerCLI"]),
        .executable(name: "TrainingExample", targets: ["TrainingExample"]),
        .executable(name: "CarbonTrackerBenchmarks", targets: ["CarbonTrackerBenchmarks"]),
        .executable(name: "CarbonTrackerFuzz", targets: ["CarbonTrackerFuzz"]),
    ],
    targets: [
        // NVML is loaded with dlopen at run time, so the package builds and runs without a driver.
        .target(name: "CNVML", linkerSettings: [.linkedLibrary("dl", .when(platforms: [.linux]))]),
        .target(name: "CarbonTracker", dependencies: ["CNVML"]),
        // fork and exec in C, so the tracked command can be told to die with its parent (Linux).
        .target(name: "CSpawn"),
        // The CLI's logic lives in a library target so tests can import it; main.swift only calls it.
        .target(name: "CarbonTrackerCLICore", dependencies: ["CarbonTracker", "CSpawn"]),
        .executableTarget(name: "CarbonTrackerCLI", dependencies: ["CarbonTrackerCLICore"]),
        .executableTarget(
            name: "TrainingExample", dependencies: ["CarbonTracker"], path: "Examples/TrainingExample"),
        .executableTarget(
            name: "CarbonTrackerBenchmarks", dependencies: ["CarbonTracker"],
            path: "Benchmarks/CarbonTrackerBenchmarks"),
        // The fuzzer: libFuzzer's entry points when built with -DCARBONTRACKER_LIBFUZZER (see .ci/run),
        // else a replayer of saved inputs.
        .executableTarget(
            name: "CarbonTrackerFuzz", dependencies: ["CarbonTracker"], path: "Fuzz/CarbonTrackerFuzz"),
        .testTarget(
            name: "CarbonTrackerTests",
            dependencies: ["CarbonTracker", "CarbonTrackerCLICore", "CarbonTrackerBenchmarks"],
            resources: [.copy("Fixtures")]),
    ],
    swiftLanguageModes: [.v6]
)
