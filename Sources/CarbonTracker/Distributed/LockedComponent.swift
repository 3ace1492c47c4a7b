/// A power source measured under locks: forwards everything to the source, and releases its locks
/// when it is shut down, so another process can take the devices over.
///
/// ```swift
/// let cpu = LockedComponent(rapl, leases: [nodeLease])
/// cpu.shutdown()   // RAPL shut down, node lock released
/// ```
///
/// Forwarding costs one indirect call per method.
final class LockedComponent: PowerComponent {
    let base: any PowerComponent
    private let leases: LockedBox<[LockLease]>

    /// Takes over one hold on each of `leases`.
    init(_ base: any PowerComponent, leases: [LockLease]) {
        self.base = base
        self.leases = LockedBox(leases)
    }

    deinit { releaseLocks() }

    var kind: ComponentKind { base.kind }
    var handlerName: String { base.handlerName }
    func devices() -> [String] { base.devices() }
    func isAvailable() -> Bool { base.isAvailable() }
    func start(diagnostics: any DiagnosticsReporter) throws { try base.start(diagnostics: diagnostics) }
    func measurementMethod() -> MeasurementMethod { base.measurementMethod() }
    func errorModel() -> PowerErrorModel { base.errorModel() }
    func read() throws -> [DeviceReading] { try base.read() }
    var maximumReadInterval: Double? { base.maximumReadInterval }
    func unavailabilityReason() -> String? { base.unavailabilityReason() }
    func provenanceNote() -> String? { base.provenanceNote() }

    /// Shuts the source down, then releases the locks.
    func shutdown() {
        base.shutdown()
        releaseLocks()
    }

    private func releaseLocks() {
        let held = leases.withLock { leases -> [LockLease] in
            defer { leases = [] }
            return leases
        }
        for lease in held { lease.drop() }
    }
}
