import Foundation

/// Pushes a run's figures to a Prometheus Pushgateway from a thread of its own.
///
/// ```swift
/// let exporter = PushgatewayExporter(
///     settings: .init(baseURL: URL(string: "http://pushgateway:9091")!, authorization: nil),
///     transport: HTTPClientMetricsPushTransport(), diagnostics: log)
/// exporter.record(events)   // returns at once; the push happens on "CarbonTrackerPushThread"
/// exporter.finish()         // pushes the final figures, waiting at most finishBoundSeconds
/// ```
///
/// Each push is `PUT {URL}/metrics/job/carbontracker/instance/{host}/run/{run id}` with the whole
/// exposition text, so the group always holds the latest figures. Pushes happen when figures
/// changed, never more than once per ``Settings/minimumIntervalSeconds``, and once more at
/// ``finish()``. ``record(_:)`` only updates the figures under a lock and wakes the thread: it never
/// waits on the network. The first failure of a push during the run is reported as one warning in
/// the error log (with the server, never the credentials); later ones are silent, and training is
/// never delayed. The final push is made once more if the last one failed, and is reported on its
/// own: when it fails, or has no answer within ``finishBoundSeconds``, one warning names the gateway
/// (unless a reported failure with no success since already says why), so the final totals are
/// either on the gateway or a line says why not. Others wait for ``finish()`` with ``awaitFinish(seconds:)``.
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
        /// Whether a failure was reported and no push succeeded since.
        var failingSinceReport = false
        var reportedFinalFailure = false
        var lastPushFailed = false
        var finalPushMade = false
        var lastPush: ContinuousClock.Instant?
    }

    private enum Step {
        case push(URL, Data, final: Bool)
        case wait(seconds: Double)
        case stop
    }

    private let settings: Settings
    private let transport: any MetricsPushTransport
    private let diagnostics: any DiagnosticsReporter
    private let state = LockedBox(State())
    private let wake = WakeSignal()
    private let stopped = Latch()
    /// Opened when ``finish()`` returns.
    private let finished = Latch()

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

    /// The longest ``finish()`` takes: the push time-out and one second (half of it for the push
    /// thread to report a time-out, half for ``finish()`` to report a push that is still running).
    var finishBoundSeconds: Double { settings.timeoutSeconds + 1 }

    /// Pushes the final figures and stops the thread, waiting at most the push time-out and half a
    /// second; a final push still without an answer then is reported as one warning (the thread ends
    /// on its own).
    func finish() {
        defer { finished.open() }
        let started = state.withLock { state -> Bool in
            state.finishing = true
            return state.threadStarted
        }
        guard started else { return }
        wake.signal()
        let limit = settings.timeoutSeconds + 0.5
        guard !stopped.wait(seconds: limit) else { return }
        let (url, alreadySaid) = state.withLock { ($0.url, $0.failingSinceReport) }
        guard !alreadySaid else { return }
        reportFinalFailure(
            "no answer from \(url.map(hostDescription) ?? "the gateway") within "
                + "\(LogNumber.seconds(limit)) s")
    }

    /// Waits until ``finish()`` has returned, so the final push is made or reported.
    /// - Parameter seconds: The longest wait.
    /// - Returns: Whether ``finish()`` had returned.
    func awaitFinish(seconds: Double) -> Bool { finished.wait(seconds: seconds) }

    private func run() {
        defer { stopped.open() }
        while true {
            switch nextStep() {
            case .push(let url, let body, let final): push(url, body, final: final)
            case .wait(let seconds): wake.wait(seconds: seconds)
            case .stop: return
            }
        }
    }

    private func nextStep() -> Step {
        state.withLock { state in
            // The final push is made once, also when nothing changed since a push that failed: the gateway
            // must get the final totals.
            let due =
                state.finishing
                ? !state.finalPushMade && (state.changed || state.lastPushFailed) : state.changed
            if due, let url = state.url {
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
                if state.finishing { state.finalPushMade = true }
                return .push(url, Data(bytes), final: state.finishing)
            }
            return state.finishing ? .stop : .wait(seconds: 3600)
        }
    }

    private func push(_ url: URL, _ body: Data, final: Bool) {
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
        let (first, alreadySaid) = state.withLock { state -> (Bool, Bool) in
            state.lastPushFailed = failure != nil
            let alreadySaid = state.failingSinceReport
            if failure == nil { state.failingSinceReport = false }
            guard failure != nil, !final else { return (false, alreadySaid) }
            defer {
                state.reportedFailure = true
                state.failingSinceReport = true
            }
            return (!state.reportedFailure, alreadySaid)
        }
        guard let failure else { return }
        if final {
            // A failure reported with no success since already says why the totals are missing.
            if !alreadySaid { reportFinalFailure(failure) }
            return
        }
        if first {
            diagnostics.warning(
                "Cannot push metrics to the Prometheus Pushgateway: \(failure). "
                    + "Later failures during the run are not reported; training continues.")
        }
    }

    /// Writes the one warning about the final push (it may come from ``finish()`` on a time-out, or
    /// from the thread when the push fails; whichever comes first).
    private func reportFinalFailure(_ failure: String) {
        let first = state.withLock { state -> Bool in
            defer { state.reportedFinalFailure = true }
            return !state.reportedFinalFailure
        }
        guard first, let url = state.withLock({ $0.url }) else { return }
        diagnostics.warning(
            "The final push of the run's figures to the Prometheus Pushgateway at \(hostDescription(url)) "
                + "failed: \(failure). The gateway keeps the figures of the last push that succeeded; the "
                + "log files hold the final totals.")
    }
}
