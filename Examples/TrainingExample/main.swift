import CarbonTracker
import Foundation

let t = try CarbonTracker(
    epochs: 3, updateInterval: 0.05, logDir: "/tmp/smoke-logs", simCPU: "Sim Xeon 1", simCPUTDP: 101,
    simGPU: "Sim A100", simGPUWatts: 496)
for _ in 0..<3 {
    try t.epochStart()
    usleep(300_000)
    try t.epochEnd()
}
try t.stop()
print(t.actualConsumption!)
