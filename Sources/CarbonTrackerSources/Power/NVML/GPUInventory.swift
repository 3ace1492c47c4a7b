/// The GPUs NVML lists on this node, and which of them this process may use.
///
/// ```swift
/// let inventory = try GPUInventory.load(environment: ["CUDA_VISIBLE_DEVICES": "1"], devicesByPID: false).get()
/// inventory.selected   // [1]
/// ```
///
/// Loading costs an `nvmlInit`, a name and UUID query per GPU and an `nvmlShutdown`: milliseconds
/// with a real driver, so only a distributed run that chose NVML pays it.
package struct GPUInventory: Sendable, Equatable {
    /// One GPU as NVML numbers it.
    package struct GPU: Sendable, Equatable {
        package var index: Int
        package var uuid: String
        package var name: String
    }

    /// Every GPU on the node, by NVML index.
    package var gpus: [GPU]
    /// Indices into ``gpus`` this process may use, in `CUDA_VISIBLE_DEVICES` order (or those running
    /// this process, with `devicesByPID`).
    package var selected: [Int]
    /// Whether `CUDA_VISIBLE_DEVICES` was set at all.
    var cudaVisibleDevicesSet: Bool
    /// Whether the selection is by the processes running on each GPU (`devicesByPID`).
    package var byProcess: Bool

    /// Whether this process sees every GPU of the node, as every rank then does.
    package var seesEveryGPU: Bool { !byProcess && (!cudaVisibleDevicesSet || selected.count == gpus.count) }

    /// Lists the GPUs through the NVML library the tracker would load.
    /// - Parameters:
    ///   - environment: Reads `CARBONTRACKER_NVML_LIBRARY` and `CUDA_VISIBLE_DEVICES`.
    ///   - devicesByPID: Select the GPUs running this process or its descendants.
    /// - Returns: The inventory, or why NVML could not list the GPUs.
    package static func load(environment: [String: String], devicesByPID: Bool) -> Result<
        GPUInventory, CarbonTrackerError
    > {
        let selection = NVMLDeviceSelection(
            visibleText: environment["CUDA_VISIBLE_DEVICES"], devicesByPID: devicesByPID,
            processFamily: { ProcessTree.currentFamily() })
        do {
            let nvml = try NVMLLibrary(path: environment["CARBONTRACKER_NVML_LIBRARY"] ?? "libnvidia-ml.so.1")
            try nvml.check(nvml.initialize(), "nvmlInit")
            defer { _ = nvml.shutdown() }
            return .success(try selection.inventory(nvml))
        } catch let error as CarbonTrackerError {
            return .failure(error)
        } catch {
            return .failure(CarbonTrackerError(.componentUnavailable, String(describing: error)))
        }
    }
}
