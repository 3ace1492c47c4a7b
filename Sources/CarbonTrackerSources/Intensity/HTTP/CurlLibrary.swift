import CCurl
import Foundation

/// libcurl, loaded at run time through the `CCurl` dlopen shim, so that the executable neither links
/// against it nor fails to start where it is missing.
///
/// ```swift
/// let curl = try CurlLibrary.load(path: nil)   // libcurl.so.4, else libcurl-gnutls.so.4
/// ```
///
/// A library is loaded once per path and kept for the life of the process (libcurl's global state
/// must not be torn down while another thread may use it). Loading costs a `dlopen` and
/// `curl_global_init`; a failed load is retried on the next request, which costs a file search.
package final class CurlLibrary: Sendable {
    /// The loaded library; its functions may be called from any thread, one transfer per thread.
    nonisolated(unsafe) private let handle: OpaquePointer
    /// The path or file name it was loaded from.
    let path: String
    /// libcurl's version, e.g. "7.88.1".
    let version: String
    /// Whether this libcurl speaks https.
    let supportsHTTPS: Bool

    /// The environment variable that names the library to load instead of the default names.
    package static let pathVariable = "CARBONTRACKER_CURL_LIBRARY"

    /// The names tried, in order, when no path is given: the OpenSSL build, then the GnuTLS build
    /// (Debian and Ubuntu ship both; most nodes have at least one).
    static var defaultNames: [String] {
        #if os(macOS)
            ["libcurl.4.dylib", "/usr/lib/libcurl.4.dylib"]
        #else
            ["libcurl.so.4", "libcurl-gnutls.so.4"]
        #endif
    }

    private static let loaded = LockedBox<[String: CurlLibrary]>([:])

    private init(handle: OpaquePointer, path: String) {
        self.handle = handle
        self.path = path
        self.version = String(cString: ccurl_version(handle))
        self.supportsHTTPS = ccurl_supports_https(handle) != 0
    }

    /// The library at `path`, or the first of ``defaultNames`` that loads.
    /// - Parameter path: A path or file name; `nil` tries the default names.
    /// - Returns: The loaded library.
    /// - Throws: ``IntensityFetchError`` saying that no HTTP request can be made and how to fix it.
    package static func load(path: String?) throws(IntensityFetchError) -> CurlLibrary {
        let names = path.map { [$0] } ?? defaultNames
        var reasons: [String] = []
        for name in names {
            if let library = loaded.withLock({ $0[name] }) { return library }
            var reason = [CChar](repeating: 0, count: 512)
            guard let handle = ccurl_open(name, &reason, reason.count) else {
                reasons.append(
                    String(decoding: reason.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))
                continue
            }
            return loaded.withLock { cache in
                if let existing = cache[name] { return existing }
                let library = CurlLibrary(handle: handle, path: name)
                cache[name] = library
                return library
            }
        }
        let fix =
            path == nil
            ? "install libcurl (Debian and Ubuntu: apt-get install libcurl4; RHEL and Fedora: dnf install "
                + "libcurl) or set \(pathVariable) to its path"
            : "point \(pathVariable) at an existing libcurl.so.4, or unset it to use the system's"
        throw IntensityFetchError(
            "libcurl could not be loaded (\(reasons.joined(separator: "; "))), so no HTTP request can be made; "
                + fix + ".")
    }

    /// libcurl's words for a result code.
    func describe(_ code: Int32) -> String { String(cString: ccurl_strerror(handle, code)) }

    /// Performs `transfer` on the calling thread; see ``CurlTransfer``.
    func perform(_ transfer: CurlTransfer, _ request: UnsafePointer<ccurl_request>) -> Int32 {
        ccurl_perform(handle, transfer.raw, request)
    }
}

/// One transfer's state in C: its cancellation flag, the body received and the answer's headers.
///
/// It is performed on one thread; ``cancel()`` may be called from any thread (an atomic flag the
/// progress callback reads). Freed when the last reference goes.
final class CurlTransfer: Sendable {
    nonisolated(unsafe) let raw: OpaquePointer

    /// A fresh transfer, or `nil` when out of memory.
    init?() {
        guard let raw = ccurl_transfer_create() else { return nil }
        self.raw = raw
    }

    deinit { ccurl_transfer_free(raw) }

    /// Asks the transfer to stop at its next progress callback (at least about once a second).
    func cancel() { ccurl_transfer_cancel(raw) }

    /// The HTTP status received, 0 when none.
    var status: Int { Int(ccurl_transfer_status(raw)) }

    /// Why the shim stopped the transfer (`CCURL_STOP_...`).
    var stopReason: Int32 { ccurl_transfer_stop_reason(raw) }

    /// The body received.
    var body: Data {
        var length = 0
        guard let bytes = ccurl_transfer_body(raw, &length), length > 0 else { return Data() }
        return Data(bytes: bytes, count: length)
    }

    /// The answer's header fields, names lower-cased, repeated fields joined with ", ".
    var headers: [String: String] {
        var length = 0
        let start = ccurl_transfer_headers(raw, &length)
        guard let start, length > 0 else { return [:] }
        let text = start.withMemoryRebound(to: UInt8.self, capacity: length) {
            String(decoding: UnsafeBufferPointer(start: $0, count: length), as: UTF8.self)
        }
        var fields: [String: String] = [:]
        for line in text.split(whereSeparator: { $0 == "\r\n" || $0 == "\n" || $0 == "\r" }) {
            guard let colon = line.firstIndex(of: ":"), !line.hasPrefix("HTTP/") else { continue }
            let name = line[..<colon].trimmingCharacters(in: .whitespaces).lowercased()
            let value = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            fields[name] = fields[name].map { $0 + ", " + value } ?? value
        }
        return fields
    }

    /// libcurl's detailed error text ("" when none).
    var errorText: String { String(cString: ccurl_transfer_error(raw)) }
}
