/// The hardware power sources, best first, for one component kind.
enum HardwareComponents {
    /// Candidate sources for `kind` on this machine; the first available one is used.
    static func candidates(for kind: ComponentKind, context: HardwareContext) -> [any PowerComponent] {
        []
    }
}
