import Foundation

/// The provider keys of a tracker (`apiKeys`, `setAPIKeys`), checked against the known providers.
package struct ProviderKeys: Sendable, Equatable {
    /// The keys by provider; keyless providers may be named with any value, even empty.
    private(set) var keys: [ProviderID: String] = [:]

    /// No keys.
    init() {}

    /// Checks `apiKeys` (Python's `api_keys` names, any case).
    /// - Throws: ``CarbonTrackerError`` with code `.invalidConfiguration` naming every unknown provider;
    ///   the message never contains a key.
    init(_ apiKeys: [String: String]?) throws {
        var unknown: [String] = []
        for (name, key) in apiKeys ?? [:] {
            guard let id = ProviderID(name: name) else {
                unknown.append("'\(name)'")
                continue
            }
            keys[id] = key.trimmingCharacters(in: .whitespacesAndNewlines)
        }
        if !unknown.isEmpty {
            throw CarbonTrackerError.invalidConfiguration(
                "No matching provider for API keys: \(unknown.sorted().joined(separator: ", ")). Supported providers: "
                    + ProviderID.allCases.map(\.rawValue).joined(separator: ", ") + ".")
        }
    }

    /// The key for `id`, when one was given.
    func key(_ id: ProviderID) -> String? { keys[id] }

    /// Providers named with an empty key although they need one.
    var emptyKeyProviders: [ProviderID] {
        ProviderID.allCases.filter { $0.needsKey && keys[$0]?.isEmpty == true }
    }

    /// The provider the keys ask for: Electricity Maps when it has a key, else a keyless one named.
    var requested: ProviderID? {
        ProviderID.allCases.first { id in
            guard let key = keys[id] else { return false }
            return !id.needsKey || !key.isEmpty
        }
    }

    /// Every non-empty key, to be kept out of messages.
    package var secrets: [String] { keys.values.filter { !$0.isEmpty } }
}

/// What a live intensity source takes from the tracker's options and environment, checked once
/// so that configuration mistakes fail `CarbonTracker.init` instead of a later refresh.
package struct IntensitySettings: Sendable {
    /// Environment variable names.
    enum Variable {
        static let country = "CARBONTRACKER_COUNTRY"
        static let offline = "CARBONTRACKER_OFFLINE"
        static let geolocationURL = "CARBONTRACKER_GEOLOCATION_URL"
        static let electricityMapsURL = "CARBONTRACKER_ELECTRICITYMAPS_URL"
        static let energiDataServiceURL = "CARBONTRACKER_ENERGIDATASERVICE_URL"
        static let carbonIntensityGBURL = "CARBONTRACKER_CARBONINTENSITYGB_URL"
        static let timeout = "CARBONTRACKER_HTTP_TIMEOUT"
    }

    /// The location given by options or `CARBONTRACKER_COUNTRY`; `nil` means "look it up".
    package var configuredLocation: IntensityLocation?
    /// `CARBONTRACKER_OFFLINE=1`: no network use at all.
    package var offline: Bool
    package var geolocation: ServiceEndpoint
    var electricityMaps: ServiceEndpoint
    var energiDataService: ServiceEndpoint
    var carbonIntensityGB: ServiceEndpoint
    /// The longest one HTTP request may take, in seconds.
    package var requestTimeoutSeconds: Double
    package var keys: ProviderKeys

    /// Reads the settings.
    /// - Throws: ``CarbonTrackerError`` with code `.invalidConfiguration` for an unknown provider name,
    ///   a malformed location, URL or time-out.
    /// - Parameters:
    ///   - apiKeys: Provider name to key.
    ///   - location: A location given in code (`TrackerOptions.location`), or `nil`.
    ///   - environment: Where `CARBONTRACKER_*` variables are read.
    package init(apiKeys: [String: String]?, location: IntensityLocation?, environment: [String: String])
        throws
    {
        keys = try ProviderKeys(apiKeys)
        if let location {
            configuredLocation = try location.validated(origin: "TrackerOptions.location")
        } else if let country = environment[Variable.country]?.trimmingCharacters(in: .whitespaces),
            !country.isEmpty
        {
            configuredLocation = try IntensityLocation(countryCode: country).validated(
                origin: Variable.country)
        } else {
            configuredLocation = nil
        }
        offline = try Plausible.flag(variable: Variable.offline, in: environment) ?? false

        func endpoint(_ variable: String, default value: String) throws -> ServiceEndpoint {
            let text = environment[variable].flatMap { $0.isEmpty ? nil : $0 } ?? value
            return try ServiceEndpoint.parse(text, variable: variable)
        }
        geolocation = try endpoint(Variable.geolocationURL, default: "https://ipinfo.io/json")
        electricityMaps = try endpoint(
            Variable.electricityMapsURL, default: "https://api.electricitymaps.com/v3")
        energiDataService = try endpoint(
            Variable.energiDataServiceURL, default: "https://api.energidataservice.dk")
        carbonIntensityGB = try endpoint(
            Variable.carbonIntensityGBURL, default: "https://api.carbonintensity.org.uk")

        if let text = environment[Variable.timeout], !text.isEmpty {
            guard let seconds = Double(text), seconds.isFinite, seconds > 0, seconds <= 120 else {
                throw CarbonTrackerError.invalidConfiguration(
                    "\(Variable.timeout) must be a number of seconds between 0 and 120, got '\(text)'.")
            }
            requestTimeoutSeconds = seconds
        } else {
            requestTimeoutSeconds = 5
        }
    }
}
