import Foundation

/// Sends one HTTP `PUT`; the seam between the Pushgateway exporter and an HTTP client.
///
/// ```swift
/// let status = try transport.put(url: url, body: Data(text.utf8), headers: ["Content-Type": "text/plain"],
///                                timeoutSeconds: 3)
/// ```
///
/// Implementations return or throw within `timeoutSeconds`, whatever the server does, and never
/// put a header value (credentials) into an error message.
protocol MetricsPushTransport: Sendable {
    /// Sends `body` to `url` with `PUT`.
    /// - Parameters:
    ///   - url: The address.
    ///   - body: The request body.
    ///   - headers: Request header fields.
    ///   - timeoutSeconds: The longest the whole exchange may take.
    /// - Returns: The HTTP status code.
    /// - Throws: ``MetricsPushError`` when no answer arrived.
    func put(url: URL, body: Data, headers: [String: String], timeoutSeconds: Double) throws -> Int
}

/// Why a push got no answer; the message names the server, never a credential.
struct MetricsPushError: Error, Sendable, Equatable {
    /// One sentence, e.g. "127.0.0.1:9091 could not be reached (connection refused)".
    var message: String

    /// Creates an error.
    /// - Parameter message: One sentence without credentials.
    init(_ message: String) { self.message = message }
}
