import Foundation

/// A plain HTTP answer: status, headers and body.
package struct HTTPResponse: Sendable {
    package init(status: Int, headers: [String: String], body: Data) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// The status code (200, 404, ...).
    package var status: Int
    /// Header fields, with lower-case names.
    var headers: [String: String]
    /// The body as received (at most the request's ``HTTPRequest/maximumBodyBytes``).
    var body: Data
}

/// Why an HTTP exchange (live carbon intensity, the location, an export) failed; the message is one
/// sentence meant for the error log and never contains an API key.
package struct IntensityFetchError: Error, Sendable, Equatable {
    /// What went wrong, e.g. "HTTP 503 from api.energidataservice.dk".
    package var message: String

    init(_ message: String) { self.message = message }
}

/// Bounds every HTTP exchange shares.
enum HTTPLimits {
    /// The most bytes of response body kept: 4 MiB. The largest answer expected, a 48-hour regional
    /// forecast of the Carbon Intensity API, is well under 1 MiB; a longer body aborts the transfer.
    static let maximumResponseBodyBytes = 4 * 1024 * 1024
}

/// One HTTP request: method, address, header fields, body and how long it may take.
///
/// ```swift
/// var request = HTTPRequest(method: .put, url: url, timeoutSeconds: 5)
/// request.body = Data(text.utf8)
/// request.headers["Authorization"] = HTTPRequest.basicAuthorization(user: "ci", password: secret)
/// ```
///
/// Only `https` is sent, except plain `http` to a loopback host or when ``allowsPlainHTTP`` says so.
package struct HTTPRequest: Sendable {
    /// The request method.
    package enum Method: String, Sendable {
        case get = "GET"
        case put = "PUT"
        case post = "POST"
        case delete = "DELETE"
    }

    /// The request method.
    var method: Method
    /// The address, with its query.
    var url: URL
    /// Extra request header fields; names and values must not contain line breaks.
    var headers: [String: String]
    /// The body to send, or `nil`.
    var body: Data?
    /// The longest the whole exchange may take, in seconds.
    var timeoutSeconds: Double
    /// Allows plain `http` to any host (an explicit opt-in, e.g. a Pushgateway on a cluster network);
    /// without it plain `http` goes only to loopback hosts.
    var allowsPlainHTTP: Bool
    /// The most bytes of response body accepted; the transfer is aborted past them.
    var maximumBodyBytes: Int

    /// Creates a request.
    /// - Parameters:
    ///   - method: The request method.
    ///   - url: The address.
    ///   - headers: Extra header fields.
    ///   - body: The body to send.
    ///   - timeoutSeconds: The longest the whole exchange may take.
    ///   - allowsPlainHTTP: Allows plain `http` to a host that is not loopback.
    ///   - maximumBodyBytes: The most bytes of response body accepted.
    package init(
        method: Method = .get, url: URL, headers: [String: String] = [:], body: Data? = nil,
        timeoutSeconds: Double, allowsPlainHTTP: Bool = false,
        maximumBodyBytes: Int = HTTPLimits.maximumResponseBodyBytes
    ) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
        self.timeoutSeconds = timeoutSeconds
        self.allowsPlainHTTP = allowsPlainHTTP
        self.maximumBodyBytes = maximumBodyBytes
    }

    /// The value of an `Authorization` header for HTTP basic authentication.
    /// - Parameters:
    ///   - user: The user name (without a colon).
    ///   - password: The password.
    /// - Returns: `Basic ` followed by the base64 of `user:password`.
    package static func basicAuthorization(user: String, password: String) -> String {
        "Basic " + Data("\(user):\(password)".utf8).base64EncodedString()
    }
}

/// Performs HTTP requests; the seam where tests could substitute a transport.
///
/// Implementations must return or throw within the request's time-out, whatever the server does,
/// keep at most the request's ``HTTPRequest/maximumBodyBytes`` of body, never follow redirects and
/// send only what ``HTTPTransportPolicy`` allows.
package protocol HTTPClient: Sendable {
    /// Performs `request`.
    /// - Parameter request: What to send.
    /// - Returns: The answer, whatever its status.
    /// - Throws: ``IntensityFetchError`` when no complete answer arrived (refused, unreachable, timed out,
    ///   too large, cancelled, no HTTP library).
    func send(_ request: HTTPRequest) throws(IntensityFetchError) -> HTTPResponse
    /// Cancels every request in flight and refuses new ones.
    func cancelAll()
}

extension HTTPClient {
    /// Fetches `url` with a GET request.
    /// - Parameters:
    ///   - url: The address, with its query.
    ///   - headers: Extra request header fields.
    ///   - timeoutSeconds: The longest the whole exchange may take.
    /// - Returns: The answer, whatever its status.
    /// - Throws: ``IntensityFetchError`` when no complete answer arrived.
    func get(_ url: URL, headers: [String: String], timeoutSeconds: Double) throws(IntensityFetchError)
        -> HTTPResponse
    {
        try send(HTTPRequest(method: .get, url: url, headers: headers, timeoutSeconds: timeoutSeconds))
    }
}

/// The address of a server as written in messages: host and, when not the default, port.
package func hostDescription(_ url: URL) -> String {
    guard let host = url.host else { return url.absoluteString }
    return url.port.map { "\(host):\($0)" } ?? host
}
