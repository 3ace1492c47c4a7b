import Foundation
import Testing

@testable import CarbonTracker
@testable import CarbonTrackerMonitor
@testable import CarbonTrackerSources

/// The real libcurl client and JSON fetcher against the loopback server, one failure mode each.
@Suite(.enabled(if: Libcurl.isAvailable, Libcurl.missing))
struct HTTPClientTests {
    private struct Value: Decodable, Sendable { var carbonIntensity: Double }

    private func fetch(
        _ reply: LoopbackHTTPServer.Reply, timeout: Double = 2, headers: [String: String] = [:],
        secrets: [String] = [], query: String = ""
    ) async throws -> (
        result: Result<Value, IntensityFetchError>, server: LoopbackHTTPServer, seconds: Double
    ) {
        let server = try LoopbackHTTPServer { _ in reply }
        defer { server.stop() }
        let fetcher = JSONFetcher(client: CurlHTTPClient(), requestTimeoutSeconds: timeout)
        let url = try #require(
            URL(
                string: try ServiceEndpoint.parse(server.baseURL, variable: "test").url(path: [
                    "v3", "latest",
                ]).absoluteString + query))
        // Timed inside the worker thread: resuming the test task can lag on a busy machine.
        return try await IntensityTesting.blocking {
            var result: Result<Value, IntensityFetchError>!
            let seconds = IntensityTesting.seconds {
                result = Result { () throws(IntensityFetchError) -> Value in
                    try fetcher.fetch(
                        Value.self, from: url, headers: headers, deadline: .now + .seconds(10),
                        secrets: secrets)
                }
            }
            return (result, server, seconds)
        }
    }

    private func message(_ result: Result<Value, IntensityFetchError>) -> String {
        if case .failure(let error) = result { return error.message }
        return "no error"
    }

    @Test func decodesAJSONAnswer() async throws {
        let (result, server, _) = try await fetch(.json("{\"carbonIntensity\": 123.5, \"zone\": \"DE\"}"))
        #expect(try result.get().carbonIntensity == 123.5)
        #expect(server.requests.first?.path == "/v3/latest")
        #expect(server.requests.first?.headers["accept"] == "application/json")
    }

    @Test(arguments: [
        (500, "answered HTTP 500"), (503, "answered HTTP 503"), (404, "answered HTTP 404"),
        (401, "the API key was refused"),
    ])
    func reportsErrorStatuses(status: Int, expected: String) async throws {
        let (result, _, _) = try await fetch(.answer(status: status, body: "{\"error\": \"oops\"}"))
        #expect(message(result).contains(expected))
        #expect(message(result).contains("oops"))
    }

    @Test func reportsRateLimitingWithItsRetryDelay() async throws {
        let (result, _, _) = try await fetch(.answer(status: 429, body: "", headers: ["Retry-After": "120"]))
        #expect(message(result).contains("HTTP 429"))
        #expect(message(result).contains("too many requests, retry after 120 s"))
    }

    @Test(arguments: ["not json at all", "{\"carbonIntensity\": \"high\"}", "{}", "[1, 2]"])
    func reportsMalformedJSON(body: String) async throws {
        let (result, _, _) = try await fetch(.json(body))
        #expect(message(result).contains("unexpected JSON"))
    }

    @Test(arguments: ["", "  \r\n "])
    func reportsAnEmptyBody(body: String) async throws {
        let (result, _, _) = try await fetch(.json(body))
        #expect(message(result).contains("empty body"))
    }

    @Test func givesUpOnAServerThatNeverAnswers() async throws {
        let (result, _, seconds) = try await fetch(.hang, timeout: 0.3)
        #expect(message(result).contains("did not answer within 0.3 s"))
        #expect(seconds < 3)
    }

    @Test func reportsAConnectionClosedWithoutAnswer() async throws {
        let (result, _, _) = try await fetch(.close)
        #expect(message(result).contains("127.0.0.1"))
        #expect(throws: IntensityFetchError.self) { try result.get() }
    }

    @Test func reportsARefusedConnection() async throws {
        let fetcher = JSONFetcher(client: CurlHTTPClient(), requestTimeoutSeconds: 0.5)
        let url = try #require(URL(string: "http://127.0.0.1:9/latest"))
        await #expect(throws: IntensityFetchError.self) {
            try await IntensityTesting.blocking {
                _ = try fetcher.fetch(Value.self, from: url, deadline: .now + .seconds(5))
            }
        }
    }

    @Test func doesNotFollowRedirectsSoKeysStayWithTheConfiguredHost() async throws {
        let elsewhere = try LoopbackHTTPServer { _ in .json("{\"carbonIntensity\": 1}") }
        defer { elsewhere.stop() }
        let (result, _, _) = try await fetch(
            .answer(status: 302, body: "", headers: ["Location": elsewhere.baseURL + "/steal"]))
        #expect(message(result).contains("redirects are not followed"))
        #expect(elsewhere.connectionCount == 0)
    }

    @Test func neverQuotesTheBodyOfAnAuthenticatedRequest() async throws {
        let (result, _, _) = try await fetch(
            .answer(status: 401, body: "{\"message\": \"invalid token SECRET-123\"}"),
            headers: ["auth-token": "SECRET-123"], secrets: ["SECRET-123"])
        #expect(message(result).contains("the API key was refused"))
        #expect(!message(result).contains("SECRET-123"))
        #expect(!message(result).contains("invalid token"))
    }

    /// Regression: the excerpt was cut to 400 bytes before masking, so a key straddling byte 400 was
    /// logged in part ("token=SECR").
    @Test func aKeyStraddlingTheOldExcerptCutNeverLeaksInPart() async throws {
        let key = "SECRETKEY0123456789"
        let body = "{\"detail\": \"" + String(repeating: "x", count: 380) + " token=" + key + "\"}"
        let keyBytes = try #require(Array(body.utf8).firstRange(of: Array(key.utf8)))
        #expect(keyBytes.lowerBound < 400 && keyBytes.upperBound > 400)
        let (result, _, _) = try await fetch(
            .answer(status: 403, body: body), headers: ["auth-token": key], secrets: [key])
        #expect(message(result).contains("HTTP 403"))
        for length in 4...key.count { #expect(!message(result).contains(key.prefix(length))) }
        #expect(!message(result).contains("xxxx"))
    }

    /// Regression: a key echoed JSON-escaped (`\u0053\u0045…`) escaped the literal mask and was logged whole.
    @Test func aJSONEscapedKeyIsNeverLogged() async throws {
        let key = "SECRET-123"
        let escaped = key.unicodeScalars.map { "\\u" + String(format: "%04X", $0.value) }.joined()
        let (result, _, _) = try await fetch(
            .answer(status: 401, body: "{\"message\": \"invalid token \(escaped)\"}"),
            headers: ["auth-token": key], secrets: [key])
        #expect(message(result).contains("HTTP 401"))
        #expect(!message(result).contains(key))
        #expect(!message(result).contains("\\u0053"))
        #expect(!message(result).contains("invalid token"))
    }

    @Test func aTokenInTheQueryMakesTheRequestAuthenticated() async throws {
        let (result, _, _) = try await fetch(
            .answer(status: 403, body: "{\"error\": \"token abc123 is not valid\"}"), query: "?token=abc123")
        #expect(message(result).contains("HTTP 403"))
        #expect(!message(result).contains("abc123"))
    }

    @Test func decodesAnAnswerOfTheBodyCapButNotOneByteMore() async throws {
        let cap = HTTPLimits.maximumResponseBodyBytes
        let (fits, _, _) = try await fetch(
            .stream(.init(framing: .contentLength, totalBytes: cap)), timeout: 20)
        #expect(try fits.get().carbonIntensity == 1)
        let (over, _, _) = try await fetch(
            .stream(.init(framing: .untilClose, totalBytes: cap + 1)), timeout: 20)
        #expect(message(over).contains("more than 4 MiB"))
    }

    @Test func stopsAtTheCallersDeadline() async throws {
        let server = try LoopbackHTTPServer { _ in .hang }
        defer { server.stop() }
        let fetcher = JSONFetcher(client: CurlHTTPClient(), requestTimeoutSeconds: 30)
        let url = try #require(URL(string: server.baseURL + "/x"))
        let (failed, seconds) = try await IntensityTesting.blocking {
            var failed = false
            let seconds = IntensityTesting.seconds {
                do { _ = try fetcher.fetch(Value.self, from: url, deadline: .now + .milliseconds(300)) } catch
                {
                    failed = true
                }
            }
            return (failed, seconds)
        }
        #expect(failed)
        // The request's own time-out is 30 s: finishing within a few seconds means the deadline won.
        #expect(seconds < 3)
    }

    @Test func refusesRequestsAfterCancellation() async throws {
        let server = try LoopbackHTTPServer { _ in .json("{\"carbonIntensity\": 1}") }
        defer { server.stop() }
        let client = CurlHTTPClient()
        client.cancelAll()
        let url = try #require(URL(string: server.baseURL + "/x"))
        await #expect(throws: IntensityFetchError.self) {
            try await IntensityTesting.blocking { _ = try client.get(url, headers: [:], timeoutSeconds: 1) }
        }
        #expect(server.connectionCount == 0)
    }
}
