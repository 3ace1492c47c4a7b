import Foundation

/// A ``MetricsPushTransport`` over the package's HTTP client (``CurlHTTPClient``: libcurl loaded at run
/// time), for the Pushgateway exporter.
///
/// ```swift
/// let transport = HTTPClientMetricsPushTransport(client: CurlHTTPClient(environment: environment))
/// let status = try transport.put(url: url, body: body, headers: headers, timeoutSeconds: 3)
/// ```
///
/// The Pushgateway address was checked when the exporter was configured (http or https, by the
/// user's explicit choice), so plain `http` is allowed here. The client's bounds hold: the whole
/// exchange ends within the time-out, redirects are not followed, and the answer (the gateway's
/// short reply) is capped at 64 KiB. Called only from the exporter's own thread.
final class HTTPClientMetricsPushTransport: MetricsPushTransport {
    /// The most bytes of a Pushgateway's answer kept.
    static let maximumAnswerBytes = 64 * 1024

    private let client: any HTTPClient

    /// Creates a transport.
    /// - Parameter client: The HTTP client (libcurl by default).
    init(client: any HTTPClient = CurlHTTPClient()) { self.client = client }

    func put(url: URL, body: Data, headers: [String: String], timeoutSeconds: Double) throws -> Int {
        let request = HTTPRequest(
            method: .put, url: url, headers: headers, body: body, timeoutSeconds: timeoutSeconds,
            allowsPlainHTTP: true, maximumBodyBytes: Self.maximumAnswerBytes)
        do {
            return try client.send(request).status
        } catch {
            // The exporter writes its own full stop after the reason.
            throw MetricsPushError(
                error.message.hasSuffix(".") ? String(error.message.dropLast()) : error.message)
        }
    }
}
