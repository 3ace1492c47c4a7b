import CNVML
import Foundation

/// One process's SM utilisation sample from `nvmlDeviceGetProcessUtilization`.
package struct GPUProcessSample: Sendable, Equatable {
    /// The process, as NVML reports it (a host PID).
    package var pid: Int32
    /// When the driver took the sample, in microseconds.
    package var timestampMicroseconds: UInt64
    /// Percent of the sampling period during which the process had work on the SMs.
    package var smPercent: Double
}

/// The scope's share of each measured GPU when NVML lists processes outside the scope on it.
///
/// ```swift
/// var ledger = GPUShareLedger(scope: scope, deviceNames: ["NVIDIA A100"], refreshSeconds: 5)
/// ledger.refresh(nvml, handles, now: clock.now(), diagnostics: diagnostics)
/// let charged = ledger.charge(reading, device: 0)
/// ```
///
/// Every `refreshSeconds` (on the sampling thread) it lists each GPU's compute and graphics processes
/// and, where some are outside the scope, reads the per-process SM utilisation samples NVML took since
/// the last refresh: the scope's share is its processes' utilisation over all processes'. Until a GPU
/// shows foreign work its energy is charged whole, as on a GPU of one's own; while nobody uses the SMs
/// the last share holds. Where NVML cannot report per-process utilisation the GPU is charged whole, with
/// a warning. Cost per refresh: two process lists and one utilisation query per GPU, and one read of the
/// scope's processes; a ``charge(_:device:)`` is arithmetic.
package struct GPUShareLedger {
    private struct Device {
        let name: String
        var share = 1.0
        var lastSampleMicroseconds: UInt64 = 0
        var warnedForeign = false
        var warnedUnsupported = false
        var lastJoules: Double?
        var chargedJoules = 0.0
        /// Energy (or power, for sampled GPUs) seen and charged since the first split, for the log line.
        var seenWeight = 0.0
        var chargedWeight = 0.0
        var split = false
    }

    /// The scope charged.
    let scope: WorkScope
    private let refreshSeconds: Double
    private let scopePIDs: () -> Set<Int32>?
    private var devices: [Device]
    private var nextRefresh = -Double.infinity

    /// A ledger for `deviceNames`, in ``NVMLComponent/devices()`` order.
    /// - Parameters:
    ///   - scope: The work charged.
    ///   - deviceNames: The measured GPUs.
    ///   - refreshSeconds: Least time between two queries of the processes and their utilisation.
    ///   - scopePIDs: The scope's processes now (``WorkScope/processIDs()`` unless a test says otherwise).
    package init(
        scope: WorkScope, deviceNames: [String], refreshSeconds: Double,
        scopePIDs: (() -> Set<Int32>?)? = nil
    ) {
        self.scope = scope
        self.refreshSeconds = refreshSeconds
        self.scopePIDs = scopePIDs ?? { scope.processIDs() }
        self.devices = deviceNames.map { Device(name: $0) }
    }

    /// Lists each GPU's processes and updates the shares, unless the last refresh is recent.
    /// - Parameters:
    ///   - nvml: The loaded library.
    ///   - handles: The GPUs, in the order of the names given at creation.
    ///   - now: Seconds on the monotonic clock.
    ///   - diagnostics: Receives one warning per GPU when foreign work is found, and one when its
    ///     per-process utilisation cannot be read.
    mutating func refresh(
        _ nvml: NVMLLibrary, _ handles: [cnvml_device], now: Double, diagnostics: any DiagnosticsReporter
    ) {
        guard now >= nextRefresh else { return }
        nextRefresh = now + refreshSeconds
        guard let ours = scopePIDs() else { return }
        for index in devices.indices where index < handles.count {
            refresh(&devices[index], nvml, handles[index], ours, diagnostics)
        }
    }

    private func refresh(
        _ device: inout Device, _ nvml: NVMLLibrary, _ handle: cnvml_device, _ ours: Set<Int32>,
        _ diagnostics: any DiagnosticsReporter
    ) {
        let (computeStatus, compute) = nvml.runningPIDs(handle, graphics: false)
        let (graphicsStatus, graphics) = nvml.runningPIDs(handle, graphics: true)
        guard computeStatus == .success || graphicsStatus == .success else { return }
        let foreign = Set(compute + graphics).subtracting(ours).sorted()
        guard !foreign.isEmpty else {
            device.share = 1
            return
        }
        let pids =
            foreign.prefix(8).map(String.init).joined(separator: ", ") + (foreign.count > 8 ? ", …" : "")
        if !device.warnedForeign {
            device.warnedForeign = true
            Self.warn(
                diagnostics,
                "NVML lists processes outside \(scope.label) on \(device.name) (PID \(pids)): the GPU is shared, "
                    + "and its energy is split by the per-process SM utilisation NVML reports.")
        }
        let (status, samples) = nvml.processUtilization(handle, since: device.lastSampleMicroseconds)
        switch status {
        case .success:
            var oursPercent = 0.0
            var allPercent = 0.0
            for sample in samples {
                device.lastSampleMicroseconds = max(
                    device.lastSampleMicroseconds, sample.timestampMicroseconds)
                allPercent += sample.smPercent
                if ours.contains(sample.pid) { oursPercent += sample.smPercent }
            }
            if allPercent > 0 {
                device.share = min(1, oursPercent / allPercent)
                device.split = true
            }
        case .notFound:
            break  // No sample since the last refresh: nobody used the SMs, the last share holds.
        default:
            device.share = 1
            if !device.warnedUnsupported {
                device.warnedUnsupported = true
                Self.warn(
                    diagnostics,
                    "NVML cannot report per-process utilisation of \(device.name) (\(nvml.describe(status))): its "
                        + "whole energy is counted for \(scope.label), the work of PID \(pids) outside it included."
                )
            }
        }
    }

    /// A warning in the standard log and, as a WARNING, in the error log.
    private static func warn(_ diagnostics: any DiagnosticsReporter, _ message: String) {
        diagnostics.info(message)
        diagnostics.warning(message)
    }

    /// The scope's part of one GPU reading: a counter's increase since the last reading times the
    /// GPU's share, added to what was charged before; a power sample times the share.
    /// - Parameters:
    ///   - reading: What the GPU's source read.
    ///   - device: The GPU's index.
    /// - Returns: The reading charged to the scope, cumulative from the GPU's first reading.
    mutating func charge(_ reading: DeviceReading, device index: Int) -> DeviceReading {
        guard index < devices.count else { return reading }
        switch reading {
        case .cumulativeJoules(let joules):
            defer { devices[index].lastJoules = joules }
            guard let last = devices[index].lastJoules else {
                devices[index].chargedJoules = joules
                return reading
            }
            let used = max(0, joules - last)
            let charged = used * devices[index].share
            devices[index].chargedJoules += charged
            weigh(index, seen: used, charged: charged)
            return .cumulativeJoules(devices[index].chargedJoules)
        case .watts(let watts):
            weigh(index, seen: watts, charged: watts * devices[index].share)
            return .watts(watts * devices[index].share)
        case .unavailable:
            return reading
        }
    }

    private mutating func weigh(_ index: Int, seen: Double, charged: Double) {
        guard devices[index].split else { return }
        devices[index].seenWeight += seen
        devices[index].chargedWeight += charged
    }

    /// The GPUs split with other work so far.
    var splitDevices: [String] { devices.filter(\.split).map(\.name) }

    /// The scope's share of the shared GPUs' energy since the first split, or `nil` before any split.
    var chargedFraction: Double? {
        let shared = devices.filter(\.split)
        let seen = shared.reduce(0) { $0 + $1.seenWeight }
        guard !shared.isEmpty else { return nil }
        return seen > 0 ? shared.reduce(0) { $0 + $1.chargedWeight } / seen : shared.first?.share
    }

    /// `scope: job 4242, 62% of GPU utilisation` once a GPU is split, else `nil`.
    var attributionNote: String? {
        chargedFraction.map { "scope: \(scope.label), \(Int(($0 * 100).rounded()))% of GPU utilisation" }
    }
}
