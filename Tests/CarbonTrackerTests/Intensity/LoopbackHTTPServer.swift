import Foundation

@testable import CarbonTracker
@testable import CarbonTrackerMonitor
@testable import CarbonTrackerSources

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A tiny HTTP/1.1 server on 127.0.0.1 (ephemeral port) built on POSIX sockets, so that the
/// real HTTP client code runs in tests without any network.
///
/// Every connection gets one answer chosen by `route` and is then closed; `.hang` keeps the
/// connection open without answering until the client leaves, ``stop()`` or 30 s; `.stream` sends a generated body of
/// any size (endless, chunked, dripped) until the client goes away. Threads end by themselves.
final class LoopbackHTTPServer: Sendable {
    /// What the server does with a request.
    enum Reply: Sendable {
        /// Answers with `status`, a JSON (or any) body and extra headers.
        case answer(status: Int, body: String, headers: [String: String] = [:])
        /// Reads the request and never answers.
        case hang
        /// Closes the connection without answering.
        case close
        /// Answers with a generated JSON body, sent chunk by chunk while the client reads.
        case stream(Stream)

        static func json(_ body: String) -> Reply { .answer(status: 200, body: body) }
    }

    /// A generated answer: valid JSON of `totalBytes` bytes (`{"carbonIntensity": 1, "pad": "aaa…"}`),
    /// or endless (`{"pad": "aaa…` for ever), framed as the server chooses.
    struct Stream: Sendable {
        /// How the body's end is told.
        enum Framing: Sendable {
            /// A `Content-Length` header (`announcedBytes`, else `totalBytes`).
            case contentLength
            /// No length: the body ends when the connection closes.
            case untilClose
            /// `Transfer-Encoding: chunked`, one chunk per write.
            case chunked
        }

        var framing: Framing
        /// Body bytes to send; `nil` for an endless body.
        var totalBytes: Int?
        /// The `Content-Length` announced, when it should differ from `totalBytes`.
        var announcedBytes: Int?
        /// Bytes per write.
        var chunkBytes = 64 * 1024
        /// A pause before each write (a slow drip), in seconds.
        var pauseSeconds = 0.0
        var status = 200
    }
    /// A request as received.
    struct Request: Sendable {
        /// The path without the query, percent-decoded.
        var path: String
        /// The query items, percent-decoded.
        var query: [String: String]
        /// Header fields with lower-case names.
        var headers: [String: String]
        /// The request head as received, for scanning.
        var raw: String
        /// The method (`GET`, `PUT`, ...).
        var method = "GET"
        /// The body, read up to its `Content-Length` (at most 1 MiB).
        var body = Data()
    }

    private struct State {
        var stopped = false
        var connections = 0
        var closedConnections = 0
        var bytesSent = 0
        var requests: [Request] = []
    }

    /// The port the server listens on.
    let port: UInt16
    private let listener: Int32
    private let route: @Sendable (Request) -> Reply
    private let state = LockedBox(State())
    private let stopped = Latch()

    /// `http://127.0.0.1:PORT`.
    var baseURL: String { "http://127.0.0.1:\(port)" }
    /// Every request received so far.
    var requests: [Request] { state.withLock { $0.requests } }
    /// Connections accepted so far (with or without a request).
    var connectionCount: Int { state.withLock { $0.connections } }
    /// Connections this server has finished with (answered, or abandoned by the client).
    var closedConnectionCount: Int { state.withLock { $0.closedConnections } }
    /// Response bytes (head and body) the kernel accepted on all connections so far.
    var bytesSent: Int { state.withLock { $0.bytesSent } }

    /// Waits until `count` connections have been finished with, or `seconds` pass.
    /// - Returns: Whether they were.
    func waitForClosedConnections(_ count: Int, seconds: Double) -> Bool {
        let end = Date().addingTimeInterval(seconds)
        while closedConnectionCount < count {
            if Date() >= end { return false }
            usleep(10_000)
        }
        return true
    }

    /// Starts listening.
    init(route: @escaping @Sendable (Request) -> Reply) throws {
        #if canImport(Glibc)
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        #else
            let fd = socket(AF_INET, SOCK_STREAM, 0)
        #endif
        guard fd >= 0 else { throw POSIXError(.EIO) }
        var yes: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let named = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        guard bound == 0, named == 0, listen(fd, 64) == 0 else {
            close(fd)
            throw POSIXError(.EADDRINUSE)
        }
        listener = fd
        port = UInt16(bigEndian: address.sin_port)
        self.route = route
        let thread = Thread { [self] in acceptLoop() }
        thread.name = "LoopbackHTTPServer"
        thread.start()
    }

    /// Stops accepting, closes hanging connections; returns at once.
    func stop() {
        state.withLock { $0.stopped = true }
        stopped.open()
    }

    private func acceptLoop() {
        defer { close(listener) }
        // Accept with a deadline so that the thread ends within 50 ms of stop(), or after 60 s.
        let end = Date().addingTimeInterval(60)
        while !state.withLock({ $0.stopped }) && Date() < end {
            var poller = pollfd(fd: listener, events: Int16(POLLIN), revents: 0)
            guard poll(&poller, 1, 50) > 0 else { continue }
            let connection = accept(listener, nil, nil)
            guard connection >= 0 else { continue }
            state.withLock { $0.connections += 1 }
            let thread = Thread { [self] in serve(connection) }
            thread.start()
        }
    }

    private func serve(_ connection: Int32) {
        defer {
            close(connection)
            state.withLock { $0.closedConnections += 1 }
        }
        guard let (head, leftover) = readHead(connection) else { return }
        var request = Self.parse(head)
        request.body = readBody(connection, leftover: leftover, length: Self.contentLength(request.headers))
        state.withLock { $0.requests.append(request) }
        switch route(request) {
        case .close:
            return
        case .hang:
            waitForClientToLeave(connection)
        case .answer(let status, let body, let headers):
            var text = "HTTP/1.1 \(status) \(Self.reason(status))\r\n"
            text +=
                "Content-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\nConnection: close\r\n"
            for (name, value) in headers { text += "\(name): \(value)\r\n" }
            text += "\r\n" + body
            _ = writeAll(connection, Array(text.utf8))
        case .stream(let stream):
            sendStream(stream, to: connection)
        }
    }

    private func sendStream(_ stream: Stream, to connection: Int32) {
        var head =
            "HTTP/1.1 \(stream.status) \(Self.reason(stream.status))\r\nContent-Type: application/json\r\n"
        switch stream.framing {
        case .contentLength: head += "Content-Length: \(stream.announcedBytes ?? stream.totalBytes ?? 0)\r\n"
        case .untilClose: break
        case .chunked: head += "Transfer-Encoding: chunked\r\n"
        }
        head += "Connection: close\r\n\r\n"
        guard writeAll(connection, Array(head.utf8)) else { return }
        var offset = 0
        let end = Date().addingTimeInterval(60)
        while stream.totalBytes.map({ offset < $0 }) ?? true, Date() < end, !state.withLock({ $0.stopped }) {
            if stream.pauseSeconds > 0 && stopped.wait(seconds: stream.pauseSeconds) { return }
            let count = min(stream.chunkBytes, (stream.totalBytes ?? Int.max) - offset)
            var bytes = Self.jsonBytes(from: offset, count: count, total: stream.totalBytes)
            if stream.framing == .chunked {
                bytes = Array((String(count, radix: 16) + "\r\n").utf8) + bytes + Array("\r\n".utf8)
            }
            guard writeAll(connection, bytes) else { return }
            offset += count
        }
        if stream.framing == .chunked { _ = writeAll(connection, Array("0\r\n\r\n".utf8)) }
    }

    /// Holds the connection without answering until the client closes it, the server stops, or 30 s.
    private func waitForClientToLeave(_ connection: Int32) {
        var buffer = [UInt8](repeating: 0, count: 4096)
        let end = Date().addingTimeInterval(30)
        while Date() < end, !state.withLock({ $0.stopped }) {
            var poller = pollfd(fd: connection, events: Int16(POLLIN), revents: 0)
            guard poll(&poller, 1, 50) > 0 else { continue }
            if recv(connection, &buffer, buffer.count, 0) <= 0 { return }
        }
    }

    /// `count` bytes from `offset` of the generated JSON body of `total` bytes (endless when `nil`).
    static func jsonBytes(from offset: Int, count: Int, total: Int?) -> [UInt8] {
        let prefix = Array((total == nil ? "{\"pad\": \"" : "{\"carbonIntensity\": 1, \"pad\": \"").utf8)
        let suffix = Array("\"}".utf8)
        var bytes = [UInt8](repeating: UInt8(ascii: "a"), count: count)
        if offset < prefix.count {
            for position in offset..<min(prefix.count, offset + count) {
                bytes[position - offset] = prefix[position]
            }
        }
        if let total, offset + count > total - suffix.count {
            let start = total - suffix.count
            for position in max(offset, start)..<(offset + count) {
                bytes[position - offset] = suffix[position - start]
            }
        }
        return bytes
    }

    /// The request head and whatever of the body arrived with it.
    private func readHead(_ connection: Int32) -> (String, [UInt8])? {
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        let end = Date().addingTimeInterval(5)
        let separator: [UInt8] = [13, 10, 13, 10]
        while Date() < end, bytes.count < 65536 {
            var poller = pollfd(fd: connection, events: Int16(POLLIN), revents: 0)
            guard poll(&poller, 1, 50) > 0 else { continue }
            let count = recv(connection, &buffer, buffer.count, 0)
            guard count > 0 else { return nil }
            bytes += buffer[0..<count]
            if let range = bytes.firstRange(of: separator) {
                return (
                    String(decoding: bytes[..<range.upperBound], as: UTF8.self),
                    Array(bytes[range.upperBound...])
                )
            }
        }
        return nil
    }

    private func readBody(_ connection: Int32, leftover: [UInt8], length: Int) -> Data {
        var bytes = leftover
        var buffer = [UInt8](repeating: 0, count: 4096)
        let wanted = min(length, 1 << 20)
        let end = Date().addingTimeInterval(5)
        while bytes.count < wanted, Date() < end {
            var poller = pollfd(fd: connection, events: Int16(POLLIN), revents: 0)
            guard poll(&poller, 1, 50) > 0 else { continue }
            let count = recv(connection, &buffer, buffer.count, 0)
            guard count > 0 else { break }
            bytes += buffer[0..<count]
        }
        return Data(bytes.prefix(wanted))
    }

    private static func contentLength(_ headers: [String: String]) -> Int {
        headers["content-length"].flatMap { Int($0.trimmingCharacters(in: .whitespaces)) } ?? 0
    }

    /// Writes every byte, waiting while the client is slow; `false` once the client is gone or the
    /// server stopped.
    private func writeAll(_ connection: Int32, _ bytes: [UInt8]) -> Bool {
        var offset = 0
        #if canImport(Glibc)
            let flags = Int32(MSG_NOSIGNAL)
        #else
            let flags: Int32 = 0
        #endif
        while offset < bytes.count {
            var poller = pollfd(fd: connection, events: Int16(POLLOUT), revents: 0)
            guard poll(&poller, 1, 50) > 0 else {
                if state.withLock({ $0.stopped }) { return false }
                continue
            }
            let written = bytes[offset...].withUnsafeBytes {
                send(connection, $0.baseAddress, $0.count, flags)
            }
            guard written > 0 else { return false }
            offset += written
            state.withLock { $0.bytesSent += written }
        }
        return true
    }

    private static func parse(_ head: String) -> Request {
        let lines = head.components(separatedBy: "\r\n")
        let target = lines.first?.split(separator: " ").dropFirst().first.map(String.init) ?? "/"
        var headers: [String: String] = [:]
        for line in lines.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers[line[..<colon].lowercased()] = line[line.index(after: colon)...]
                .trimmingCharacters(in: .whitespaces)
        }
        let components = URLComponents(string: target)
        var query: [String: String] = [:]
        for item in components?.queryItems ?? [] { query[item.name] = item.value ?? "" }
        let method = lines.first?.split(separator: " ").first.map(String.init) ?? "GET"
        return Request(
            path: components?.path ?? target, query: query, headers: headers, raw: head, method: method)
    }

    private static func reason(_ status: Int) -> String {
        switch status {
        case 200: "OK"
        case 302: "Found"
        case 401: "Unauthorized"
        case 404: "Not Found"
        case 429: "Too Many Requests"
        case 500: "Internal Server Error"
        case 503: "Service Unavailable"
        default: "Status"
        }
    }
}
