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
