/// An error raised by CarbonTracker: an opaque code plus a message that says what to do.
///
/// ```swift
/// do { try tracker.epochEnd() } catch let error as CarbonTrackerError where error.code == .stoppedByUser {
///     break
/// }
/// ```
///
/// New codes may be added in any release, so switch over ``code`` with a `default` case.
public struct CarbonTrackerError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What kind of failure this is.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private let name: String
        private init(_ name: String) { self.name = name }
        /// A readable name for the code.
        public var description: String { name }

        /// A constructor argument is out of range or inconsistent.
        public static let invalidConfiguration = Code("invalidConfiguration")
        /// `epochStart`/`epochEnd` were called out of order.
        public static let invalidState = Code("invalidState")
        /// The user answered "n" to "Continue training (y/n)?".
        public static let stoppedByUser = Code("stoppedByUser")
        /// A requested component (cpu or gpu) has no working power source.
        public static let componentUnavailable = Code("componentUnavailable")
        /// A power source failed while monitoring.
        public static let measurementFailed = Code("measurementFailed")
        /// A power source cannot read its sensor because of permissions.
        public static let permissionDenied = Code("permissionDenied")
        /// A log file or directory could not be written.
        public static let logWriteFailed = Code("logWriteFailed")
        /// A log file or directory could not be read or parsed.
        public static let logParseFailed = Code("logParseFailed")
        /// Carbon-intensity configuration or fetching failed.
        public static let intensityUnavailable = Code("intensityUnavailable")
    }

    /// What kind of failure this is.
    public let code: Code
    /// What went wrong and what to do about it.
    public let message: String

    /// Creates an error.
    /// - Parameters:
    ///   - code: What kind of failure this is.
    ///   - message: A sentence saying what went wrong and what to do.
    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    /// The message, prefixed with the code.
    public var description: String { "CarbonTracker \(code): \(message)" }

    package static func invalidConfiguration(_ message: String) -> Self {
        .init(.invalidConfiguration, message)
    }
    package static func invalidState(_ message: String) -> Self { .init(.invalidState, message) }
    package static func measurementFailed(_ message: String) -> Self { .init(.measurementFailed, message) }
}
