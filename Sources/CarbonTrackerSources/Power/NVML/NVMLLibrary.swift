import CNVML

/// A status returned by an NVML call, with NVML's numeric value.
package struct NVMLStatus: Equatable, Sendable, CustomStringConvertible {
    let rawValue: Int32

    package static let success = NVMLStatus(rawValue: CNVML_SUCCESS)
    static let notSupported = NVMLStatus(rawValue: CNVML_ERROR_NOT_SUPPORTED)
    static let noPermission = NVMLStatus(rawValue: CNVML_ERROR_NO_PERMISSION)
    static let notFound = NVMLStatus(rawValue: CNVML_ERROR_NOT_FOUND)
    static let functionNotFound = NVMLStatus(rawValue: CNVML_ERROR_FUNCTION_NOT_FOUND)
    static let gpuIsLost = NVMLStatus(rawValue: CNVML_ERROR_GPU_IS_LOST)
    static let unknown = NVMLStatus(rawValue: CNVML_ERROR_UNKNOWN)

    package var description: String { "NVML status \(rawValue)" }
}

/// One loaded copy of the NVML shared library, reached through the `CNVML` dlopen shim.
///
/// ```swift
/// let nvml = try NVMLLibrary(path: "libnvidia-ml.so.1")
/// try nvml.check(nvml.initialize(), "nvmlInit")
/// ```
///
/// Not thread-safe by itself: ``NVMLComponent`` calls it only under its lock. Each call costs what
/// the driver's call costs (microseconds to a millisecond).
package final class NVMLLibrary {
    private let handle: OpaquePointer
    /// The path or file name it was loaded from.
    let path: String

    /// Loads the library and looks up every function the package uses.
    /// - Parameter path: A file name searched by the dynamic loader, or a path.
    /// - Throws: ``CarbonTrackerError`` with code `.componentUnavailable` and the loader's reason.
    package init(path: String) throws {
        // A path (not a name for the loader to search) is checked first: the loader would block
        // forever reading a FIFO.
        if path.contains("/"), let failure = BoundedFile.checkRegular(path) {
            throw CarbonTrackerError(
                .componentUnavailable,
                "\(path) could not be loaded (\(failure.reason)). Point CARBONTRACKER_NVML_LIBRARY at the "
                    + "NVIDIA driver's libnvidia-ml.so.1.")
        }
        var reason = [CChar](repeating: 0, count: 512)
        guard let handle = cnvml_open(path, &reason, reason.count) else {
            throw CarbonTrackerError(
                .componentUnavailable,
                "\(path) could not be loaded (\(Self.string(reason))). Install the NVIDIA driver, or point "
                    + "CARBONTRACKER_NVML_LIBRARY at libnvidia-ml.so.1.")
        }
        self.handle = handle
        self.path = path
    }

    deinit { cnvml_close(handle) }

    /// The NVML functions the library lacks, comma-separated; empty when none is missing.
    var missingSymbols: String { String(cString: cnvml_missing_symbols(handle)) }

    /// Whether the library exports `symbol`.
    func has(_ symbol: String) -> Bool { cnvml_has_symbol(handle, symbol) != 0 }

    /// NVML's own words for `status`, with the number.
    func describe(_ status: NVMLStatus) -> String {
        if status == .functionNotFound { return "function not found in \(path) (status 13)" }
        guard let text = cnvml_error_string(handle, status.rawValue) else { return status.description }
        return "\(String(cString: text)) (status \(status.rawValue))"
    }

    /// Throws unless `status` is success.
    /// - Throws: ``CarbonTrackerError`` with code `.componentUnavailable` naming the call.
    func check(_ status: NVMLStatus, _ call: String) throws {
        guard status == .success else {
            throw CarbonTrackerError(.componentUnavailable, "\(call) failed: \(describe(status)).")
        }
    }

    package func initialize() -> NVMLStatus { NVMLStatus(rawValue: cnvml_init(handle)) }
    package func shutdown() -> NVMLStatus { NVMLStatus(rawValue: cnvml_shutdown(handle)) }

    func deviceCount() -> (NVMLStatus, Int) {
        var count: UInt32 = 0
        let status = NVMLStatus(rawValue: cnvml_device_count(handle, &count))
        return (status, Int(count))
    }

    func device(index: Int) -> (NVMLStatus, cnvml_device?) {
        var device: cnvml_device?
        let status = NVMLStatus(rawValue: cnvml_device_by_index(handle, UInt32(index), &device))
        return (status, device)
    }

    func device(uuid: String) -> (NVMLStatus, cnvml_device?) {
        var device: cnvml_device?
        let status = NVMLStatus(rawValue: cnvml_device_by_uuid(handle, uuid, &device))
        return (status, device)
    }

    func parent(ofMIG device: cnvml_device) -> (NVMLStatus, cnvml_device?) {
        var parent: cnvml_device?
        let status = NVMLStatus(rawValue: cnvml_parent_of_mig(handle, device, &parent))
        return (status, parent)
    }

    func name(of device: cnvml_device) -> (NVMLStatus, String) {
        string { cnvml_device_name(handle, device, $0, $1) }
    }

    func uuid(of device: cnvml_device) -> (NVMLStatus, String) {
        string { cnvml_device_uuid(handle, device, $0, $1) }
    }

    func totalEnergyMillijoules(_ device: cnvml_device) -> (NVMLStatus, UInt64) {
        var millijoules: UInt64 = 0
        let status = NVMLStatus(rawValue: cnvml_total_energy_millijoules(handle, device, &millijoules))
        return (status, millijoules)
    }

    func powerMilliwatts(_ device: cnvml_device) -> (NVMLStatus, UInt32) {
        var milliwatts: UInt32 = 0
        let status = NVMLStatus(rawValue: cnvml_power_milliwatts(handle, device, &milliwatts))
        return (status, milliwatts)
    }

    /// A power field (`CNVML_FI_DEV_POWER_INSTANT` or `_AVERAGE`) at `scope`, through
    /// `nvmlDeviceGetFieldValues`; a negative or non-finite value is reported as an unknown error.
    func powerFieldMilliwatts(_ device: cnvml_device, field: UInt32, scope: UInt32) -> (NVMLStatus, Double) {
        var milliwatts = 0.0
        let status = NVMLStatus(
            rawValue: cnvml_power_field_milliwatts(handle, device, field, scope, &milliwatts))
        guard status == .success else { return (status, 0) }
        guard milliwatts.isFinite, milliwatts >= 0 else { return (.unknown, 0) }
        return (status, milliwatts)
    }

    /// Whether `device` is joined to a CPU by a chip-to-chip link (`nvmlDeviceGetC2cModeInfoV`).
    func c2cEnabled(_ device: cnvml_device) -> (NVMLStatus, Bool) {
        var enabled: Int32 = 0
        let status = NVMLStatus(rawValue: cnvml_c2c_enabled(handle, device, &enabled))
        return (status, status == .success && enabled != 0)
    }

    /// PIDs running compute or graphics work on `device`.
    func runningPIDs(_ device: cnvml_device, graphics: Bool) -> (NVMLStatus, [Int32]) {
        var capacity = 256
        for _ in 0..<3 {
            var pids = [UInt32](repeating: 0, count: capacity)
            var count: UInt32 = 0
            let kind = graphics ? CNVML_GRAPHICS_PROCESSES : CNVML_COMPUTE_PROCESSES
            let status = NVMLStatus(
                rawValue: cnvml_running_pids(handle, device, kind, &pids, UInt32(capacity), &count))
            guard status == .success else { return (status, []) }
            if Int(count) <= capacity {
                return (status, pids.prefix(Int(count)).map { Int32(bitPattern: $0) })
            }
            capacity = Int(count) + 16
        }
        return (NVMLStatus(rawValue: CNVML_ERROR_INSUFFICIENT_SIZE), [])
    }

    /// Per-process SM utilisation samples of `device` taken after `since` (microseconds; 0: all kept),
    /// through `nvmlDeviceGetProcessUtilization`. NVML answers "Not Found" when no sample is newer.
    func processUtilization(_ device: cnvml_device, since: UInt64) -> (NVMLStatus, [GPUProcessSample]) {
        var samples = [cnvml_process_sample](repeating: cnvml_process_sample(), count: 512)
        var count: UInt32 = 0
        let status = NVMLStatus(
            rawValue: cnvml_process_utilization(
                handle, device, since, &samples, UInt32(samples.count), &count))
        guard status == .success else { return (status, []) }
        let found = samples.prefix(Int(count)).map {
            GPUProcessSample(
                pid: Int32(bitPattern: $0.pid), timestampMicroseconds: $0.timestamp_microseconds,
                smPercent: Double($0.sm_percent))
        }
        return (status, found)
    }

    private func string(_ call: (UnsafeMutablePointer<CChar>, UInt32) -> Int32) -> (NVMLStatus, String) {
        var buffer = [CChar](repeating: 0, count: Int(CNVML_STRING_CAPACITY))
        let status = NVMLStatus(
            rawValue: buffer.withUnsafeMutableBufferPointer { call($0.baseAddress!, UInt32($0.count)) })
        return (status, status == .success ? Self.string(buffer) : "")
    }

    private static func string(_ buffer: [CChar]) -> String {
        let bytes = buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }
        return String(decoding: bytes, as: UTF8.self)
    }
}
