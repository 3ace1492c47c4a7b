import Foundation

/// A web service's base address, checked once, and the request URLs built from it.
///
/// ```swift
/// let service = try ServiceEndpoint.parse("https://api.carbonintensity.org.uk", variable: "...")
/// service.url(path: ["regional", "postcode", "SW1A"])   // https://api.carbonintensity.org.uk/regional/postcode/SW1A
/// ```
///
/// Only `https` is accepted, except plain `http` to a loopback host (a local mirror or a test server),
/// so an API key and the answers cannot be read or changed on the way.
package struct ServiceEndpoint: Sendable, Equatable {
    package init(base: URL) {
        self.base = base
    }

    /// The base address as given (a trailing slash is ignored when paths are added).
    package let base: URL

    /// Checks a base address given by a user.
    /// - Parameters:
    ///   - text: The address.
    ///   - variable: Where it came from, for the message.
    /// - Throws: ``CarbonTrackerError`` with code `.invalidConfiguration` when it is not usable.
    static func parse(_ text: String, variable: String) throws -> ServiceEndpoint {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        guard let url = URL(string: trimmed), let scheme = url.scheme?.lowercased(), let host = url.host,
            !host.isEmpty, url.fragment == nil
        else {
            throw CarbonTrackerError.invalidConfiguration(
                "\(variable) must be an absolute URL such as https://host/path, got '\(text)'.")
        }
        guard scheme == "https" || (scheme == "http" && HTTPTransportPolicy.isLoopback(host)) else {
            throw CarbonTrackerError.invalidConfiguration(
                "\(variable) must use https (plain http only to 127.0.0.1, ::1 or localhost) so that keys "
                    + "and answers cannot be read or changed on the way, got '\(text)'.")
        }
        return ServiceEndpoint(base: url)
    }

    /// The base address followed by `path` (each part percent-encoded) and `query` (after any query
    /// of the base address, such as an access token).
    func url(path: [String] = [], query: [(String, String)] = []) -> URL {
        guard var components = URLComponents(url: base, resolvingAgainstBaseURL: false) else { return base }
        var basePath = components.percentEncodedPath
        while basePath.hasSuffix("/") { basePath.removeLast() }
        components.percentEncodedPath =
            basePath + path.map { "/" + Self.encode($0, keeping: Self.pathCharacters) }.joined()
        let items = query.map {
            Self.encode($0.0, keeping: Self.unreserved) + "=" + Self.encode($0.1, keeping: Self.unreserved)
        }
        let combined = (components.percentEncodedQuery.map { [$0] } ?? []) + items
        components.percentEncodedQuery = combined.isEmpty ? nil : combined.joined(separator: "&")
        return components.url ?? base
    }

    private static let unreserved = CharacterSet(
        charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
    private static let pathCharacters = unreserved.union(CharacterSet(charactersIn: ":@"))

    private static func encode(_ text: String, keeping allowed: CharacterSet) -> String {
        text.addingPercentEncoding(withAllowedCharacters: allowed) ?? ""
    }

}
