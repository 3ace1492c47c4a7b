import Foundation

@testable import CarbonTracker
@testable import CarbonTrackerMonitor
@testable import CarbonTrackerSources

/// IntensityPayloads in the shapes the real services answer with (fields trimmed to what matters, plus a
/// few the client must ignore); forecast times are relative to now.
enum IntensityPayloads {
    /// A server that locates the machine in London (postcode SW1A) and serves its regional intensity, 141.
    static let londonByIP: @Sendable (LoopbackHTTPServer.Request) -> LoopbackHTTPServer.Reply = { request in
        switch request.path {
        case "/json":
            .json(ipinfo(city: "London", region: "England", country: "GB", loc: "51.5,-0.12", postal: "SW1A"))
        case "/regional/postcode/SW1A":
            .json(carbonIntensityRegional(postcode: "SW1A", forecast: 141))
        default: .answer(status: 404, body: "")
        }
    }

    static func ipinfo(city: String, region: String, country: String, loc: String, postal: String) -> String {
        """
        {"ip": "203.0.113.7", "city": "\(city)", "region": "\(region)", "country": "\(country)", \
        "loc": "\(loc)", "org": "AS64500 Example", "postal": "\(postal)", "timezone": "Europe/London", \
        "readme": "https://ipinfo.io/missingauth"}
        """
    }

    static func electricityMapsLatest(zone: String, _ value: Double) -> String {
        """
        {"zone": "\(zone)", "carbonIntensity": \(value), "datetime": "2024-05-01T12:00:00.000Z", \
        "updatedAt": "2024-05-01T11:51:02.034Z", "createdAt": "2024-04-28T12:48:06.472Z", \
        "emissionFactorType": "lifecycle", "isEstimated": true, "estimationMethod": "TIME_SLICER_AVERAGE"}
        """
    }

    /// Hourly entries starting at the current hour.
    static func electricityMapsForecast(zone: String, _ values: [Double]) -> String {
        let hour = floor(Date().timeIntervalSince1970 / 3600) * 3600
        let entries = values.enumerated().map { index, value in
            "{\"carbonIntensity\": \(value), \"datetime\": \"\(iso(hour + Double(index) * 3600)):00.000Z\"}"
        }
        return "{\"zone\": \"\(zone)\", \"forecast\": [\(entries.joined(separator: ", "))], "
            + "\"updatedAt\": \"2024-05-01T11:51:02.034Z\"}"
    }

    /// `CO2Emis`/`CO2EmisProg` records, newest first for the current dataset.
    static func energiDataService(
        dataset: String, records: [(minutesFromNow: Double, area: String, value: Double)]
    )
        -> String
    {
        let now = floor(Date().timeIntervalSince1970 / 300) * 300
        let rows = records.map { record in
            let utc = now + record.minutesFromNow * 60
            return "{\"Minutes5UTC\": \"\(iso(utc)):00\", \"Minutes5DK\": \"\(iso(utc + 7200)):00\", "
                + "\"PriceArea\": \"\(record.area)\", \"CO2Emission\": \(record.value)}"
        }
        return
            "{\"total\": \(records.count), \"filters\": \"{}\", \"limit\": 48, \"dataset\": \"\(dataset)\", "
            + "\"records\": [\(rows.joined(separator: ", "))]}"
    }

    static func carbonIntensityNational(forecast: Double, actual: Double?) -> String {
        let actualText = actual.map { "\($0)" } ?? "null"
        return "{\"data\": [{\"from\": \"2024-05-01T11:30Z\", \"to\": \"2024-05-01T12:00Z\", "
            + "\"intensity\": {\"forecast\": \(forecast), \"actual\": \(actualText), \"index\": \"moderate\"}}]}"
    }

    static func carbonIntensityRegional(postcode: String, forecast: Double) -> String {
        """
        {"data": [{"regionid": 13, "dnoregion": "UKPN London", "shortname": "London", "postcode": "\(postcode)", \
        "data": [{"from": "2024-05-01T11:30Z", "to": "2024-05-01T12:00Z", \
        "intensity": {"forecast": \(forecast), "index": "moderate"}, \
        "generationmix": [{"fuel": "gas", "perc": 30.1}, {"fuel": "wind", "perc": 40.2}]}]}]}
        """
    }

    /// Half-hour periods starting at the current half hour, as the forecast window endpoints answer.
    static func carbonIntensityWindow(regional: Bool, _ values: [Double]) -> String {
        let start = floor(Date().timeIntervalSince1970 / 1800) * 1800
        let periods = values.enumerated().map { index, value in
            let from = start + Double(index) * 1800
            return "{\"from\": \"\(iso(from))Z\", \"to\": \"\(iso(from + 1800))Z\", "
                + "\"intensity\": {\"forecast\": \(value), \"index\": \"low\"}}"
        }.joined(separator: ", ")
        return regional
            ? "{\"data\": {\"regionid\": 13, \"shortname\": \"London\", \"postcode\": \"SW1A\", \"data\": [\(periods)]}}"
            : "{\"data\": [\(periods)]}"
    }

    /// `yyyy-MM-ddTHH:mm` in UTC.
    static func iso(_ seconds: Double) -> String {
        String(UTCTime.minuteString(Date(timeIntervalSince1970: seconds)).dropLast())
    }
}

/// Collects every line a source reports, by level.
final class IntensityLogRecorder: DiagnosticsReporter {
    private let lines = LockedBox<[(level: String, message: String)]>([])

    func info(_ message: String) { lines.withLock { $0.append(("INFO", message)) } }
    func debug(_ message: String) { lines.withLock { $0.append(("DEBUG", message)) } }
    func warning(_ message: String) { lines.withLock { $0.append(("WARNING", message)) } }
    func critical(_ message: String) { lines.withLock { $0.append(("CRITICAL", message)) } }

    /// Messages at `level`.
    func messages(_ level: String) -> [String] {
        lines.withLock { $0.filter { $0.level == level }.map(\.message) }
    }
    /// Every message.
    var all: [String] { lines.withLock { $0.map(\.message) } }

    /// Waits until a message containing `text` arrives (at most `seconds`).
    @discardableResult
    func wait(for text: String, seconds: Double = 15) -> Bool {
        let end = ContinuousClock.now + .seconds(seconds)
        while ContinuousClock.now < end {
            if all.contains(where: { $0.contains(text) }) { return true }
            Thread.sleep(forTimeInterval: 0.005)
        }
        return false
    }
}

enum IntensityTesting {
    /// An environment that reaches nothing but `server`, with short time-outs.
    static func environment(_ server: LoopbackHTTPServer?, extra: [String: String] = [:]) -> [String: String]
    {
        let base = server?.baseURL ?? "http://127.0.0.1:9"
        var environment = [
            "CARBONTRACKER_GEOLOCATION_URL": base + "/json",
            "CARBONTRACKER_ELECTRICITYMAPS_URL": base + "/v3",
            "CARBONTRACKER_ENERGIDATASERVICE_URL": base,
            "CARBONTRACKER_CARBONINTENSITYGB_URL": base,
            // Generous, so answered requests succeed even on a busy 2-core machine; tests of servers that
            // never answer set a short time-out themselves.
            "CARBONTRACKER_HTTP_TIMEOUT": "10",
        ]
        environment.merge(extra) { _, new in new }
        return environment
    }

    /// A source as a tracker would build it from `apiKeys` and `options`, refreshing every `interval` s.
    static func source(
        apiKeys: [String: String]? = nil, options: TrackerOptions, refreshIntervalSeconds: Double = 900
    ) throws -> LiveIntensitySource {
        LiveIntensitySource(
            settings: try IntensitySettings(apiKeys: apiKeys, options: options),
            client: CurlHTTPClient(),
            refreshIntervalSeconds: refreshIntervalSeconds)
    }

    /// Runs blocking work (HTTP requests, waits) on its own thread, so that the test runner's few
    /// shared worker threads stay free for URLSession's callbacks.
    static func blocking<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            Thread {
                do { continuation.resume(returning: try body()) } catch {
                    continuation.resume(throwing: error)
                }
            }.start()
        }
    }

    /// Seconds `body` took on the monotonic clock.
    static func seconds(_ body: () throws -> Void) rethrows -> Double {
        let start = ContinuousClock.now
        try body()
        let elapsed = start.duration(to: .now)
        return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
    }

    /// A fresh temporary directory.
    static func temporaryDirectory() -> String {
        let path = NSTemporaryDirectory() + "ct-intensity-\(UUID().uuidString)"
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }
}
