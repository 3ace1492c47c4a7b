import Foundation

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// A ``MetricsPushTransport`` over an ephemeral `URLSession`, for the Pushgateway exporter.
///
/// Stands in until the package's own HTTP client (``HTTPClient``) can send `PUT`; it is only ever
/// called from the exporter's own thread. Each call waits at most its time-out, then cancels.
final class URLSessionMetricsPushTransport: MetricsPushTransport {
    private let session: URLSession

    /// Creates a transport with its own session (no cache, no cookies).
    init() {
        let configuration = URLSessionConfiguration.ephemeral
        configuration.requestCachePolicy = .reloadIgnoringLocalCacheData
        configuration.urlCache = nil
        configuration.httpCookieStorage = nil
        configuration.httpShouldSetCookies = false
        session = URLSession(configuration: configuration)
    }

    deinit { session.invalidateAndCancel() }

    func put(url: URL, body: Data, headers: [String: String], timeoutSeconds: Double) throws -> Int {
        let timeout = max(0.01, timeoutSeconds)
        var request = URLRequest(
            url: url, cachePolicy: .reloadIgnoringLocalCacheData, timeoutInterval: timeout)
        request.httpMethod = "PUT"
        request.httpBody = body
        for (name, value) in headers { request.setValue(value, forHTTPHeaderField: name) }
        let server = hostDescription(url)
        let outcome = LockedBox<Result<Int, MetricsPushError>?>(nil)
        let done = DispatchSemaphore(value: 0)
        let task = session.dataTask(with: request) { _, response, error in
            let result: Result<Int, MetricsPushError>
            if let error {
                let code = (error as NSError).code
                result = .failure(
                    MetricsPushError(
                        code == NSURLErrorTimedOut
                            ? "\(server) did not answer within \(timeout) s"
                            : code == NSURLErrorCannotConnectToHost
                                ? "\(server) could not be reached (connection refused)"
                                : "the request to \(server) failed (URL error \(code))"))
            } else if let http = response as? HTTPURLResponse {
                result = .success(http.statusCode)
            } else {
                result = .failure(MetricsPushError("\(server) sent an answer that is not HTTP"))
            }
            outcome.withLock { $0 = result }
            done.signal()
        }
        task.resume()
        if done.wait(timeout: .now() + timeout) == .timedOut {
            task.cancel()
            throw MetricsPushError("\(server) did not answer within \(timeout) s")
        }
        switch outcome.withLock({ $0 }) {
        case .success(let status): return status
        case .failure(let error): throw error
        case nil: throw MetricsPushError("\(server) did not answer")
        }
    }
}
