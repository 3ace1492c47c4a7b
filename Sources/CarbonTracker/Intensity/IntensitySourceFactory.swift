/// Picks the carbon-intensity source for a tracker from its API keys and options.
enum IntensitySourceFactory {
    /// The source to use; never touches the network itself.
    /// - Throws: ``CarbonTrackerError`` with code `.invalidConfiguration` for an unknown provider name.
    static func make(apiKeys: [String: String]?, options: TrackerOptions) throws -> any CarbonIntensitySource
    {
        if let source = options.intensitySource { return source }
        return FixedIntensitySource(.worldAverage)
    }
}
