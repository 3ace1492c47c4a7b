import Foundation

@testable import CarbonTracker

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A tiny HTTP/1.1 server on 127.0.0.1 (ephemeral port) built on POSIX sockets, so that the
/// real HTTP client code runs in tests without any network.
///
/// Every connection gets one answer chosen by `route` and is then closed; `.hang` keeps the
/// connection open without answering until ``stop()`` (or 30 s). Threads end by themselves.
final class LoopbackHTTPServer: Sendable {
    /// What the server does with a request.
    enum Reply: Sendable {
        /// Answers with `status`, a JSON (or any) body and extra headers.
        case answer(status: Int, body: String, headers: [String: String] = [:])
        /// Reads the request and never answers.
        case hang
        /// Closes the connection without answering.
        case close

        static func json(_ body: String) -> Reply { .answer(status: 200, body: body) }
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
    }

    private struct State {
        var stopped = false
        var connections = 0
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
        defer { close(connection) }
        guard let head = readHead(connection) else { return }
        let request = Self.parse(head)
        state.withLock { $0.requests.append(request) }
        switch route(request) {
        case .close:
            return
        case .hang:
            stopped.wait(seconds: 30)
        case .answer(let status, let body, let headers):
            var text = "HTTP/1.1 \(status) \(Self.reason(status))\r\n"
            text +=
                "Content-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\nConnection: close\r\n"
            for (name, value) in headers { text += "\(name): \(value)\r\n" }
            text += "\r\n" + body
            writeAll(connection, Array(text.utf8))
        }
    }

    private func readHead(_ connection: Int32) -> String? {
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        let end = Date().addingTimeInterval(5)
        while Date() < end, bytes.count < 65536 {
            var poller = pollfd(fd: connection, events: Int16(POLLIN), revents: 0)
            guard poll(&poller, 1, 50) > 0 else { continue }
            let count = recv(connection, &buffer, buffer.count, 0)
            guard count > 0 else { return nil }
            bytes += buffer[0..<count]
            if let text = String(bytes: bytes, encoding: .utf8), text.contains("\r\n\r\n") { return text }
        }
        return nil
    }

    private func writeAll(_ connection: Int32, _ bytes: [UInt8]) {
        var offset = 0
        #if canImport(Glibc)
            let flags = Int32(MSG_NOSIGNAL)
        #else
            let flags: Int32 = 0
        #endif
        while offset < bytes.count {
            let written = bytes[offset...].withUnsafeBytes {
                send(connection, $0.baseAddress, $0.count, flags)
            }
            guard written > 0 else { return }
            offset += written
        }
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
        return Request(path: components?.path ?? target, query: query, headers: headers, raw: head)
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
