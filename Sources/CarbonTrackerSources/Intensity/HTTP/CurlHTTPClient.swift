import CCurl
import Foundation

/// The HTTP client of live intensity sources and exporters: libcurl, loaded at run time, with every
/// bound this package promises.
///
/// ```swift
/// let client = CurlHTTPClient(environment: options.environment)
/// let answer = try client.get(url, headers: ["auth-token": key], timeoutSeconds: 5)
/// ```
///
/// - The whole exchange ends within the request's time-out, whatever the server does (accepts and
///   never answers, drips one byte a second): libcurl's own deadline ends the transfer, and the
///   caller stops waiting at the deadline even if libcurl does not return (a blocking DNS lookup).
/// - At most ``HTTPRequest/maximumBodyBytes`` of body are kept: a larger `Content-Length` is refused
///   before the body is read, and the write callback aborts a longer or endless body.
/// - Redirects are never followed (the 3xx answer is returned), so a key header reaches only the
///   configured host; only `https` is spoken, plain `http` only as ``HTTPTransportPolicy`` allows.
/// - No cookies, no cache, no compression (what is capped is what the server sent).
/// - ``cancelAll()`` wakes every waiting caller at once, stops the transfers at their next progress
///   callback and refuses new requests.
/// - Without libcurl (``CurlLibrary``), every request fails with a sentence saying so and how to
///   install it; nothing else changes.
///
/// Cost: each request runs on a thread of its own (named "CarbonTrackerHTTP"), which ends with the
/// transfer; the calling thread blocks for at most the time-out. Nothing is allocated before the
/// first request, so an offline tracker costs nothing.
package final class CurlHTTPClient: HTTPClient {
    private final class Pending: Sendable {
        let transfer: CurlTransfer
        let finished = Latch()
        let outcome = LockedBox<Result<HTTPResponse, IntensityFetchError>?>(nil)

        init(_ transfer: CurlTransfer) { self.transfer = transfer }
    }

    private struct State {
        var cancelled = false
        var pending: [Int: Pending] = [:]
        var nextID = 0
    }

    /// The longest header block kept, as the C shim caps it.
    static let maximumHeaderBytes = 64 * 1024

    private let libraryPath: String?
    private let state = LockedBox(State())

    /// Creates a client; libcurl is loaded on the first request.
    /// - Parameter environment: Reads `CARBONTRACKER_CURL_LIBRARY`, a libcurl to load instead of the
    ///   system's `libcurl.so.4` (or `libcurl-gnutls.so.4`; `libcurl.4.dylib` on macOS).
    package init(environment: [String: String] = ProcessInfo.processInfo.environment) {
        libraryPath = environment[CurlLibrary.pathVariable].flatMap { $0.isEmpty ? nil : $0 }
    }

    package func send(_ request: HTTPRequest) throws(IntensityFetchError) -> HTTPResponse {
        let server = hostDescription(request.url)
        try HTTPTransportPolicy.check(request)
        guard request.timeoutSeconds.isFinite, request.timeoutSeconds > 0 else {
            throw IntensityFetchError("no time was left to ask \(server).")
        }
        guard !state.withLock({ $0.cancelled }) else { throw Self.cancelled(server) }
        let library = try CurlLibrary.load(path: libraryPath)
        if request.url.scheme?.lowercased() == "https" && !library.supportsHTTPS {
            throw IntensityFetchError(
                "the libcurl at \(library.path) (version \(library.version)) cannot speak https, so \(server) "
                    + "cannot be asked; install a libcurl built with TLS.")
        }
        guard let transfer = CurlTransfer() else {
            throw IntensityFetchError("the request to \(server) could not be started (out of memory).")
        }
        let pending = Pending(transfer)
        let id = state.withLock { state -> Int? in
            guard !state.cancelled else { return nil }
            defer { state.nextID += 1 }
            state.pending[state.nextID] = pending
            return state.nextID
        }
        guard let id else { throw Self.cancelled(server) }
        defer { _ = state.withLock { $0.pending.removeValue(forKey: id) } }

        let timeout = request.timeoutSeconds
        let worker = Thread {
            let result = Self.perform(request, library: library, transfer: transfer, server: server)
            pending.outcome.withLock { $0 = result }
            pending.finished.open()
        }
        worker.name = "CarbonTrackerHTTP"
        worker.start()
        // libcurl ends the transfer at the time-out; the small margin lets its own verdict arrive.
        pending.finished.wait(seconds: timeout + min(0.25, timeout * 0.05))
        if let outcome = pending.outcome.withLock({ $0 }) { return try outcome.get() }
        transfer.cancel()
        if state.withLock({ $0.cancelled }) { throw Self.cancelled(server) }
        throw Self.timedOut(server, timeout)
    }

    package func cancelAll() {
        let pending = state.withLock { state -> [Pending] in
            state.cancelled = true
            return Array(state.pending.values)
        }
        for item in pending {
            item.transfer.cancel()
            item.finished.open()
        }
    }

    // MARK: The transfer, on its own thread

    private static func perform(
        _ request: HTTPRequest, library: CurlLibrary, transfer: CurlTransfer, server: String
    ) -> Result<HTTPResponse, IntensityFetchError> {
        var lines = request.headers.map { "\($0.key): \($0.value)" }
        if !request.headers.keys.contains(where: { $0.lowercased() == "user-agent" }) {
            lines.append("User-Agent: carbontracker-swift")
        }
        let code = withCRequest(request, headerLines: lines) { library.perform(transfer, $0) }
        return outcome(
            code: code, request: request, library: library, transfer: transfer, server: server)
    }

    /// Builds the C view of `request`, valid while `body` runs.
    private static func withCRequest(
        _ request: HTTPRequest, headerLines: [String], _ body: (UnsafePointer<ccurl_request>) -> Int32
    ) -> Int32 {
        let headers = headerLines.map { UnsafePointer(strdup($0)) }
        defer { for header in headers { free(UnsafeMutablePointer(mutating: header)) } }
        let bodyBytes = request.body.map { [UInt8]($0) }
        let plain = request.url.scheme?.lowercased() == "http"
        let loopback = request.url.host.map(HTTPTransportPolicy.isLoopback) ?? false
        return request.url.absoluteString.withCString { url in
            request.method.rawValue.withCString { method in
                headers.withUnsafeBufferPointer { headerPointers in
                    func run(_ bytes: UnsafeRawBufferPointer?) -> Int32 {
                        var c = ccurl_request(
                            url: url, method: method, headers: headerPointers.baseAddress,
                            header_count: headerPointers.count, body: bytes?.baseAddress,
                            body_length: bytes?.count ?? 0,
                            timeout_ms: max(1, Int(min(request.timeoutSeconds, 86_400) * 1000)),
                            max_body_bytes: max(0, request.maximumBodyBytes),
                            allow_plain_http: plain ? 1 : 0, bypass_proxy: loopback ? 1 : 0)
                        return body(&c)
                    }
                    guard let bodyBytes else { return run(nil) }
                    // A zero-length body still needs an address, so an empty PUT carries Content-Length: 0.
                    return bodyBytes.isEmpty
                        ? run(UnsafeRawBufferPointer(start: UnsafeRawPointer(bitPattern: 1), count: 0))
                        : bodyBytes.withUnsafeBytes { run($0) }
                }
            }
        }
    }

    private static func outcome(
        code: Int32, request: HTTPRequest, library: CurlLibrary, transfer: CurlTransfer, server: String
    ) -> Result<HTTPResponse, IntensityFetchError> {
        switch transfer.stopReason {
        case CCURL_STOP_CANCELLED: return .failure(cancelled(server))
        case CCURL_STOP_DEADLINE: return .failure(timedOut(server, request.timeoutSeconds))
        case CCURL_STOP_BODY_TOO_LARGE: return .failure(tooLarge(server, request.maximumBodyBytes))
        case CCURL_STOP_HEADERS_TOO_LARGE:
            return .failure(
                IntensityFetchError(
                    "\(server) sent more than \(maximumHeaderBytes / 1024) KiB of header fields; the transfer was stopped."
                ))
        default: break
        }
        switch code {
        case CCURL_OK:
            return .success(
                HTTPResponse(status: transfer.status, headers: transfer.headers, body: transfer.body))
        case CCURL_FILESIZE_EXCEEDED, CCURL_TOO_LARGE:
            return .failure(tooLarge(server, request.maximumBodyBytes))
        case CCURL_OPERATION_TIMEDOUT:
            return .failure(timedOut(server, request.timeoutSeconds))
        case CCURL_COULDNT_RESOLVE_HOST:
            return .failure(
                IntensityFetchError("the host \(server) could not be resolved (no network or no DNS)."))
        case CCURL_COULDNT_RESOLVE_PROXY:
            return .failure(
                IntensityFetchError("the proxy for \(server) could not be resolved (check https_proxy)."))
        case CCURL_COULDNT_CONNECT:
            return .failure(
                IntensityFetchError("\(server) could not be reached (connection refused or no route)."))
        case CCURL_GOT_NOTHING:
            return .failure(IntensityFetchError("\(server) closed the connection without answering."))
        case CCURL_SEND_ERROR, CCURL_RECV_ERROR, CCURL_PARTIAL_FILE:
            return .failure(
                IntensityFetchError("the connection to \(server) was lost before the answer was complete."))
        case CCURL_WEIRD_SERVER_REPLY, CCURL_HTTP2, CCURL_BAD_CONTENT_ENCODING:
            return .failure(IntensityFetchError("\(server) sent an answer that is not valid HTTP."))
        case CCURL_SSL_CONNECT_ERROR, CCURL_PEER_FAILED_VERIFICATION, CCURL_SSL_CERTPROBLEM, CCURL_SSL_CIPHER,
            CCURL_SSL_CACERT_BADFILE:
            let detail = String(transfer.errorText.prefix(160))
            return .failure(
                IntensityFetchError(
                    "the TLS connection to \(server) failed (\(detail.isEmpty ? library.describe(code) : detail))."
                ))
        case CCURL_WRITE_ERROR, CCURL_OUT_OF_MEMORY, CCURL_SHIM_UNAVAILABLE:
            return .failure(IntensityFetchError("the request to \(server) failed (out of memory)."))
        case CCURL_UNSUPPORTED_PROTOCOL, CCURL_URL_MALFORMAT:
            return .failure(
                IntensityFetchError("libcurl refused the address for \(server) (\(library.describe(code)))."))
        default:
            return .failure(
                IntensityFetchError(
                    "the request to \(server) failed (libcurl error \(code): \(library.describe(code)))."))
        }
    }

    // MARK: Messages

    private static func cancelled(_ server: String) -> IntensityFetchError {
        IntensityFetchError("the request to \(server) was cancelled.")
    }

    private static func timedOut(_ server: String, _ seconds: Double) -> IntensityFetchError {
        IntensityFetchError("\(server) did not answer within \(format(seconds)) s.")
    }

    private static func tooLarge(_ server: String, _ bytes: Int) -> IntensityFetchError {
        let mebibytes = 1024 * 1024
        let limit = bytes % mebibytes == 0 ? "\(bytes / mebibytes) MiB" : "\(bytes) bytes"
        return IntensityFetchError(
            "\(server) answered with more than \(limit), longer than any expected answer; the transfer was stopped."
        )
    }

    private static func format(_ seconds: Double) -> String {
        let tenths = (seconds * 10).rounded()
        return tenths.truncatingRemainder(dividingBy: 10) == 0
            ? String(Int(tenths / 10)) : String(tenths / 10)
    }
}
