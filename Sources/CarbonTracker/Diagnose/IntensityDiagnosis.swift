import Foundation

/// The carbon-intensity part of `--diagnose`: where the machine is, which provider or stored average
/// a tracker would use, and (unless offline) the value the provider gives now.
enum IntensityDiagnosis {
    /// The lines of the report; keys never appear in them.
    /// - Parameters:
    ///   - apiKeys: Provider keys, as a tracker would get them.
    ///   - environment: `CARBONTRACKER_*` settings.
    static func lines(apiKeys: [String: String]?, environment: [String: String]) -> [String] {
        let settings: IntensitySettings
        do {
            settings = try IntensitySettings(
                apiKeys: apiKeys, options: TrackerOptions(environment: environment))
        } catch {
            return ["configuration error: \((error as? CarbonTrackerError)?.message ?? "\(error)")"]
        }
        var lines: [String] = []
        let client = CurlHTTPClient(environment: environment)
        var location = settings.configuredLocation
        var failure: IntensityFetchError?
        if let location {
            lines.append(
                "location: \(location.displayAddress) (from TrackerOptions or CARBONTRACKER_COUNTRY)")
        } else if settings.offline {
            lines.append(
                "location: unknown; CARBONTRACKER_OFFLINE=1 forbids the IP lookup (set CARBONTRACKER_COUNTRY, e.g. DK, "
                    + "to use that country's average)")
        } else {
            let fetcher = JSONFetcher(client: client, requestTimeoutSeconds: settings.requestTimeoutSeconds)
            let locator = IPGeolocator(endpoint: settings.geolocation, fetcher: fetcher)
            do {
                let found = try locator.locate(deadline: .now + .seconds(settings.requestTimeoutSeconds))
                location = found
                lines.append(
                    "location: \(found.displayAddress) (IP lookup at \(hostDescription(settings.geolocation.base)))"
                )
            } catch {
                failure = error
                lines.append("location: unknown; the IP lookup failed: \(error.message)")
            }
        }
        let source = LiveIntensitySource(settings: settings, client: client, refreshIntervalSeconds: 900)
        let id = LiveIntensitySource.providerID(keys: settings.keys, location: location)
        let provider = location.flatMap { source.provider(keys: settings.keys, location: $0) }
        let supported = location.map { provider?.supports($0) ?? false } ?? false
        for (_, line) in IntensityMessages.setUp(
            offline: settings.offline, provider: id, providerSupportsLocation: supported, location: location,
            geolocationFailure: failure)
        {
            lines.append("a tracker would log: \(line)")
        }
        let fallback = IntensityMessages.fallback(for: location)
        lines.append(
            "stored fallback: \(Diagnosis.number(fallback.gramsPerKilowattHour, digits: 2)) gCO2eq/kWh (\(fallback.source))"
        )
        if settings.offline {
            lines.append("no network call was made (CARBONTRACKER_OFFLINE=1)")
        } else if let provider, let location, supported {
            let deadline = ContinuousClock.now + .seconds(2 * settings.requestTimeoutSeconds)
            do {
                let value = try provider.latest(at: location, deadline: deadline)
                lines.append(
                    "live value now: \(Diagnosis.number(value, digits: 2)) gCO2eq/kWh from \(provider.id.displayName)"
                )
            } catch {
                lines.append("live value could not be fetched: \(provider.id.displayName): \(error.message)")
            }
        }
        client.cancelAll()
        let secrets = settings.keys.secrets
        return lines.map { line in
            secrets.reduce(line) { $0.replacingOccurrences(of: $1, with: "[redacted]") }
        }
    }
}
