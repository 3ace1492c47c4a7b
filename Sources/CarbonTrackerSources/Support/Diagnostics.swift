/// Where components and intensity sources report what happened to them while monitoring.
///
/// The tracker implements this over its log files: ``info(_:)`` goes to the standard log,
/// the others to the error log (created on first use). Calls never block on I/O.
public protocol DiagnosticsReporter: Sendable {
    /// Records a line in the standard log.
    /// - Parameter message: One line, without a timestamp.
    func info(_ message: String)
    /// Records a DEBUG line in the error log.
    /// - Parameter message: One line, without a timestamp.
    func debug(_ message: String)
    /// Records a WARNING line in the error log.
    /// - Parameter message: One line, without a timestamp.
    func warning(_ message: String)
    /// Records a CRITICAL line in the error log.
    /// - Parameter message: One line, without a timestamp.
    func critical(_ message: String)
}

/// A reporter that drops everything; for components used outside a tracker.
public struct SilentDiagnostics: DiagnosticsReporter {
    /// Creates a reporter that drops every line.
    public init() {}
    /// Drops the line.
    public func info(_ message: String) {}
    /// Drops the line.
    public func debug(_ message: String) {}
    /// Drops the line.
    public func warning(_ message: String) {}
    /// Drops the line.
    public func critical(_ message: String) {}
}
