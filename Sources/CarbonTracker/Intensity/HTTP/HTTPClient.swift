import Foundation

/// A plain HTTP answer: status, headers and body.
struct HTTPResponse: Sendable {
    /// The status code (200, 404, ...).
    var status: Int
    /// Header fields, with lower-case names.
    var headers: [String: String]
    /// The body as received.
    var body: Data
}

/// Why live carbon intensity (or the location) could not be obtained; the message is one sentence
/// meant for the error log and never contains an API key.
struct IntensityFetchError: Error, Sendable, Equatable {
    /// What went wrong, e.g. "HTTP 503 from api.energidataservice.dk".
    var message: String

    init(_ message: String) { self.message = message }
}

/// Performs HTTP GET requests; the seam where tests could substitute a transport.
///
/// Implementations must return or throw within `timeoutSeconds`, whatever the server does.
protocol HTTPClient: Sendable {
    /// Fetches `url`.
    /// - Parameters:
    ///   - url: The address, with its query.
    ///   - headers: Extra request header fields.
    ///   - timeoutSeconds: The longest the whole exchange may take.
    /// - Returns: The answer, whatever its status.
    /// - Throws: ``IntensityFetchError`` when no answer arrived (unreachable, timed out, cancelled).
    func get(_ url: URL, headers: [String: String], timeoutSeconds: Double) throws(IntensityFetchError)
        -> HTTPResponse
    /// Cancels every request in flight and refuses new ones.
    func cancelAll()
}

/// The address of a server as written in messages: host and, when not the default, port.
func hostDescription(_ url: URL) -> String {
    guard let host = url.host else { return url.absoluteString }
    return url.port.map { "\(host):\($0)" } ?? host
}
