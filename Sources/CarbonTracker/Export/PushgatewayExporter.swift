import Foundation

/// Pushes a run's figures to a Prometheus Pushgateway from a thread of its own.
///
/// ```swift
/// let exporter = PushgatewayExporter(
///     settings: .init(baseURL: URL(string: "http://pushgateway:9091")!, authorization: nil),
///     transport: HTTPClientMetricsPushTransport(), diagnostics: log)
/// exporter.record(events)   // returns at once; the push happens on "CarbonTrackerPushThread"
/// exporter.finish()         // pushes the final figures, waiting at most the time-out
/// ```
///
/// Each push is `PUT {URL}/metrics/job/carbontracker/instance/{host}/run/{run id}` with the whole
/// exposition text, so the group always holds the latest figures. Pushes happen when figures
/// changed, never more than once per ``Settings/minimumIntervalSeconds``, and once more at
/// ``finish()``. ``record(_:)`` only updates the figures under a lock and wakes the thread: it never
/// waits on the network. The first failure is reported as one warning in the error log (with the
/// server, never the credentials); later ones are silent, and training is never delayed.
final class PushgatewayExporter: RunExporter {
    /// Where and how to push.
    struct Settings: Sendable {
        /// The Pushgateway's address (`http://host:9091`, maybe with a path prefix).
        var baseURL: URL
        /// The `Authorization` header value (`Basic ...`), or `nil`.
        var authorization: String?
        /// The longest one push may take, in seconds.
        var timeoutSeconds: Double = 3
        /// The shortest time between two pushes, in seconds (except the final one).
        var minimumIntervalSeconds: Double = 1
    }

    private struct State {
        var metrics = PrometheusMetrics(includesRunLabel: false)
        var url: URL?
        var changed = false
        var finishing = false
        var threadStarted = false
        var reportedFailure = false
        var lastPush: ContinuousClock.Instant?
    }

    private enum Step {
        case push(URL, Data)
        case wait(seconds: Double)
        case stop
    }

    private let settings: Settings
    private let transport: any MetricsPushTransport
    private let diagnostics: any DiagnosticsReporter
    private let state = LockedBox(State())
    private let wake = WakeSignal()
    private let stopped = Latch()

    /// Creates an exporter; its thread starts with the first figures to push.
    /// - Parameters:
    ///   - settings: Where and how to push.
    ///   - transport: Sends the `PUT`s.
    ///   - diagnostics: Where the first failure is reported.
    init(settings: Settings, transport: any MetricsPushTransport, diagnostics: any DiagnosticsReporter) {
        self.settings = settings
        self.transport = transport
        self.diagnostics = diagnostics
    }

    /// The group's address for a run: `{base}/metrics/job/carbontracker/instance/{host}/run/{run id}`.
    /// - Parameters:
    ///   - base: The Pushgateway's address.
    ///   - host: The `instance` label.
    ///   - runID: The `run` label.
    /// - Returns: The URL to `PUT` to.
    static func groupURL(base: URL, host: String, runID: String) -> URL {
        var text = base.absoluteString
        while text.hasSuffix("/") { text.removeLast() }
        text += "/metrics/job/carbontracker/" + pathLabel("instance", host) + "/" + pathLabel("run", runID)
        return URL(string: text) ?? base
    }

    /// `name/value` for a value of URL-safe characters, else `name@base64/<base64url>` as the
    /// Pushgateway reads it (an empty value is `=`).
    static func pathLabel(_ name: String, _ value: String) -> String {
        let safe = value.utf8.allSatisfy { byte in
            (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A)
                || byte == UInt8(ascii: "-") || byte == UInt8(ascii: "_") || byte == UInt8(ascii: ".")
        }
        if safe && !value.isEmpty && value != "." && value != ".." { return name + "/" + value }
        guard !value.isEmpty else { return name + "@base64/=" }
        let encoded = Data(value.utf8).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
        return name + "@base64/" + encoded
    }

    /// Updates the figures and wakes the push thread; never waits on the network.
    /// - Parameter events: Events in the order they happened.
    func record(_ events: [RunEvent]) {
        let (wakes, starts) = state.withLock { state -> (Bool, Bool) in
            guard !state.finishing else { return (false, false) }
            var changed = false
            for event in events {
                if case .runStarted(let run) = event {
                    state.url = Self.groupURL(base: settings.baseURL, host: run.node, runID: run.runID)
                }
                if state.metrics.apply(event) { changed = true }
            }
            guard changed, state.url != nil else { return (false, false) }
            state.changed = true
            let starts = !state.threadStarted
            state.threadStarted = true
            return (true, starts)
        }
        if starts {
            BackgroundThread.start(name: "CarbonTrackerPushThread") { [self] in run() }
        } else if wakes {
            wake.signal()
        }
    }

    /// The final push waits on the gateway.
    var finishesOverNetwork: Bool { true }

    /// Pushes the final figures and stops the thread, waiting at most the push time-out.
    func finish() {
        let started = state.withLock { state -> Bool in
            state.finishing = true
            return state.threadStarted
        }
        guard started else { return }
        wake.signal()
        stopped.wait(seconds: settings.timeoutSeconds + 1)
    }

    private func run() {
        defer { stopped.open() }
        while true {
            switch nextStep() {
            case .push(let url, let body): push(url, body)
            case .wait(let seconds): wake.wait(seconds: seconds)
            case .stop: return
            }
        }
    }

    private func nextStep() -> Step {
        state.withLock { state in
            if state.changed, let url = state.url {
                let now = ContinuousClock.now
                if !state.finishing, let last = state.lastPush {
                    let elapsed = last.duration(to: now)
                    let interval = Duration.seconds(settings.minimumIntervalSeconds)
                    if elapsed < interval {
                        let remaining = interval - elapsed
                        let seconds =
                            Double(remaining.components.seconds) + Double(remaining.components.attoseconds)
                            / 1e18
                        return .wait(seconds: seconds)
                    }
                }
                var bytes: [UInt8] = []
                state.metrics.render(into: &bytes)
                state.changed = false
                state.lastPush = now
                return .push(url, Data(bytes))
            }
            return state.finishing ? .stop : .wait(seconds: 3600)
        }
    }

    private func push(_ url: URL, _ body: Data) {
        var headers = ["Content-Type": "text/plain; version=0.0.4; charset=utf-8"]
        if let authorization = settings.authorization { headers["Authorization"] = authorization }
        var failure: String?
        do {
            let status = try transport.put(
                url: url, body: body, headers: headers, timeoutSeconds: settings.timeoutSeconds)
            if !(200..<300).contains(status) {
                failure =
                    "HTTP \(status) from \(hostDescription(url))"
                    + (status == 401 || status == 403 ? " (check CARBONTRACKER_PROMETHEUS_AUTH)" : "")
            }
        } catch let error as MetricsPushError {
            failure = error.message
        } catch {
            failure = "the push to \(hostDescription(url)) failed"
        }
        guard let failure else { return }
        let first = state.withLock { state -> Bool in
            defer { state.reportedFailure = true }
            return !state.reportedFailure
        }
        if first {
            diagnostics.warning(
                "Cannot push metrics to the Prometheus Pushgateway: \(failure). "
                    + "Later failures are not reported; training continues.")
        }
    }
}
