// Small programs the test suite runs as child processes, to check what a tracker leaves behind when
// a program ends in ways a test cannot reproduce in-process (returning from main, exit(), kill -9)
// and what order its output takes when standard output is a file.
//
//   CarbonTrackerTestPrograms MODE LOGDIR [PUSHGATEWAY]
//     exit-return    one of four epochs, then return from top-level code without stop()
//     exit-function  one of four epochs in a function-scoped tracker (released), then return
//     exit-call      one of four epochs, then exit(0)
//     stop-exit      one of four epochs, stop(), then exit(0) at once
//     order          two epochs with print() before and after every tracker call
//     long-epoch     one long epoch that prints "running" and waits to be killed
import CarbonTracker
import Foundation

let arguments = CommandLine.arguments
guard arguments.count == 3 || arguments.count == 4 else {
    FileHandle.standardError.write(Data("usage: CarbonTrackerTestPrograms MODE LOGDIR [PUSHGATEWAY]\n".utf8))
    exit(2)
}
let mode = arguments[1]
let logDir = arguments[2]
// With a Pushgateway address, the run pushes its figures there.
let pushgateway = arguments.count == 4 ? arguments[3] : nil

func makeTracker(epochs: Int, updateInterval: Double = 0.05) throws -> CarbonTracker {
    try CarbonTracker(
        epochs: epochs, updateInterval: updateInterval, logDir: logDir, simCPU: "Sim CPU", simCPUTDP: 100,
        simGPU: "Sim GPU", simGPUWatts: 300,
        options: TrackerOptions(
            environment: ["CARBONTRACKER_OFFLINE": "1"], prometheusPushgateway: pushgateway))
}

func oneEpoch(_ tracker: CarbonTracker) throws {
    try tracker.epochStart()
    Thread.sleep(forTimeInterval: 0.2)
    try tracker.epochEnd()
}

func functionScoped() throws {
    let tracker = try makeTracker(epochs: 4)
    try oneEpoch(tracker)
}

// A global in top-level code: never released, so only the exit handler can complete its logs.
let topLevel: CarbonTracker? =
    ["exit-return", "exit-call", "stop-exit"].contains(mode) ? try makeTracker(epochs: 4) : nil

switch mode {
case "exit-return":
    try oneEpoch(topLevel!)
case "exit-call":
    try oneEpoch(topLevel!)
    exit(0)
case "stop-exit":
    try oneEpoch(topLevel!)
    try topLevel!.stop()
    exit(0)
case "exit-function":
    try functionScoped()
case "order":
    print("program: start")
    let tracker = try makeTracker(epochs: 2)
    for epoch in 1...2 {
        print("program: before epochStart \(epoch)")
        try tracker.epochStart()
        Thread.sleep(forTimeInterval: 0.1)
        print("program: before epochEnd \(epoch)")
        try tracker.epochEnd()
        print("program: after epochEnd \(epoch)")
    }
    print("program: end")
case "long-epoch":
    let tracker = try makeTracker(epochs: 2, updateInterval: 0.05)
    try tracker.epochStart()
    print("running")
    fflush(nil)
    Thread.sleep(forTimeInterval: 120)
    try tracker.epochEnd()
default:
    FileHandle.standardError.write(Data("unknown mode \(mode)\n".utf8))
    exit(2)
}
