import Foundation
import Testing

@testable import CarbonTracker
@testable import CarbonTrackerMonitor
@testable import CarbonTrackerSources

/// Whether the system's libcurl loads, for the tests that make real HTTP requests.
enum Libcurl {
    static let isAvailable = (try? CurlLibrary.load(path: nil)) != nil
    static let missing: Comment = "libcurl is not installed here (Debian: apt-get install libcurl4)"
}

/// The libcurl transport's guarantees, against the loopback server: deadlines whatever the server does,
/// capped bodies, refused redirects and plain http, cancellation, and a missing libcurl.
@Suite(.enabled(if: Libcurl.isAvailable, Libcurl.missing))
struct CurlHTTPClientTests {
    /// Sends `request` from a thread of its own; returns the outcome and the seconds it took.
    private func send(_ request: HTTPRequest, client: CurlHTTPClient = CurlHTTPClient()) async throws -> (
        result: Result<HTTPResponse, IntensityFetchError>, seconds: Double
    ) {
        try await IntensityTesting.blocking {
            var result: Result<HTTPResponse, IntensityFetchError>!
            let seconds = IntensityTesting.seconds {
                result = Result { () throws(IntensityFetchError) -> HTTPResponse in try client.send(request) }
            }
            return (result, seconds)
        }
    }

    private func message(_ result: Result<HTTPResponse, IntensityFetchError>) -> String {
        if case .failure(let error) = result { return error.message }
        return "no error"
    }

    private func url(_ server: LoopbackHTTPServer, _ path: String = "/x") throws -> URL {
        try #require(URL(string: server.baseURL + path))
    }

    @Test func putsABodyWithHeadersAndBasicAuthentication() async throws {
        let server = try LoopbackHTTPServer { _ in .answer(status: 202, body: "", headers: ["X-Reply": "yes"])
        }
        defer { server.stop() }
        let text = "# TYPE carbontracker_energy_joules counter\ncarbontracker_energy_joules 12.5\n"
        let request = HTTPRequest(
            method: .put, url: try url(server, "/metrics/job/training"),
            headers: [
                "Content-Type": "text/plain; version=0.0.4",
                "Authorization": HTTPRequest.basicAuthorization(user: "ci", password: "p@ss:word"),
            ],
            body: Data(text.utf8), timeoutSeconds: 5)
        let (result, _) = try await send(request)
        let response = try result.get()
        #expect(response.status == 202)
        #expect(response.headers["x-reply"] == "yes")
        let received = try #require(server.requests.first)
        #expect(received.method == "PUT")
        #expect(received.path == "/metrics/job/training")
        #expect(String(decoding: received.body, as: UTF8.self) == text)
        #expect(received.headers["content-type"] == "text/plain; version=0.0.4")
        #expect(
            received.headers["authorization"] == "Basic " + Data("ci:p@ss:word".utf8).base64EncodedString())
        #expect(received.headers["expect"] == nil)
    }

    @Test func thePushgatewayTransportPutsThroughTheClient() async throws {
        let server = try LoopbackHTTPServer { _ in .answer(status: 200, body: "") }
        defer { server.stop() }
        let transport = HTTPClientMetricsPushTransport()
        let url = try url(server, "/metrics/job/carbontracker/instance/node-7")
        let status = try await IntensityTesting.blocking {
            try transport.put(
                url: url, body: Data("carbontracker_epochs_total 3\n".utf8),
                headers: ["Authorization": HTTPRequest.basicAuthorization(user: "ci", password: "s3cret")],
                timeoutSeconds: 5)
        }
        #expect(status == 200)
        #expect(server.requests.first?.method == "PUT")
        #expect(
            server.requests.first.map { String(decoding: $0.body, as: UTF8.self) }
                == "carbontracker_epochs_total 3\n")
        let refused = try #require(URL(string: "http://127.0.0.1:9/metrics/job/x"))
        let error = try await IntensityTesting.blocking { () -> MetricsPushError? in
            do {
                _ = try transport.put(url: refused, body: Data(), headers: [:], timeoutSeconds: 2)
                return nil
            } catch let error as MetricsPushError {
                return error
            }
        }
        #expect(error?.message == "127.0.0.1:9 could not be reached (connection refused or no route)")
    }

    @Test func anEmptyPutSaysSo() async throws {
        let server = try LoopbackHTTPServer { _ in .answer(status: 200, body: "{}") }
        defer { server.stop() }
        let (result, _) = try await send(
            HTTPRequest(method: .put, url: try url(server), body: Data(), timeoutSeconds: 5))
        #expect(try result.get().status == 200)
        #expect(server.requests.first?.method == "PUT")
        #expect(server.requests.first?.headers["content-length"] == "0")
    }

    @Test(arguments: [
        ("127.0.0.1", true), ("127.1.2.3", true), ("localhost", true), ("LOCALHOST", true), ("::1", true),
        ("[::1]", true), ("127.evil.example", false), ("1270.0.0.1", false), ("128.0.0.1", false),
        ("127.0.0.256", false), ("example.org", false), ("10.0.0.1", false),
    ])
    func recognisesLoopbackHosts(host: String, loopback: Bool) {
        #expect(HTTPTransportPolicy.isLoopback(host) == loopback)
    }

    @Test func aBaseURLOnAHostThatOnlyLooksLoopbackIsRefused() {
        #expect(throws: CarbonTrackerError.self) {
            try ServiceEndpoint.parse(
                "http://127.evil.example/v3", variable: "CARBONTRACKER_ELECTRICITYMAPS_URL")
        }
    }

    @Test func plainHTTPGoesOnlyToLoopbackUnlessTheRequestOptsIn() async throws {
        // 192.0.2.0/24 is reserved for documentation: nothing answers there.
        let remote = try #require(URL(string: "http://192.0.2.1:9091/metrics/job/x"))
        let (refused, _) = try await send(
            HTTPRequest(method: .put, url: remote, body: Data("x".utf8), timeoutSeconds: 0.5))
        #expect(message(refused).contains("plain http to 192.0.2.1:9091 was refused"))
        let (allowed, _) = try await send(
            HTTPRequest(
                method: .put, url: remote, body: Data("x".utf8), timeoutSeconds: 0.5, allowsPlainHTTP: true))
        #expect(!message(allowed).contains("was refused"))
        #expect(throws: IntensityFetchError.self) { try allowed.get() }
    }

    @Test(arguments: ["ftp://127.0.0.1/x", "file:///etc/passwd", "gopher://127.0.0.1/"])
    func otherSchemesAreRefused(address: String) async throws {
        let (result, _) = try await send(
            HTTPRequest(url: try #require(URL(string: address)), timeoutSeconds: 1))
        #expect(throws: IntensityFetchError.self) { try result.get() }
    }

    @Test func headerValuesCannotSmuggleLines() async throws {
        let server = try LoopbackHTTPServer { _ in .json("{}") }
        defer { server.stop() }
        let (result, _) = try await send(
            HTTPRequest(
                url: try url(server), headers: ["auth-token": "key\r\nX-Injected: 1"], timeoutSeconds: 2))
        #expect(message(result).contains("contains a line break"))
        #expect(!message(result).contains("key"))
        #expect(server.connectionCount == 0)
    }

    // MARK: Deadlines

    @Test func givesUpOnAServerThatSendsItsHeadersThenNothing() async throws {
        let server = try LoopbackHTTPServer { _ in
            .stream(.init(framing: .contentLength, totalBytes: 100, pauseSeconds: 30))
        }
        defer { server.stop() }
        let (result, seconds) = try await send(HTTPRequest(url: try url(server), timeoutSeconds: 0.5))
        #expect(message(result).contains("did not answer within 0.5 s"))
        #expect(seconds < 5)
    }

    @Test(arguments: [LoopbackHTTPServer.Stream.Framing.contentLength, .chunked])
    func givesUpOnASlowDripAtTheDeadline(framing: LoopbackHTTPServer.Stream.Framing) async throws {
        let server = try LoopbackHTTPServer { _ in
            .stream(
                .init(
                    framing: framing, totalBytes: nil, announcedBytes: 1_000_000, chunkBytes: 1,
                    pauseSeconds: 0.05))
        }
        defer { server.stop() }
        let (result, seconds) = try await send(HTTPRequest(url: try url(server), timeoutSeconds: 1))
        #expect(message(result).contains("did not answer within 1 s"))
        // Bytes kept arriving all along: only the whole-exchange deadline can end this.
        #expect(server.bytesSent > 5)
        #expect(seconds < 6)
    }

    @Test func httpsToAServerThatDoesNotSpeakTLSFailsWithinTheDeadline() async throws {
        let server = try LoopbackHTTPServer { _ in .hang }
        defer { server.stop() }
        let address = try #require(URL(string: "https://127.0.0.1:\(server.port)/x"))
        let (result, seconds) = try await send(HTTPRequest(url: address, timeoutSeconds: 1))
        #expect(throws: IntensityFetchError.self) { try result.get() }
        #expect(seconds < 6)
    }

    // MARK: Bounded bodies

    /// 200 MB of valid JSON with and without a Content-Length, and an endless chunked body: each ends
    /// with a clear error long before the body could be read, and the server could not push more than
    /// the cap plus the sockets' buffers.
    @Test(arguments: [
        LoopbackHTTPServer.Stream(framing: .contentLength, totalBytes: 200_000_000),
        LoopbackHTTPServer.Stream(framing: .untilClose, totalBytes: 200_000_000),
        LoopbackHTTPServer.Stream(framing: .chunked, totalBytes: nil),
    ])
    func stopsAnOversizedBody(stream: LoopbackHTTPServer.Stream) async throws {
        let server = try LoopbackHTTPServer { _ in .stream(stream) }
        defer { server.stop() }
        let (result, seconds) = try await send(HTTPRequest(url: try url(server), timeoutSeconds: 60))
        #expect(message(result).contains("answered with more than 4 MiB"), "\(message(result))")
        #expect(server.waitForClosedConnections(1, seconds: 30))
        #expect(server.bytesSent < 40_000_000, "the server pushed \(server.bytesSent) bytes")
        // Far from the 60 s time-out: the cap, not the deadline, ended it.
        #expect(seconds < 30)
    }

    // MARK: Cancellation

    @Test func cancelAllAbortsATransferInFlightAndRefusesNewOnes() throws {
        // Synchronous, with the request on a thread of its own: a child task (`async let`) could wait
        // for a free worker of the test runner's pool for longer than the test's deadlines.
        let server = try LoopbackHTTPServer { _ in .hang }
        defer { server.stop() }
        let client = CurlHTTPClient()
        let address = try url(server)
        let outcome = LockedBox<(result: Result<HTTPResponse, IntensityFetchError>, seconds: Double)?>(nil)
        let done = Latch()
        Thread {
            var result: Result<HTTPResponse, IntensityFetchError>!
            let seconds = IntensityTesting.seconds {
                result = Result { () throws(IntensityFetchError) -> HTTPResponse in
                    try client.send(HTTPRequest(url: address, timeoutSeconds: 30))
                }
            }
            outcome.withLock { $0 = (result, seconds) }
            done.open()
        }.start()
        let end = Date().addingTimeInterval(20)
        while server.requests.isEmpty && Date() < end { usleep(5_000) }
        #expect(!server.requests.isEmpty, "the request reached the server")
        client.cancelAll()
        #expect(done.wait(seconds: 25))
        let (result, seconds) = try #require(outcome.withLock { $0 })
        #expect(message(result).contains("was cancelled"))
        #expect(seconds < 25)
        // The progress callback stops libcurl too: the server sees the connection closed long before 30 s.
        #expect(server.waitForClosedConnections(1, seconds: 20))
        let refused = Result { () throws(IntensityFetchError) -> HTTPResponse in
            try client.send(HTTPRequest(url: address, timeoutSeconds: 5))
        }
        #expect(message(refused).contains("was cancelled"))
        #expect(server.connectionCount == 1)
    }

    // MARK: No libcurl

    @Test func aMissingLibcurlFailsEveryRequestWithASentence() async throws {
        let server = try LoopbackHTTPServer { _ in .json("{}") }
        defer { server.stop() }
        let client = CurlHTTPClient(environment: ["CARBONTRACKER_CURL_LIBRARY": "/nonexistent/libcurl.so.4"])
        for _ in 0..<2 {
            let (result, _) = try await send(
                HTTPRequest(url: try url(server), timeoutSeconds: 2), client: client)
            #expect(message(result).hasPrefix("libcurl could not be loaded (/nonexistent/libcurl.so.4"))
            #expect(message(result).contains("CARBONTRACKER_CURL_LIBRARY"))
        }
        #expect(server.connectionCount == 0)
    }

    @Test(.enabled(if: CCompiler.isAvailable, "no C compiler to build a library that is not libcurl"))
    func aLibraryThatIsNotLibcurlIsRefused() async throws {
        let directory = try TemporaryDirectory()
        try CCompiler.buildCached("fake_nvml.c", to: directory.file("libnotcurl.so"), shared: true)
        let client = CurlHTTPClient(environment: [
            "CARBONTRACKER_CURL_LIBRARY": directory.file("libnotcurl.so")
        ])
        let (result, _) = try await send(
            HTTPRequest(url: try #require(URL(string: "http://127.0.0.1:9/x")), timeoutSeconds: 1),
            client: client)
        #expect(message(result).contains("does not export curl_global_init, so it is not libcurl"))
    }

    @Test func withoutLibcurlTheSourceFallsBackToTheCountryAverage() async throws {
        let server = try LoopbackHTTPServer { _ in .json("{}") }
        defer { server.stop() }
        let environment = IntensityTesting.environment(
            server,
            extra: ["CARBONTRACKER_COUNTRY": "DK", "CARBONTRACKER_CURL_LIBRARY": "/nonexistent/libcurl.so.4"])
        let source = try LiveIntensitySource(options: TrackerOptions(environment: environment))
        let diagnostics = IntensityLogRecorder()
        source.start(diagnostics: diagnostics)
        defer { source.stop() }
        #expect(try await IntensityTesting.blocking { diagnostics.wait(for: "libcurl could not be loaded") })
        let warning = try #require(diagnostics.messages("WARNING").first { $0.contains("libcurl") })
        #expect(warning.contains("Defaulted to average carbon intensity for DK"))
        #expect(
            source.current().gramsPerKilowattHour
                == ReferenceData.countryIntensity(alpha2: "DK")?.gramsPerKilowattHour)
        #expect(server.connectionCount == 0)
    }
}
