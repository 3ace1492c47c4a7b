import Foundation

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// Fetches and decodes one JSON document, turning every failure (time-out, HTTP error status,
/// rate limit, redirect, empty or malformed body) into one ``IntensityFetchError`` sentence.
struct JSONFetcher: Sendable {
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
        let left = ContinuousClock.now.duration(to: deadline)
        let leftSeconds = Double(left.components.seconds) + Double(left.components.attoseconds) * 1e-18
        guard leftSeconds > 0 else {
            throw IntensityFetchError("no time was left to ask \(server).")
        }
        let response = try client.get(
            url, headers: headers, timeoutSeconds: min(requestTimeoutSeconds, leftSeconds))
        guard (200..<300).contains(response.status) else {
            throw IntensityFetchError(Self.describeStatus(response, server: server, secrets: secrets))
        }
        guard !response.body.allSatisfy({ $0 == 0x20 || $0 == 0x0A || $0 == 0x0D || $0 == 0x09 }) else {
            throw IntensityFetchError("\(server) answered HTTP \(response.status) with an empty body.")
        }
        do {
            return try JSONDecoder().decode(T.self, from: response.body)
        } catch let error as DecodingError {
            throw IntensityFetchError("\(server) answered with unexpected JSON: \(Self.describe(error)).")
        } catch {
            throw IntensityFetchError("\(server) answered with a body that could not be read.")
        }
    }

    private static func describeStatus(_ response: HTTPResponse, server: String, secrets: [String]) -> String
    {
        let status = response.status
        let reason = HTTPURLResponse.localizedString(forStatusCode: status)
        var text = "\(server) answered HTTP \(status) (\(reason))"
        switch status {
        case 429:
            text += ": too many requests"
            if let retry = response.headers["retry-after"] { text += ", retry after \(retry) s" }
        case 300..<400:
            text += ": redirects are not followed"
            if let location = response.headers["location"], let target = URL(string: location) {
                text += " (to \(hostDescription(target)))"
            }
        case 401, 403:
            text += ": the API key was refused or does not allow this request"
        default:
            break
        }
        if let excerpt = excerpt(response.body, secrets: secrets) { text += ": " + excerpt }
        return text + "."
    }

    /// The start of a body on one line, without any secret, for context in messages.
    private static func excerpt(_ body: Data, secrets: [String]) -> String? {
        guard var text = String(data: body.prefix(400), encoding: .utf8) else { return nil }
        for secret in secrets where !secret.isEmpty {
            text = text.replacingOccurrences(of: secret, with: "[redacted]")
        }
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
