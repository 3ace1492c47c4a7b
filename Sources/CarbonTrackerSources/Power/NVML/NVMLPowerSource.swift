import CNVML

/// Which part of the hardware an NVML figure covers.
public enum NVMLPowerScope: String, Sendable, Equatable {
    /// The GPU and its board (a discrete GPU, or a superchip that reports only its GPU).
    case gpu
    /// The whole module of a Grace Hopper or Grace Blackwell superchip: GPU, Grace CPU and memory.
    case module

    /// How logs name the scope.
    var phrase: String {
        switch self {
        case .gpu: "GPU scope"
        case .module: "module scope (GPU, Grace CPU and memory: NVML_POWER_SCOPE_MODULE)"
        }
    }

    /// The scope id of `nvmlFieldValue_t` (`NVML_POWER_SCOPE_GPU` or `_MODULE`).
    var fieldScope: UInt32 {
        switch self {
        case .gpu: UInt32(CNVML_POWER_SCOPE_GPU)
        case .module: UInt32(CNVML_POWER_SCOPE_MODULE)
        }
    }

    /// The scope of `device`, as the driver documents it.
    ///
    /// A GPU joined to a Grace CPU by a chip-to-chip link (`nvmlDeviceGetC2cModeInfoV`) whose driver
    /// answers `NVML_FI_DEV_POWER_INSTANT` at `NVML_POWER_SCOPE_MODULE` is measured at module scope: its
    /// energy counter and module power cover the Grace CPU and memory too (GH200, GB200). A C2C GPU
    /// without module-scope power (GB10) and every other GPU are measured at GPU scope.
    /// - Returns: The scope and whether the GPU has a C2C link.
    package static func detect(_ nvml: NVMLLibrary, _ device: cnvml_device) -> (
        scope: NVMLPowerScope, c2c: Bool
    ) {
        let (status, c2c) = nvml.c2cEnabled(device)
        guard status == .success, c2c else { return (.gpu, false) }
        let (moduleStatus, _) = nvml.powerFieldMilliwatts(
            device, field: UInt32(CNVML_FI_DEV_POWER_INSTANT), scope: NVMLPowerScope.module.fieldScope)
        return (moduleStatus == .success ? .module : .gpu, true)
    }
}

/// Which NVML readings the user allows (`CARBONTRACKER_NVML_METHOD`), for validation runs that force
/// the sampled fallback.
package enum NVMLMethodPreference: String, Sendable, CaseIterable {
    /// The best the GPU has: energy counter, else instantaneous power, else averaged power.
    case auto
    /// Never the counter: instantaneous power, else averaged power.
    case instant
    /// Only averaged power.
    case average

    /// The environment variable.
    static let variable = "CARBONTRACKER_NVML_METHOD"

    /// The preference named by `CARBONTRACKER_NVML_METHOD` (`counter` is `auto`); `nil` for an unknown value.
    static func parse(_ text: String?) -> NVMLMethodPreference? {
        let value = (text ?? "").trimmingCharacters(in: .whitespaces).lowercased()
        if value.isEmpty || value == "counter" { return .auto }
        return NVMLMethodPreference(rawValue: value)
    }
}

/// One way of reading a GPU through NVML, from best to last resort.
package enum NVMLPowerSource: Equatable, Sendable {
    /// `nvmlDeviceGetTotalEnergyConsumption`: millijoules since the driver loaded (Volta and newer).
    case energyCounter
    /// `nvmlDeviceGetFieldValues` with `NVML_FI_DEV_POWER_INSTANT` at a scope: instantaneous milliwatts.
    case instantPower(NVMLPowerScope)
    /// `nvmlDeviceGetFieldValues` with `NVML_FI_DEV_POWER_AVERAGE` at module scope: a one-second average.
    case averagePower(NVMLPowerScope)
    /// `nvmlDeviceGetPowerUsage`: a one-second average on Ampere (except GA100) and newer.
    case powerUsage

    /// The sources to try for a GPU at `scope`, best first, that `preference` allows.
    ///
    /// At module scope the averaged field keeps the module's scope before `nvmlDeviceGetPowerUsage`,
    /// whose scope on a superchip NVML does not document.
    package static func candidates(scope: NVMLPowerScope, preference: NVMLMethodPreference)
        -> [NVMLPowerSource]
    {
        var sources: [NVMLPowerSource] = [.energyCounter, .instantPower(scope)]
        if scope == .module { sources.append(.averagePower(scope)) }
        sources.append(.powerUsage)
        switch preference {
        case .auto: return sources
        case .instant: return Array(sources.dropFirst())
        case .average:
            return sources.filter { if case .instantPower = $0 { false } else { $0 != .energyCounter } }
        }
    }

    /// `.counter` for the energy counter, else `.sampled`.
    var method: MeasurementMethod { self == .energyCounter ? .counter : .sampled }

    /// The NVML name of the query, for messages.
    var queryName: String {
        switch self {
        case .energyCounter: "nvmlDeviceGetTotalEnergyConsumption"
        case .instantPower: "NVML_FI_DEV_POWER_INSTANT"
        case .averagePower: "NVML_FI_DEV_POWER_AVERAGE"
        case .powerUsage: "nvmlDeviceGetPowerUsage"
        }
    }

    /// How the standard log names what energy is integrated from.
    var samplesPhrase: String {
        switch self {
        case .energyCounter:
            "the energy counter (nvmlDeviceGetTotalEnergyConsumption)"
        case .instantPower(let scope):
            "instantaneous power samples (nvmlDeviceGetFieldValues, NVML_FI_DEV_POWER_INSTANT"
                + (scope == .module ? ", module scope)" : ")")
        case .averagePower:
            "one-second average power samples (nvmlDeviceGetFieldValues, NVML_FI_DEV_POWER_AVERAGE, module scope)"
        case .powerUsage:
            "nvmlDeviceGetPowerUsage samples"
        }
    }

    /// Reads `device` once.
    /// - Returns: NVML's status and, on success, the reading.
    package func read(_ nvml: NVMLLibrary, _ device: cnvml_device) -> (NVMLStatus, DeviceReading) {
        switch self {
        case .energyCounter:
            let (status, millijoules) = nvml.totalEnergyMillijoules(device)
            return (status, .cumulativeJoules(Double(millijoules) / 1000))
        case .instantPower(let scope):
            let (status, milliwatts) = nvml.powerFieldMilliwatts(
                device, field: UInt32(CNVML_FI_DEV_POWER_INSTANT), scope: scope.fieldScope)
            return (status, .watts(milliwatts / 1000))
        case .averagePower(let scope):
            let (status, milliwatts) = nvml.powerFieldMilliwatts(
                device, field: UInt32(CNVML_FI_DEV_POWER_AVERAGE), scope: scope.fieldScope)
            return (status, .watts(milliwatts / 1000))
        case .powerUsage:
            let (status, milliwatts) = nvml.powerMilliwatts(device)
            return (status, .watts(Double(milliwatts) / 1000))
        }
    }
}
