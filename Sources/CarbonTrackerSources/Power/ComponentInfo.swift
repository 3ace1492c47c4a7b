/// A power source in use by a tracker or monitor, as reported by their `components`.
public struct ComponentInfo: Sendable, Equatable {
    /// CPU or GPU.
    public var kind: ComponentKind
    /// The source's name ("RAPL", "NVML", "simulated", ...).
    public var handlerName: String
    /// The measured devices.
    public var devices: [String]
    /// How the figures are obtained.
    public var method: MeasurementMethod

    package init(kind: ComponentKind, handlerName: String, devices: [String], method: MeasurementMethod) {
        self.kind = kind
        self.handlerName = handlerName
        self.devices = devices
        self.method = method
    }
}
