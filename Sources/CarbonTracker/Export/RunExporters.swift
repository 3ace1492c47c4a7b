import Foundation

/// Builds the exporters a tracker's options and environment ask for.
///
/// ```swift
/// let exporters = try RunExporters.make(
///     options: options, environment: options.environment, logPaths: log.paths, diagnostics: log)
/// for exporter in exporters { exporter.record(batch) }   // on the sampling thread
/// for exporter in exporters { exporter.finish() }
/// ```
///
/// In order: the JSONL event log (whenever there are log files), the Prometheus textfile
/// (`prometheusTextfile` / `CARBONTRACKER_PROMETHEUS_TEXTFILE`), the CodeCarbon CSV (`emissionsCSV`) and
/// the Pushgateway (`prometheusPushgateway` / `CARBONTRACKER_PROMETHEUS_PUSHGATEWAY`, credentials from
/// `CARBONTRACKER_PROMETHEUS_AUTH=user:password`), whose final push the files do not wait for.
/// An option that is set wins over its environment variable; an empty variable counts as unset.
enum RunExporters {
    /// The environment variable naming the textfile.
    static let textfileVariable = "CARBONTRACKER_PROMETHEUS_TEXTFILE"
    /// The environment variable naming the Pushgateway.
    static let pushgatewayVariable = "CARBONTRACKER_PROMETHEUS_PUSHGATEWAY"
    /// The environment variable holding `user:password` for the Pushgateway.
    static let authVariable = "CARBONTRACKER_PROMETHEUS_AUTH"

    /// Creates the exporters that are configured.
    /// - Parameters:
    ///   - options: The tracker's options (`prometheusTextfile`, `prometheusPushgateway`, `emissionsCSV`).
    ///   - environment: Variables read for options left `nil`.
    ///   - logPaths: The run's log files, or `nil` without a log directory (then no event log).
    ///   - diagnostics: Where exporters report problems during the run.
    /// - Returns: The exporters, possibly none.
    /// - Throws: ``CarbonTrackerError`` with code `.invalidConfiguration` for a bad path, URL or
    ///   credentials, saying what to change; `.logWriteFailed` when the event log cannot be created.
    static func make(
        options: TrackerOptions, environment: [String: String], logPaths: LogPaths?,
        diagnostics: any DiagnosticsReporter
    ) throws -> [any RunExporter] {
        try make(
            options: options, environment: environment, logPaths: logPaths, diagnostics: diagnostics,
            transport: pushTransport(environment: environment), host: .current())
    }

    /// The Pushgateway's transport, with libcurl loaded now rather than at the first push: loading it
    /// initialises the TLS library, which registers its own exit cleanup, and this must happen before
    /// the monitor's exit drain is registered so that the drain (which may make the final push) runs
    /// first at exit.
    private static func pushTransport(environment: [String: String]) -> any MetricsPushTransport {
        _ = try? CurlLibrary.load(
            path: environment[CurlLibrary.pathVariable].flatMap { $0.isEmpty ? nil : $0 })
        return HTTPClientMetricsPushTransport(client: CurlHTTPClient(environment: environment))
    }

    /// ``make(options:environment:logPaths:diagnostics:)`` with its seams exposed, for tests.
    static func make(
        options: TrackerOptions, environment: [String: String], logPaths: LogPaths?,
        diagnostics: any DiagnosticsReporter, transport: @autoclosure () -> any MetricsPushTransport,
        host: @autoclosure () -> CodeCarbonCSV.HostFacts
    ) throws -> [any RunExporter] {
        func setting(_ option: String?, _ variable: String) -> (value: String, name: String)? {
            if let option { return (option, "TrackerOptions") }
            if let value = environment[variable], !value.isEmpty { return (value, variable) }
            return nil
        }
        let textfile = try setting(options.prometheusTextfile, textfileVariable).map(textfilePath)
        let pushgateway = try setting(options.prometheusPushgateway, pushgatewayVariable).map {
            try pushgatewaySettings($0.value, source: $0.name, auth: environment[authVariable])
        }
        let csv = try options.emissionsCSV.map(csvPath)

        var exporters: [any RunExporter] = []
        if let logPaths, options.eventLog, environment["CARBONTRACKER_EVENT_LOG"] != "0" {
            exporters.append(try EventLogExporter(path: logPaths.events, diagnostics: diagnostics))
        }
        if let textfile {
            exporters.append(PrometheusTextfileExporter(path: textfile, diagnostics: diagnostics))
        }
        if let csv {
            exporters.append(CodeCarbonCSVExporter(path: csv, host: host(), diagnostics: diagnostics))
        }
        // Last: its finish() waits (briefly) for the final push, and the files should not wait for it.
        if let pushgateway {
            exporters.append(
                PushgatewayExporter(settings: pushgateway, transport: transport(), diagnostics: diagnostics))
        }
        return exporters
    }

    /// Checks a textfile path: it ends in `.prom` and its directory exists.
    static func textfilePath(_ setting: (value: String, name: String)) throws -> String {
        let path = setting.value
        guard path.hasSuffix(".prom"), (path as NSString).lastPathComponent != ".prom" else {
            throw CarbonTrackerError.invalidConfiguration(
                "The Prometheus textfile '\(path)' (\(setting.name)) must be a file name ending in .prom: "
                    + "node_exporter's textfile collector reads only *.prom files.")
        }
        try requireDirectory(of: path, what: "Prometheus textfile", source: setting.name)
        return path
    }

    /// Checks an emissions CSV path: its directory exists.
    static func csvPath(_ path: String) throws -> String {
        guard !path.isEmpty, !path.hasSuffix("/") else {
            throw CarbonTrackerError.invalidConfiguration(
                "The emissions CSV path '\(path)' names no file; pass a file path such as emissions.csv.")
        }
        try requireDirectory(of: path, what: "emissions CSV", source: "emissionsCSV")
        return path
    }

    /// Checks a Pushgateway URL and credentials.
    /// - Parameters:
    ///   - text: The URL as given.
    ///   - source: Where it came from, for the message.
    ///   - auth: `user:password`, or `nil`.
    /// - Returns: The push settings.
    /// - Throws: ``CarbonTrackerError`` with code `.invalidConfiguration`; no message repeats the
    ///   credentials or a URL that holds some.
    static func pushgatewaySettings(_ text: String, source: String, auth: String?) throws
        -> PushgatewayExporter.Settings
    {
        guard let components = URLComponents(string: text) else {
            throw CarbonTrackerError.invalidConfiguration(
                "The Pushgateway address in \(source) is not a URL; use one like http://pushgateway:9091.")
        }
        guard components.user == nil && components.password == nil else {
            throw CarbonTrackerError.invalidConfiguration(
                "The Pushgateway address in \(source) holds credentials; remove them from the URL and set "
                    + "\(authVariable)=user:password instead, so they never reach a log.")
        }
        guard let scheme = components.scheme?.lowercased(), scheme == "http" || scheme == "https",
            let host = components.host, !host.isEmpty, let url = components.url
        else {
            throw CarbonTrackerError.invalidConfiguration(
                "The Pushgateway address '\(text)' (\(source)) must be an http or https URL with a host, "
                    + "like http://pushgateway:9091.")
        }
        guard components.query == nil, components.fragment == nil else {
            throw CarbonTrackerError.invalidConfiguration(
                "The Pushgateway address '\(text)' (\(source)) must not have a query or fragment; "
                    + "give the gateway's base URL, like http://pushgateway:9091.")
        }
        var authorization: String?
        if let auth, !auth.isEmpty {
            guard let colon = auth.firstIndex(of: ":"), colon != auth.startIndex else {
                throw CarbonTrackerError.invalidConfiguration(
                    "\(authVariable) must be user:password (a user name, a colon, then the password).")
            }
            authorization = HTTPRequest.basicAuthorization(
                user: String(auth[..<colon]), password: String(auth[auth.index(after: colon)...]))
        }
        return PushgatewayExporter.Settings(baseURL: url, authorization: authorization)
    }

    private static func requireDirectory(of path: String, what: String, source: String) throws {
        let directory = (path as NSString).deletingLastPathComponent
        var isDirectory: ObjCBool = false
        let checked = directory.isEmpty ? "." : directory
        guard FileManager.default.fileExists(atPath: checked, isDirectory: &isDirectory),
            isDirectory.boolValue
        else {
            throw CarbonTrackerError.invalidConfiguration(
                "The directory of the \(what) '\(path)' (\(source)) does not exist; create it first.")
        }
    }
}
