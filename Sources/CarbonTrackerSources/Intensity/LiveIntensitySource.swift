import Foundation

/// A carbon-intensity source that finds the location and fetches live values on its own thread,
/// falling back to the country's average, then to the world average.
///
/// ```swift
/// let source = try LiveIntensitySource(apiKeys: ["electricitymaps": key], options: options)
/// let tracker = try CarbonTracker(epochs: 10, options: TrackerOptions(intensitySource: source))
/// ```
///
/// The location comes from ``TrackerOptions/location``, else `CARBONTRACKER_COUNTRY`, else an IP
/// lookup (never with `CARBONTRACKER_OFFLINE=1`). The provider is Electricity Maps when it has a
/// key, else the country's keyless service (Denmark: Energi Data Service, Great Britain: Carbon
/// Intensity API). Values, and the provider's forecast for the next 48 hours, are refreshed at start
/// and every 15 minutes.
///
/// Cost: ``start(diagnostics:)``, ``current()`` and ``forecast(durationSeconds:)`` never wait on the
/// network (one lock each): the forecast is averaged from the series the intensity thread fetched.
public final class LiveIntensitySource: CarbonIntensitySource {
    private enum Phase { case initial, running, stopped }

    private struct State {
        var phase = Phase.initial
        var diagnostics: (any DiagnosticsReporter)?
        var keys: ProviderKeys
        /// Every key ever given, so that none can reach a log line.
        var secrets: Set<String>
        /// `nil` until known, and when it cannot be known.
        var location: IntensityLocation?
        /// The IP lookup has been started and has not finished.
        var lookingUp = false
        var current: IntensityEstimate
        var lastLive: (estimate: IntensityEstimate, time: ContinuousClock.Instant)?
        /// The first value in force after the first answer (or once none can come); `nil` until then.
        var settled: IntensityEstimate?
        /// The value in force after each refresh, oldest first.
        var history: [Double] = []
        /// The latest forecast fetched, or why it could not be.
        var forecast: CachedForecast?
        /// Forecast fetches finished (for tests).
        var forecastAttempts = 0
    }

    /// A provider's forecast as the intensity thread last fetched it, for the location and provider
    /// it was fetched for.
    private struct CachedForecast {
        var provider: ProviderID
        var location: IntensityLocation
        var points: Result<[ForecastPoint], IntensityFetchError>
    }

    /// How long a live value is kept when later refreshes fail, before the average replaces it.
    private static let liveValueLifetime = Duration.seconds(3600)
    /// How far ahead forecasts are fetched: the longest any provider offers (the Carbon Intensity API's).
    private static let forecastHorizonSeconds = 48.0 * 3600

    private let settings: IntensitySettings
    private let client: any HTTPClient
    private let refreshIntervalSeconds: Double
    private let state: LockedBox<State>
    private let wake = WakeSignal()
    /// Opened when the intensity thread has ended (after ``stop()``); tests wait on it.
    private let threadEnded = Latch()

    /// Creates a source from API keys, a location and an environment; starts nothing.
    /// - Parameters:
    ///   - apiKeys: Provider name to key, as in Python (`electricitymaps`, `energidataservice`,
    ///     `carbonintensityGB`).
    ///   - location: Where the energy is used; `nil` to look it up (or read `CARBONTRACKER_COUNTRY`).
    ///   - environment: Where the `CARBONTRACKER_*` variables are read.
    /// - Throws: ``CarbonTrackerError`` with code `.invalidConfiguration` for an unknown provider name
    ///   or a malformed location, URL or time-out.
    public convenience init(
        apiKeys: [String: String]? = nil, location: IntensityLocation?, environment: [String: String]
    ) throws {
        self.init(
            settings: try IntensitySettings(apiKeys: apiKeys, location: location, environment: environment),
            client: CurlHTTPClient(environment: environment),
            refreshIntervalSeconds: 900)
    }

    package init(settings: IntensitySettings, client: any HTTPClient, refreshIntervalSeconds: Double) {
        self.settings = settings
        self.client = client
        self.refreshIntervalSeconds = refreshIntervalSeconds
        let location = settings.configuredLocation
        state = LockedBox(
            State(
                keys: settings.keys, secrets: Set(settings.keys.secrets), location: location,
                current: IntensityMessages.fallback(for: location)))
    }

    // MARK: CarbonIntensitySource

    /// Logs the set-up and, unless offline, starts the intensity thread; returns at once.
    public func start(diagnostics: any DiagnosticsReporter) {
        let needsLookup = settings.configuredLocation == nil && !settings.offline
        let keys = state.withLock { state -> ProviderKeys? in
            guard state.phase == .initial else { return nil }
            state.phase = .running
            state.diagnostics = diagnostics
            state.lookingUp = needsLookup
            return state.keys
        }
        guard let keys else { return }
        if settings.offline { state.withLock { $0.settled = $0.current } }
        for id in keys.emptyKeyProviders { emit(.warning, IntensityMessages.emptyKey(id)) }
        if !needsLookup { logSetUp(geolocationFailure: nil) }
        guard !settings.offline else { return }
        BackgroundThread.start(name: "CarbonIntensityThread") { [self] in
            run(lookUpLocation: needsLookup)
            threadEnded.open()
        }
    }

    /// The value in force: the latest live value, or the fallback.
    public func current() -> IntensityEstimate { state.withLock { $0.current } }
    /// The value in force, without copying the estimate's strings (read at every window boundary).
    public func currentGramsPerKilowattHour() -> Double { state.withLock { $0.current.gramsPerKilowattHour } }

    /// The value in force, provisional until the first answer (or until no answer can come).
    public func intensityInForce() -> IntensityInForce {
        state.withLock { IntensityInForce($0.current, isProvisional: $0.settled == nil) }
    }

    /// The value in force right after the first answer; the fallback once none can come (offline, no
    /// provider for the location, the first request failed); `nil` while the first answer is awaited.
    public func settledEstimate() -> IntensityEstimate? { state.withLock { $0.settled } }

    /// The provider's forecast averaged over the next `durationSeconds`, from the series the intensity
    /// thread fetched (at start and at each refresh), or ``current()`` when there is none; returns at once.
    public func forecast(durationSeconds: Double) -> IntensityEstimate {
        let (phase, location, keys, current, cached) = state.withLock {
            ($0.phase, $0.location, $0.keys, $0.current, $0.forecast)
        }
        guard durationSeconds.isFinite, durationSeconds > 0, phase == .running, let location,
            let provider = provider(keys: keys, location: location), provider.supports(location)
        else { return current }
        let horizon = TimeString.format(seconds: durationSeconds)
        let address = location.displayAddress
        let failure: IntensityFetchError
        if let cached, cached.provider == provider.id, cached.location == location {
            switch cached.points {
            case .success(let points):
                if let mean = ForecastSeries.mean(points, from: Date(), seconds: durationSeconds) {
                    emit(.info, IntensityMessages.predicted(horizon: horizon, value: mean, address: address))
                    return IntensityEstimate(
                        gramsPerKilowattHour: mean, address: address,
                        countryCode: location.effectiveCountryCode,
                        isFetched: true, isLocalized: true, isPrediction: true,
                        source: "\(provider.id.displayName) forecast")
                }
                failure = IntensityFetchError("its forecast does not cover the next \(horizon).")
            case .failure(let error):
                failure = error
            }
        } else {
            failure = IntensityFetchError(
                "no forecast had arrived yet (it is fetched in the background at start and at every refresh)."
            )
        }
        emit(
            .warning,
            IntensityMessages.predictionFailed(
                horizon: horizon, provider: provider.id, reason: failure,
                currentValue: current.gramsPerKilowattHour, address: address))
        return current
    }

    /// Forecast fetches finished so far, successful or not; tests wait on it.
    var forecastAttempts: Int { state.withLock { $0.forecastAttempts } }

    /// Waits until the intensity thread has ended, after ``stop()``; for tests.
    /// - Returns: Whether it ended within `seconds` (`false` too when it never started).
    func waitForThreadEnd(seconds: Double) -> Bool { threadEnded.wait(seconds: seconds) }

    /// The values in force after each refresh (or the fallback alone when nothing was fetched).
    public func summary() -> IntensitySummary {
        state.withLock { state in
            IntensitySummary(
                address: state.location?.displayAddress ?? "Unknown",
                intensities: state.history.isEmpty ? [state.current.gramsPerKilowattHour] : state.history,
                refreshIntervalSeconds: refreshIntervalSeconds)
        }
    }

    /// Stops the thread and cancels requests in flight; returns at once and logs nothing after.
    public func stop() {
        if state.withLock({ $0.phase == .running && $0.lookingUp }) {
            emit(
                .warning,
                IntensityMessages.lookupUnfinished(server: hostDescription(settings.geolocation.base)))
        }
        state.withLock { $0.phase = .stopped }
        wake.signal()
        client.cancelAll()
    }

    /// Replaces the keys and refreshes at once (not while offline).
    /// - Throws: ``CarbonTrackerError`` with code `.invalidConfiguration` for an unknown provider name.
    public func updateAPIKeys(_ apiKeys: [String: String]) throws {
        let keys = try ProviderKeys(apiKeys)
        let (phase, lookingUp) = state.withLock { state -> (Phase, Bool) in
            state.keys = keys
            state.secrets.formUnion(keys.secrets)
            return (state.phase, state.lookingUp)
        }
        guard phase == .running else { return }
        for id in keys.emptyKeyProviders { emit(.warning, IntensityMessages.emptyKey(id)) }
        if !lookingUp { logSetUp(geolocationFailure: nil) }
        wake.signal()
    }

    // MARK: The intensity thread

    private func run(lookUpLocation: Bool) {
        if lookUpLocation {
            let fetcher = JSONFetcher(client: client, requestTimeoutSeconds: settings.requestTimeoutSeconds)
            let locator = IPGeolocator(endpoint: settings.geolocation, fetcher: fetcher)
            var failure: IntensityFetchError?
            var location: IntensityLocation?
            do {
                location = try locator.locate(deadline: .now + .seconds(settings.requestTimeoutSeconds))
            } catch {
                failure = error
            }
            let running = state.withLock { state -> Bool in
                state.lookingUp = false
                state.location = location
                if state.lastLive == nil { state.current = IntensityMessages.fallback(for: location) }
                return state.phase == .running
            }
            guard running else { return }
            logSetUp(geolocationFailure: failure)
        }
        while isRunning {
            refresh()
            wake.wait(seconds: refreshIntervalSeconds)
        }
    }

    private var isRunning: Bool { state.withLock { $0.phase == .running } }

    private func refresh() {
        let (location, keys) = state.withLock { ($0.location, $0.keys) }
        guard let location, let provider = provider(keys: keys, location: location),
            provider.supports(location)
        else {
            state.withLock { state in
                if state.settled == nil { state.settled = state.current }
            }
            return
        }
        let address = location.displayAddress
        let deadline = ContinuousClock.now + .seconds(2 * settings.requestTimeoutSeconds + 0.5)
        do {
            let reading = try provider.latestReading(at: location, deadline: deadline)
            let value = reading.gramsPerKilowattHour
            var estimate = IntensityEstimate(
                gramsPerKilowattHour: value, address: address, countryCode: location.effectiveCountryCode,
                isFetched: true, isLocalized: true, source: provider.id.displayName)
            estimate.isEstimated = reading.isEstimated
            state.withLock { state in
                guard state.phase == .running else { return }
                state.current = estimate
                state.lastLive = (estimate, .now)
                state.history.append(value)
                if state.settled == nil { state.settled = estimate }
            }
            emit(.info, IntensityMessages.fetched(value, address: address))
        } catch {
            let kept = state.withLock { state -> Double? in
                var kept: Double?
                if let last = state.lastLive, last.time.duration(to: .now) < Self.liveValueLifetime {
                    kept = last.estimate.gramsPerKilowattHour
                } else {
                    state.current = IntensityMessages.fallback(for: location)
                }
                state.history.append(state.current.gramsPerKilowattHour)
                if state.settled == nil { state.settled = state.current }
                return kept
            }
            emit(
                .warning,
                IntensityMessages.fetchFailed(
                    address: address, provider: provider.id, reason: error, keptValue: kept,
                    location: location))
        }
        if isRunning { fetchForecast(provider: provider, location: location) }
    }

    /// Fetches the provider's forecast for the next 48 hours and keeps it, or why it failed, for
    /// ``forecast(durationSeconds:)``; a failure is reported only when a prediction needs the forecast.
    private func fetchForecast(provider: any IntensityProvider, location: IntensityLocation) {
        let deadline = ContinuousClock.now + .seconds(2 * settings.requestTimeoutSeconds + 0.5)
        let points: Result<[ForecastPoint], IntensityFetchError>
        do throws(IntensityFetchError) {
            points = .success(
                try provider.forecast(
                    at: location, from: Date(), seconds: Self.forecastHorizonSeconds, deadline: deadline))
        } catch {
            points = .failure(error)
        }
        state.withLock { state in
            guard state.phase == .running else { return }
            state.forecast = CachedForecast(provider: provider.id, location: location, points: points)
            state.forecastAttempts += 1
        }
    }

    // MARK: Providers

    /// The provider the keys ask for, else the country's keyless one; `nil` offline or when none applies.
    package func provider(keys: ProviderKeys, location: IntensityLocation?) -> (any IntensityProvider)? {
        guard !settings.offline, let id = Self.providerID(keys: keys, location: location) else { return nil }
        let fetcher = JSONFetcher(client: client, requestTimeoutSeconds: settings.requestTimeoutSeconds)
        switch id {
        case .electricityMaps:
            guard let key = keys.key(.electricityMaps), !key.isEmpty else { return nil }
            return ElectricityMapsProvider(endpoint: settings.electricityMaps, apiKey: key, fetcher: fetcher)
        case .energiDataService:
            return EnergiDataServiceProvider(endpoint: settings.energiDataService, fetcher: fetcher)
        case .carbonIntensityGB:
            return CarbonIntensityGBProvider(endpoint: settings.carbonIntensityGB, fetcher: fetcher) {
                [weak self] message in self?.emit(.debug, message)
            }
        }
    }

    package static func providerID(keys: ProviderKeys, location: IntensityLocation?) -> ProviderID? {
        if let requested = keys.requested { return requested }
        switch location?.effectiveCountryCode {
        case "DK": return .energiDataService
        case "GB": return .carbonIntensityGB
        default: return nil
        }
    }

    private func logSetUp(geolocationFailure: IntensityFetchError?) {
        let (location, keys) = state.withLock { ($0.location, $0.keys) }
        let id = Self.providerID(keys: keys, location: location)
        let supported = location.map { provider(keys: keys, location: $0)?.supports($0) ?? false } ?? false
        let lines = IntensityMessages.setUp(
            offline: settings.offline, provider: id, providerSupportsLocation: supported, location: location,
            geolocationFailure: geolocationFailure)
        for (level, message) in lines { emit(level, message) }
    }

    /// The only way lines leave this source: keys are masked, and nothing is logged after `stop()`.
    private func emit(_ level: IntensityMessages.Level, _ message: String) {
        let (diagnostics, secrets) = state.withLock { state in
            (state.phase == .running ? state.diagnostics : nil, state.secrets)
        }
        guard let diagnostics else { return }
        var text = message
        for secret in secrets where !secret.isEmpty {
            text = text.replacingOccurrences(of: secret, with: "[redacted]")
        }
        switch level {
        case .info: diagnostics.info(text)
        case .debug: diagnostics.debug(text)
        case .warning: diagnostics.warning(text)
        }
    }
}
