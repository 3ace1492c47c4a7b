import Foundation

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// The HTTP client used by live intensity sources: an ephemeral `URLSession` (no cache, no cookies)
/// that never follows redirects, so an API key header is only ever sent to the configured host.
///
/// Each call blocks the calling thread (a background or sampling thread, never the training thread)
/// for at most its time-out: the request is cancelled when the deadline passes. The session is
/// created on the first request, so a client that is never used (offline) costs nothing.
final class URLSessionHTTPClient: HTTPClient {
    private struct Session {
        var session: URLSession?
        var cancelled = false
        /// Tasks started and not yet finished, so ``cancelAll()`` can cancel them.
        var tasks: [Int: URLSessionDataTask] = [:]
        var nextTaskID = 0
    }

    private let box = LockedBox(Session())

    /// Creates a client; its session is made on first use.
    init() {}

    /// The session, made on first use. Called only under `box`'s lock.
    private static func session(_ state: inout Session) -> URLSession {
        if let session = state.session { return session }
        let configuration = URLSessionConfiguration.ephemeral
        configuration.requestCachePolicy = .reloadIgnoringLocalCacheData
        configuration.urlCache = nil
        configuration.httpCookieStorage = nil
        configuration.httpShouldSetCookies = false
        configuration.httpAdditionalHeaders = ["Accept": "application/json"]
        let session = URLSession(
            configuration: configuration, delegate: RedirectRefusal(), delegateQueue: nil)
        state.session = session
        return session
    }

    func get(_ url: URL, headers: [String: String], timeoutSeconds: Double) throws(IntensityFetchError)
        -> HTTPResponse
    {
        let timeout = max(0.01, timeoutSeconds)
        var request = URLRequest(
            url: url, cachePolicy: .reloadIgnoringLocalCacheData, timeoutInterval: timeout)
        request.httpMethod = "GET"
        for (name, value) in headers { request.setValue(value, forHTTPHeaderField: name) }

        let outcome = LockedBox<Result<HTTPResponse, IntensityFetchError>?>(nil)
        let done = DispatchSemaphore(value: 0)
        let server = hostDescription(url)
        let completion: @Sendable (Data?, URLResponse?, (any Error)?) -> Void = { data, response, error in
            let result: Result<HTTPResponse, IntensityFetchError>
            if let error {
                result = .failure(Self.describe(error, server: server, timeout: timeout))
            } else if let http = response as? HTTPURLResponse {
                var fields: [String: String] = [:]
                for (name, value) in http.allHeaderFields {
                    fields[String(describing: name).lowercased()] = String(describing: value)
                }
                result = .success(
                    HTTPResponse(status: http.statusCode, headers: fields, body: data ?? Data()))
            } else {
                result = .failure(IntensityFetchError("\(server) sent an answer that is not HTTP."))
            }
            outcome.withLock { $0 = result }
            done.signal()
        }
        // Made, registered and resumed under the lock `cancelAll()` takes: FoundationNetworking traps
        // ("Session invalidated") when a task is made on a session another thread has just invalidated.
        let started = box.withLock { state -> (task: URLSessionDataTask, id: Int)? in
            guard !state.cancelled else { return nil }
            let task = Self.session(&state).dataTask(with: request, completionHandler: completion)
            let id = state.nextTaskID
            state.nextTaskID += 1
            state.tasks[id] = task
            task.resume()
            return (task, id)
        }
        guard let (task, id) = started else {
            throw IntensityFetchError("the request to \(server) was cancelled.")
        }
        defer { _ = box.withLock { $0.tasks.removeValue(forKey: id) } }
        if done.wait(timeout: .now() + timeout) == .timedOut {
            task.cancel()
            throw IntensityFetchError(
                "\(server) did not answer within \(Self.seconds(timeout)) s.")
        }
        switch outcome.withLock({ $0 }) {
        case .success(let response): return response
        case .failure(let error): throw error
        case nil: throw IntensityFetchError("\(server) did not answer.")
        }
    }

    func cancelAll() {
        let (session, tasks) = box.withLock { state -> (URLSession?, [URLSessionDataTask]) in
            state.cancelled = true
            defer {
                state.session = nil
                state.tasks = [:]
            }
            return (state.session, Array(state.tasks.values))
        }
        for task in tasks { task.cancel() }
        // No task can be made any more (`cancelled` is checked under the lock), so invalidating is safe.
        session?.invalidateAndCancel()
    }

    private static func describe(_ error: any Error, server: String, timeout: Double) -> IntensityFetchError {
        let nsError = error as NSError
        guard nsError.domain == NSURLErrorDomain else {
            return IntensityFetchError("the request to \(server) failed: \(nsError.localizedDescription).")
        }
        switch nsError.code {
        case NSURLErrorTimedOut:
            return IntensityFetchError("\(server) did not answer within \(seconds(timeout)) s.")
        case NSURLErrorCancelled:
            return IntensityFetchError("the request to \(server) was cancelled.")
        case NSURLErrorCannotFindHost, NSURLErrorDNSLookupFailed:
            return IntensityFetchError("the host \(server) could not be resolved (no network or no DNS).")
        case NSURLErrorCannotConnectToHost, NSURLErrorNetworkConnectionLost, NSURLErrorNotConnectedToInternet:
            return IntensityFetchError("\(server) could not be reached (connection refused or lost).")
        case NSURLErrorServerCertificateUntrusted, NSURLErrorSecureConnectionFailed,
            NSURLErrorServerCertificateHasBadDate, NSURLErrorServerCertificateHasUnknownRoot:
            return IntensityFetchError("the TLS connection to \(server) failed (certificate not trusted).")
        default:
            return IntensityFetchError(
                "the request to \(server) failed (URL error \(nsError.code)).")
        }
    }

    private static func seconds(_ value: Double) -> String {
        value == value.rounded() ? String(Int(value)) : String(format: "%.1f", value)
    }
}

/// Answers every redirect with "do not follow", so the 3xx itself is reported.
private final class RedirectRefusal: NSObject, URLSessionTaskDelegate {
    func urlSession(
        _ session: URLSession, task: URLSessionTask, willPerformHTTPRedirection response: HTTPURLResponse,
        newRequest request: URLRequest, completionHandler: @escaping (URLRequest?) -> Void
    ) {
        completionHandler(nil)
    }
}
