import CNVML

/// Which GPUs an ``NVMLComponent`` measures: those `CUDA_VISIBLE_DEVICES` allows, or with
/// `devicesByPID` those running this process or its descendants.
///
/// ```swift
/// let selection = NVMLDeviceSelection(visibleText: "GPU-5e1c", devicesByPID: false, processFamily: { [] })
/// try selection.select(nvml, notes: &notes)   // [(handle, "NVIDIA H100 80GB HBM3")]
/// ```
///
/// Costs a few NVML queries per GPU (name, UUID, and for `devicesByPID` the process lists).
package struct NVMLDeviceSelection: Sendable {
    /// `CUDA_VISIBLE_DEVICES` as given, for messages.
    let visibleText: String?
    let visible: VisibleDevices
    let devicesByPID: Bool
    let processFamily: @Sendable () -> Set<Int32>

    package init(
        visibleText: String?, devicesByPID: Bool, processFamily: @escaping @Sendable () -> Set<Int32>
    ) {
        self.visibleText = visibleText
        self.visible = VisibleDevices.parse(visibleText)
        self.devicesByPID = devicesByPID
        self.processFamily = processFamily
    }

    /// The GPUs to measure with their names, in order.
    /// - Throws: ``CarbonTrackerError`` with code `.componentUnavailable` when NVML fails or none is selected.
    package func select(_ nvml: NVMLLibrary, notes: inout [String]) throws -> [(
        handle: cnvml_device, name: String
    )] {
        let handles = try allHandles(nvml)
        let chosen = try chosenIndices(handles, nvml, &notes)
        guard !chosen.isEmpty else { throw noneSelected(count: handles.count) }
        return chosen.map { index in (handles[index], name(handles[index], index, nvml)) }
    }

    /// Every GPU NVML lists, with UUID and name, and the indices this selection picks (possibly none),
    /// for deciding which process of a distributed job measures which GPU.
    /// - Throws: ``CarbonTrackerError`` with code `.componentUnavailable` when NVML fails or lists no GPU.
    func inventory(_ nvml: NVMLLibrary) throws -> GPUInventory {
        let handles = try allHandles(nvml)
        var notes: [String] = []
        let chosen = try chosenIndices(handles, nvml, &notes)
        let gpus = handles.enumerated().map { index, handle in
            GPUInventory.GPU(index: index, uuid: nvml.uuid(of: handle).1, name: name(handle, index, nvml))
        }
        return GPUInventory(
            gpus: gpus, selected: chosen, cudaVisibleDevicesSet: visibleText != nil, byProcess: devicesByPID)
    }

    private func allHandles(_ nvml: NVMLLibrary) throws -> [cnvml_device] {
        let (status, count) = nvml.deviceCount()
        try nvml.check(status, "nvmlDeviceGetCount")
        var handles: [cnvml_device] = []
        for index in 0..<count {
            let (status, handle) = nvml.device(index: index)
            try nvml.check(status, "nvmlDeviceGetHandleByIndex(\(index))")
            if let handle { handles.append(handle) }
        }
        guard !handles.isEmpty else {
            throw CarbonTrackerError(.componentUnavailable, "NVML loaded but reports no GPU.")
        }
        return handles
    }

    private func chosenIndices(_ handles: [cnvml_device], _ nvml: NVMLLibrary, _ notes: inout [String]) throws
        -> [Int]
    {
        devicesByPID ? try runningOurProcesses(handles, nvml) : visibleIndices(handles, nvml, &notes)
    }

    private func name(_ handle: cnvml_device, _ index: Int, _ nvml: NVMLLibrary) -> String {
        let (status, name) = nvml.name(of: handle)
        return status == .success ? name : "GPU \(index)"
    }

    private func noneSelected(count: Int) -> CarbonTrackerError {
        if devicesByPID {
            return CarbonTrackerError(
                .componentUnavailable,
                "None of the \(count) GPU(s) runs this process or its children yet; with devicesByPID, "
                    + "start GPU work before creating the tracker.")
        }
        if let text = visibleText, text.trimmingCharacters(in: .whitespaces).isEmpty {
            return CarbonTrackerError(
                .componentUnavailable, "CUDA_VISIBLE_DEVICES is empty, so this process can use no GPU.")
        }
        return CarbonTrackerError(
            .componentUnavailable,
            "CUDA_VISIBLE_DEVICES=\"\(visibleText ?? "")\" names none of the \(count) GPU(s) NVML reports.")
    }

    /// Indices of the GPUs `CUDA_VISIBLE_DEVICES` allows, in its order, without repeats.
    private func visibleIndices(_ handles: [cnvml_device], _ nvml: NVMLLibrary, _ notes: inout [String])
        -> [Int]
    {
        guard case .listed(let entries) = visible else { return Array(handles.indices) }
        let uuids = handles.map { nvml.uuid(of: $0).1 }
        var chosen: [Int] = []
        for entry in entries {
            let index: Int?
            switch entry {
            case .index(let value):
                index = value < handles.count ? value : nil
            case .uuid(let prefix):
                let matches = uuids.indices.filter { uuids[$0].hasPrefix(prefix) }
                index = matches.count == 1 ? matches[0] : nil
            case .mig(let name):
                index = migParent(name, nvml, uuids)
                if let index {
                    notes.append(
                        "NVML: MIG instance \(name) is measured as its whole GPU (\(uuids[index])), "
                            + "which it may share with other instances.")
                }
            }
            // CUDA ignores everything after the first entry it cannot use.
            guard let index else { break }
            if !chosen.contains(index) { chosen.append(index) }
        }
        return chosen
    }

    private func migParent(_ name: String, _ nvml: NVMLLibrary, _ uuids: [String]) -> Int? {
        if let parent = VisibleDevices.parentUUID(inLegacyMIGName: name) {
            return uuids.firstIndex(of: parent)
        }
        let (status, mig) = nvml.device(uuid: name)
        guard status == .success, let mig else { return nil }
        let (parentStatus, parent) = nvml.parent(ofMIG: mig)
        guard parentStatus == .success, let parent else { return nil }
        let (uuidStatus, uuid) = nvml.uuid(of: parent)
        return uuidStatus == .success ? uuids.firstIndex(of: uuid) : nil
    }

    private func runningOurProcesses(_ handles: [cnvml_device], _ nvml: NVMLLibrary) throws -> [Int] {
        let family = processFamily()
        var chosen: [Int] = []
        for index in handles.indices {
            let (computeStatus, compute) = nvml.runningPIDs(handles[index], graphics: false)
            let (graphicsStatus, graphics) = nvml.runningPIDs(handles[index], graphics: true)
            if computeStatus != .success && graphicsStatus != .success {
                throw CarbonTrackerError(
                    .componentUnavailable,
                    "devicesByPID needs NVML's running-process queries, which failed: "
                        + "\(nvml.describe(computeStatus)).")
            }
            if !family.isDisjoint(with: compute + graphics) { chosen.append(index) }
        }
        return chosen
    }
}
