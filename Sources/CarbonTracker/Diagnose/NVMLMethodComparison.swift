import CNVML
import Foundation

/// Reads every selected GPU with both NVML methods at once, its energy counter and its best power
/// samples, so that `--diagnose` can show how far they agree.
///
/// Opens its own NVML session (NVML counts `nvmlInit` calls), used from one thread only.
final class NVMLMethodComparison {
    private struct Device {
        let handle: cnvml_device
        let name: String
        let hasCounter: Bool
        let sampled: NVMLPowerSource?
        var counter = PowerMeter()
        var samples = PowerMeter()
    }

    private let nvml: NVMLLibrary
    private var devices: [Device]

    /// Opens NVML as ``NVMLComponent`` would for `environment`; `nil` when it cannot.
    init?(environment: [String: String], devicesByPID: Bool) {
        guard
            let nvml = try? NVMLLibrary(
                path: environment["CARBONTRACKER_NVML_LIBRARY"] ?? "libnvidia-ml.so.1"),
            nvml.initialize() == .success
        else { return nil }
        let selection = NVMLDeviceSelection(
            visibleText: environment["CUDA_VISIBLE_DEVICES"], devicesByPID: devicesByPID,
            processFamily: { ProcessTree.currentFamily() })
        var notes: [String] = []
        guard let selected = try? selection.select(nvml, notes: &notes) else {
            _ = nvml.shutdown()
            return nil
        }
        self.nvml = nvml
        devices = selected.map { handle, name in
            let scope = NVMLPowerScope.detect(nvml, handle).scope
            let hasCounter = NVMLPowerSource.energyCounter.read(nvml, handle).0 == .success
            let sampled = NVMLPowerSource.candidates(scope: scope, preference: .instant).first {
                $0.read(nvml, handle).0 == .success
            }
            return Device(handle: handle, name: name, hasCounter: hasCounter, sampled: sampled)
        }
    }

    deinit { _ = nvml.shutdown() }

    /// Reads every GPU with each method it has, at `time` (seconds on a monotonic clock).
    func sample(at time: Double) {
        for index in devices.indices {
            let device = devices[index]
            if device.hasCounter {
                let (status, reading) = NVMLPowerSource.energyCounter.read(nvml, device.handle)
                if status == .success { devices[index].counter.add(reading, at: time) }
            }
            if let source = device.sampled {
                let (status, reading) = source.read(nvml, device.handle)
                if status == .success { devices[index].samples.add(reading, at: time) }
            }
        }
    }

    /// The average power per GPU and method, and the counter against the samples.
    func results() -> (readings: [Diagnosis.Reading], agreements: [Diagnosis.Agreement]) {
        var readings: [Diagnosis.Reading] = []
        var agreements: [Diagnosis.Agreement] = []
        for device in devices {
            let counter = device.hasCounter ? device.counter.averageWatts : nil
            if device.hasCounter {
                readings.append(.init(kind: .gpu, device: device.name, method: "counter", watts: counter))
            }
            guard let source = device.sampled else { continue }
            let method = Self.name(source)
            let sampled = device.samples.averageWatts
            readings.append(.init(kind: .gpu, device: device.name, method: method, watts: sampled))
            if let counter, let sampled {
                let ratio = counter > 0 ? sampled / counter : nil
                agreements.append(
                    .init(
                        device: device.name, sampledMethod: method, counterWatts: counter,
                        sampledWatts: sampled,
                        ratio: ratio,
                        disagrees: ratio.map { abs($0 - 1) > Diagnosis.disagreementThreshold } ?? false))
            }
        }
        return (readings, agreements)
    }

    private static func name(_ source: NVMLPowerSource) -> String {
        switch source {
        case .energyCounter: "counter"
        case .instantPower: "instantaneous power (NVML_FI_DEV_POWER_INSTANT)"
        case .averagePower: "averaged power (NVML_FI_DEV_POWER_AVERAGE)"
        case .powerUsage: "averaged power (nvmlDeviceGetPowerUsage)"
        }
    }
}
