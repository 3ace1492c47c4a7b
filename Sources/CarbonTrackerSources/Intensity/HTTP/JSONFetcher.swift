import Foundation

/// Fetches and decodes one JSON document, turning every failure (time-out, HTTP error status,
/// rate limit, redirect, empty, oversized or malformed body) into one ``IntensityFetchError`` sentence.
///
/// Decoding runs on the calling thread, within the caller's deadline, over a body the client has
/// already capped (``HTTPLimits/maximumResponseBodyBytes``), so its time and memory are bounded.
/// The body of an error answer is quoted in the message (160 characters at most) only when the
/// request carried no credential: a server may echo a key in any form (cut, JSON-escaped,
/// percent-encoded), so an authenticated request's body never reaches a log.
package struct JSONFetcher: Sendable {
    package init(client: any HTTPClient, requestTimeoutSeconds: Double) {
        self.client = client
        self.requestTimeoutSeconds = requestTimeoutSeconds
    }

    /// The transport.
    let client: any HTTPClient
    /// The longest one request may take, in seconds.
    let requestTimeoutSeconds: Double

    /// Fetches `url` and decodes its body as `T`.
    /// - Parameters:
    ///   - type: The expected document shape.
    ///   - url: The address.
    ///   - headers: Extra header fields (such as an API key).
    ///   - deadline: When the caller stops waiting; the request gets what is left, at most the time-out.
    ///   - secrets: Strings that must not appear in a message (keys a server might echo back).
    /// - Returns: The decoded document.
    /// - Throws: ``IntensityFetchError`` describing the failure.
    func fetch<T: Decodable>(
        _ type: T.Type, from url: URL, headers: [String: String] = [:], deadline: ContinuousClock.Instant,
        secrets: [String] = []
    ) throws(IntensityFetchError) -> T {
        let server = hostDescription(url)
        guard let leftSeconds = Self.seconds(until: deadline) else {
            throw IntensityFetchError("no time was left to ask \(server).")
        }
        var fields = headers
        if !fields.keys.contains(where: { $0.lowercased() == "accept" }) {
            fields["Accept"] = "application/json"
        }
        let response = try client.get(
            url, headers: fields, timeoutSeconds: min(requestTimeoutSeconds, leftSeconds))
        let authenticated =
            !headers.isEmpty || secrets.contains { !$0.isEmpty } || Self.carriesCredential(url)
        guard (200..<300).contains(response.status) else {
            throw IntensityFetchError(
                Self.describeStatus(response, server: server, quotingBody: !authenticated, secrets: secrets))
        }
        guard !response.body.allSatisfy({ $0 == 0x20 || $0 == 0x0A || $0 == 0x0D || $0 == 0x09 }) else {
            throw IntensityFetchError("\(server) answered HTTP \(response.status) with an empty body.")
        }
        guard Self.seconds(until: deadline) != nil else {
            throw IntensityFetchError("\(server) answered too late to be used.")
        }
        do {
            return try JSONDecoder().decode(T.self, from: response.body)
        } catch let error as DecodingError {
            throw IntensityFetchError("\(server) answered with unexpected JSON: \(Self.describe(error)).")
        } catch {
            throw IntensityFetchError("\(server) answered with a body that could not be read.")
        }
    }

    /// Seconds left until `deadline`, or `nil` when none are.
    private static func seconds(until deadline: ContinuousClock.Instant) -> Double? {
        let left = ContinuousClock.now.duration(to: deadline)
        let seconds = Double(left.components.seconds) + Double(left.components.attoseconds) * 1e-18
        return seconds > 0 ? seconds : nil
    }

    /// Whether the address carries a credential in its query (`?token=…`, `?api_key=…`).
    private static func carriesCredential(_ url: URL) -> Bool {
        let items = URLComponents(url: url, resolvingAgainstBaseURL: false)?.queryItems ?? []
        return items.contains { item in
            let name = item.name.lowercased()
            return ["token", "key", "auth", "secret", "password", "signature"].contains { name.contains($0) }
        }
    }

    private static func describeStatus(
        _ response: HTTPResponse, server: String, quotingBody: Bool, secrets: [String]
    ) -> String {
        let status = response.status
        var text = "\(server) answered HTTP \(status)"
        if let reason = HTTPStatusReason.phrase(status) { text += " (\(reason))" }
        switch status {
        case 429:
            text += ": too many requests"
            if let retry = response.headers["retry-after"], retry.count <= 40,
                retry.allSatisfy({ $0.isLetter || $0.isNumber || " ,:-".contains($0) }),
                !secrets.contains(where: { !$0.isEmpty && retry.contains($0) })
            {
                text += ", retry after \(retry)" + (retry.allSatisfy(\.isNumber) ? " s" : "")
            }
        case 300..<400:
            text += ": redirects are not followed"
            if let location = response.headers["location"], let target = URL(string: location),
                target.host != nil
            {
                text += " (to \(hostDescription(target)))"
            }
        case 401, 403:
            text += ": the API key was refused or does not allow this request"
        default:
            break
        }
        if quotingBody, let excerpt = excerpt(response.body) { text += ": " + excerpt }
        return text + "."
    }

    /// The start of a body on one line, for context in messages (unauthenticated requests only).
    private static func excerpt(_ body: Data) -> String? {
        let text = String(decoding: body.prefix(4096), as: UTF8.self)
        let words = text.split(whereSeparator: { $0.isWhitespace || $0.isNewline })
        guard !words.isEmpty else { return nil }
        let line = words.joined(separator: " ")
        return line.count > 160 ? String(line.prefix(160)) + "…" : line
    }

    private static func describe(_ error: DecodingError) -> String {
        func path(_ keys: [any CodingKey]) -> String {
            keys.isEmpty
                ? "the document"
                : keys.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }
                    .joined(separator: ".")
        }
        switch error {
        case .keyNotFound(let key, let context):
            return "missing field '\(key.stringValue)' in \(path(context.codingPath))"
        case .valueNotFound(_, let context):
            return "no value for \(path(context.codingPath))"
        case .typeMismatch(_, let context):
            return "\(path(context.codingPath)) has an unexpected type"
        case .dataCorrupted(let context):
            return context.codingPath.isEmpty ? "not valid JSON" : "\(path(context.codingPath)) is invalid"
        @unknown default:
            return "it could not be decoded"
        }
    }
}

/// The reason phrases of the statuses a web service commonly answers with (RFC 9110).
enum HTTPStatusReason {
    /// The phrase for `status`, or `nil` for an uncommon status.
    static func phrase(_ status: Int) -> String? {
        switch status {
        case 300: "multiple choices"
        case 301: "moved permanently"
        case 302: "found"
        case 303: "see other"
        case 304: "not modified"
        case 307: "temporary redirect"
        case 308: "permanent redirect"
        case 400: "bad request"
        case 401: "unauthorized"
        case 403: "forbidden"
        case 404: "not found"
        case 405: "method not allowed"
        case 408: "request timeout"
        case 409: "conflict"
        case 410: "gone"
        case 413: "content too large"
        case 415: "unsupported media type"
        case 422: "unprocessable content"
        case 429: "too many requests"
        case 500: "internal server error"
        case 501: "not implemented"
        case 502: "bad gateway"
        case 503: "service unavailable"
        case 504: "gateway timeout"
        default: nil
        }
    }
}
