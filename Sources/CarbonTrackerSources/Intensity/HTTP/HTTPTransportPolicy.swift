import Foundation

/// What may be sent where: `https` everywhere, plain `http` only to a loopback host unless a request
/// opts in, and header fields that cannot smuggle extra lines into a request.
enum HTTPTransportPolicy {
    /// Whether `host` is this machine: `localhost`, `::1` or an IPv4 address in 127.0.0.0/8.
    /// - Parameter host: A host name or address literal, with or without IPv6 brackets.
    /// - Returns: `true` for a loopback host.
    static func isLoopback(_ host: String) -> Bool {
        let name = host.lowercased().trimmingCharacters(in: CharacterSet(charactersIn: "[]"))
        if name == "localhost" || name == "::1" || name == "0:0:0:0:0:0:0:1" { return true }
        let parts = name.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4, parts[0] == "127" else { return false }
        return parts.allSatisfy { part in
            !part.isEmpty && part.count <= 3 && part.allSatisfy(\.isASCII) && part.allSatisfy(\.isNumber)
                && Int(part).map { $0 <= 255 } == true
        }
    }

    /// Checks a request before anything is sent.
    /// - Parameter request: The request.
    /// - Throws: ``IntensityFetchError`` naming the rule it breaks.
    static func check(_ request: HTTPRequest) throws(IntensityFetchError) {
        let server = hostDescription(request.url)
        guard let scheme = request.url.scheme?.lowercased(), let host = request.url.host, !host.isEmpty else {
            throw IntensityFetchError("the address for \(server) is not an absolute http or https URL.")
        }
        switch scheme {
        case "https":
            break
        case "http" where isLoopback(host) || request.allowsPlainHTTP:
            break
        case "http":
            throw IntensityFetchError(
                "plain http to \(server) was refused: only https is used, except to a loopback host, so that "
                    + "keys and answers cannot be read or changed on the way.")
        default:
            throw IntensityFetchError(
                "the scheme '\(scheme)' of the address for \(server) is not http or https.")
        }
        for (name, value) in request.headers {
            guard !name.isEmpty, name.utf8.allSatisfy(isTokenByte) else {
                throw IntensityFetchError(
                    "the header name '\(name)' for \(server) is not a valid HTTP token.")
            }
            guard !value.utf8.contains(where: { $0 == 0x0D || $0 == 0x0A || $0 == 0 }) else {
                // The value is not quoted: it may be a key.
                throw IntensityFetchError(
                    "the value of the header '\(name)' for \(server) contains a line break or NUL.")
            }
        }
    }

    private static func isTokenByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"):
            return true
        default:
            return "!#$%&'*+-.^_`|~".utf8.contains(byte)
        }
    }
}
