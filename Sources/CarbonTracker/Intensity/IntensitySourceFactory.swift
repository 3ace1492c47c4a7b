/// Picks the carbon-intensity source for a tracker from its API keys and options.
enum IntensitySourceFactory {
    /// The source to use: ``TrackerOptions/intensitySource`` when set (given `apiKeys`, if any),
    /// else a ``LiveIntensitySource``. Never touches the network itself.
    /// - Throws: ``CarbonTrackerError`` with code `.invalidConfiguration` for an unknown provider name
    ///   or a malformed location, URL or time-out.
    static func make(apiKeys: [String: String]?, options: TrackerOptions) throws -> any CarbonIntensitySource
    {
        if let source = options.intensitySource {
            if let apiKeys { try source.updateAPIKeys(apiKeys) }
            return source
        }
        return try LiveIntensitySource(apiKeys: apiKeys, options: options)
    }
}

extension LiveIntensitySource {
    /// Creates a source from a tracker's API keys and options; starts nothing.
    /// - Parameters:
    ///   - apiKeys: Provider name to key, as in Python (`electricitymaps`, `energidataservice`,
    ///     `carbonintensityGB`).
    ///   - options: The location and the environment (`CARBONTRACKER_*` variables) are read from here.
    /// - Throws: ``CarbonTrackerError`` with code `.invalidConfiguration` for an unknown provider name
    ///   or a malformed location, URL or time-out.
    public convenience init(apiKeys: [String: String]? = nil, options: TrackerOptions = TrackerOptions())
        throws
    {
        try self.init(apiKeys: apiKeys, location: options.location, environment: options.environment)
    }
}

extension IntensitySettings {
    /// Reads the settings from a tracker's API keys and options.
    init(apiKeys: [String: String]?, options: TrackerOptions) throws {
        try self.init(apiKeys: apiKeys, location: options.location, environment: options.environment)
    }
}
