import CarbonTracker
import Foundation

/// Feeds arbitrary bytes to every reader of outside data: the standard-log and output-log scanners
/// (from memory, from a file through a small buffer, and from a directory), the event-log scanner, the
/// HTML report, and the JSON decoders of the intensity providers and the IP lookup. For the fuzzer and
/// its regression test only: a target of its own, outside the shipping library.
///
/// ```swift
/// import CarbonTrackerFuzzing
/// let target = try FuzzTarget()
/// try target.run(Array("Lhello".utf8))   // traps or throws ``Finding`` when a reader misbehaves
/// ```
///
/// The first byte picks the reader (``Kind``); the rest is its input. For logs, the text up to
/// ``outputSeparator`` is the standard log and the text after it the output log of the same run.
/// Besides not trapping, every reader must keep its promises (checked here, a broken one is a
/// ``Finding``): totals are finite and not negative, charts have finite coordinates, a file read
/// in small pieces gives what the text gives, provider values are plausible. Cost: a few file
/// writes and one directory read per log input (about 100 µs); provider inputs touch no file.
package final class FuzzTarget {
    /// The reader an input is for, by its first byte.
    package enum Kind: UInt8, CaseIterable, Sendable {
        /// A run's two logs (`L`).
        case logs = 0x4C
        /// A run's event log, `..._carbontracker_events.jsonl` (`J`).
        case eventLog = 0x4A
        /// An Electricity Maps answer (`E`).
        case electricityMaps = 0x45
        /// An Energi Data Service answer (`D`).
        case energiDataService = 0x44
        /// A Carbon Intensity API answer, regional and national (`G`).
        case carbonIntensityGB = 0x47
        /// An IP-geolocation answer (`I`).
        case geolocation = 0x49

        /// The kind for an input's first byte: the byte itself when it names a kind, else by its
        /// value modulo the number of kinds, so that every input reaches a reader.
        package init(firstByte: UInt8) {
            self = Kind(rawValue: firstByte) ?? Kind.allCases[Int(firstByte) % Kind.allCases.count]
        }
    }

    /// A reader broke a promise (an infinite total, a `nan` coordinate, two readings that differ).
    package struct Finding: Error, CustomStringConvertible {
        /// What was wrong.
        package var description: String
    }

    /// Separates the standard log from the output log in a ``Kind/logs`` input.
    package static let outputSeparator = Array("\n--- carbontracker_output.log ---\n".utf8)

    /// The scratch directory holding the run's two logs.
    package let directory: String

    /// Creates a target with its own scratch directory.
    /// - Throws: When the directory cannot be created.
    package init() throws {
        directory = NSTemporaryDirectory() + "carbontracker-fuzz-\(getpid())-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(atPath: directory) }

    /// Reads one input with the reader its first byte names.
    /// - Parameter input: The input; an empty one is ignored.
    /// - Throws: ``Finding`` when a reader broke a promise, or an error writing the scratch files.
    package func run(_ input: [UInt8]) throws {
        guard let first = input.first else { return }
        let body = Array(input.dropFirst())
        let kind = Kind(firstByte: first)
        switch kind {
        case .logs: try readLogs(body)
        case .eventLog: try readEventLog(body)
        case .electricityMaps, .energiDataService, .carbonIntensityGB:
            try readProviderAnswer(body, kind: kind)
        case .geolocation: readGeolocation(body)
        }
    }

    // MARK: Logs

    /// An event log alone in its directory, read as `--parse` and `--report` read a run described
    /// only by one.
    private func readEventLog(_ body: [UInt8]) throws {
        let events = directory + "/events"
        try? FileManager.default.createDirectory(atPath: events, withIntermediateDirectories: true)
        try Data(body).write(to: URL(fileURLWithPath: events + "/run_carbontracker_events.jsonl"))
        let parse = try LogParser.parseAllLogs(logDir: events)
        try checkAggregate(try LogParser.aggregateConsumption(logDir: events))
        for entry in parse.entries {
            let output = LogParser.OutputLog(actual: entry.actual, predicted: entry.predicted)
            try checkReport(
                HTMLReport(standardLog: entry.standardLog, outputLog: output, sourceName: "events").render(),
                ReportModel(standardLog: entry.standardLog, output: output))
        }
    }

    private func readLogs(_ body: [UInt8]) throws {
        let (standard, output) = Self.split(body)
        let standardPath = directory + "/run_carbontracker.log"
        let outputPath = directory + "/run_carbontracker_output.log"
        try Data(standard).write(to: URL(fileURLWithPath: standardPath))
        try Data(output).write(to: URL(fileURLWithPath: outputPath))

        // In memory, as `parseStandardLog(_:)` reads a `String`.
        let standardLog = LogParser.parseStandardLog(String(decoding: standard, as: UTF8.self))
        let outputLog = LogParser.parseOutputLog(String(decoding: output, as: UTF8.self))
        // From the file through a buffer a few bytes long, so that reads cut lines everywhere and long
        // lines are skipped.
        let capacity = 1 + Int(standard.count % 61)
        let fromFile = try scanFile(standardPath, capacity: capacity, keepsFigures: true)
        _ = try scanFile(standardPath, capacity: capacity, keepsFigures: false)
        _ = try scanOutputFile(outputPath, capacity: capacity)
        // Both readings see the same lines when the bytes are text that ends with a line ending and
        // no line was too long for the small buffer.
        let comparable =
            UTF8Validation.isValid(standard)
            && (standard.last == 0x0A || standard.last == 0x0D)
            && !fromFile.warnings.contains { $0.contains("bytes were skipped") }
        if comparable {
            try expect(
                String(describing: fromFile.epochs) == String(describing: standardLog.epochs),
                "the file read in pieces of \(capacity) bytes gives other epochs than the text")
        }

        // As `--parse` and `--report` read them.
        let parse = try LogParser.parseAllLogs(logDir: directory)
        try checkAggregate(try LogParser.aggregateConsumption(logDir: directory))
        if let report = try? HTMLReport(standardLogFile: standardPath) {
            try checkReport(
                report.render(), ReportModel(standardLog: report.standardLog, output: report.outputLog))
        }
        for entry in parse.entries {
            try expect(
                entry.components.allSatisfy {
                    $0.epochNumbers.count == ($0.averagePowerWatts?.count ?? $0.epochNumbers.count)
                },
                "a component's figures are not aligned with its epochs")
        }
        let report = HTMLReport(
            standardLog: standardLog, outputLog: outputLog, sourceName: "<fuzz & \"run\">")
        try checkReport(report.render(), ReportModel(standardLog: standardLog, output: outputLog))
        _ = LogParser.ComponentLog.all(from: standardLog)
    }

    private func scanFile(_ path: String, capacity: Int, keepsFigures: Bool) throws -> LogParser.StandardLog {
        var scanner = StandardLogScanner(keepsFigures: keepsFigures)
        let end = try Self.readLines(path, capacity: capacity) { scanner.consume($0) }
        return scanner.finish(end)
    }

    private func scanOutputFile(_ path: String, capacity: Int) throws -> LogParser.OutputLog {
        var scanner = OutputLogScanner()
        let end = try Self.readLines(path, capacity: capacity) { scanner.consume($0) }
        return scanner.finish(end)
    }

    /// Reads the file's lines through a buffer of `capacity` bytes that keeps lines of up to 256.
    private static func readLines(_ path: String, capacity: Int, _ body: (LogBytes) -> Void) throws
        -> LogFileReader.Outcome
    {
        try withDescriptor(path) { fd in
            try LogFileReader.forEachLine(
                descriptor: fd, knownBytes: 0, buffer: .init(capacity: capacity, maximumLineBytes: 256),
                path: path, body)
        }
    }

    private static func withDescriptor<T>(_ path: String, _ body: (Int32) throws -> T) throws -> T {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw Finding(description: "cannot open the scratch file \(path)") }
        defer { close(fd) }
        return try body(fd)
    }

    private func checkAggregate(_ aggregate: LogParser.Aggregate) throws {
        try expect(
            Self.isUsableTotal(aggregate.energyKilowattHours) && Self.isUsableTotal(aggregate.co2eqGrams)
                && aggregate.equivalents.values.allSatisfy(Self.isUsableTotal),
            "the aggregate has an unusable total: \(aggregate.energyKilowattHours) kWh, \(aggregate.co2eqGrams) g"
        )
        try expect(aggregate.runsCounted <= 1, "one run counted \(aggregate.runsCounted) times")
        for job in aggregate.jobs {
            try expect(
                Self.isUsableTotal(job.energyKilowattHours) && Self.isUsableTotal(job.co2eqGrams)
                    && job.components.allSatisfy { Self.isUsableTotal($0.energyJoules) },
                "job \(job.jobID) has an unusable total: \(job.energyKilowattHours) kWh, \(job.co2eqGrams) g")
            _ = job.summaryLine
        }
        _ = aggregate.sentence
    }

    private func checkReport(_ html: String, _ model: ReportModel) throws {
        try expect(
            !Self.hasNonFiniteAttribute(html), "the report has a coordinate or size that is nan or inf")
        try expect(
            Self.isUsableTotal(model.durationSeconds) && Self.isUsableTotal(model.kilowattHours)
                && model.co2eqGrams.map(Self.isUsableTotal) ?? true
                && model.components.allSatisfy { Self.isUsableTotal($0.kilowattHours) },
            "the report has an unusable total")
    }

    /// Whether an attribute value of `html` is `"nan"`, `"inf"`, `"-nan"` or `"-inf"` (what `%f` prints
    /// for a coordinate that is not finite). One pass over the bytes; Foundation's search is 50× slower.
    package static func hasNonFiniteAttribute(_ html: String) -> Bool {
        var html = html
        return html.withUTF8 { bytes in
            var index = 0
            while index + 5 <= bytes.count {
                defer { index += 1 }
                guard bytes[index] == UInt8(ascii: "\"") else { continue }
                var next = index + 1
                if bytes[next] == UInt8(ascii: "-") { next += 1 }
                guard next + 4 <= bytes.count, bytes[next + 3] == UInt8(ascii: "\"") else { continue }
                let word = (bytes[next], bytes[next + 1], bytes[next + 2])
                if word == (0x6E, 0x61, 0x6E) || word == (0x69, 0x6E, 0x66) { return true }  // nan, inf
            }
            return false
        }
    }

    /// The standard log and the output log of a ``Kind/logs`` input.
    package static func split(_ body: [UInt8]) -> (standard: [UInt8], output: [UInt8]) {
        let separator = outputSeparator
        guard body.count >= separator.count else { return (body, []) }
        for start in 0...(body.count - separator.count) where body[start] == separator[0] {
            if body[start..<(start + separator.count)].elementsEqual(separator) {
                return (Array(body[..<start]), Array(body[(start + separator.count)...]))
            }
        }
        return (body, [])
    }

    private static func isUsableTotal(_ value: Double) -> Bool { value.isFinite && value >= 0 }

    private func expect(_ condition: Bool, _ message: @autoclosure () -> String) throws {
        if !condition { throw Finding(description: message()) }
    }

    // MARK: Network answers

    /// Answers every request with the same body, at once.
    private struct ReplayClient: HTTPClient {
        let body: Data

        func send(_ request: HTTPRequest) throws(IntensityFetchError) -> HTTPResponse {
            HTTPResponse(status: 200, headers: [:], body: body)
        }

        func cancelAll() {}
    }

    private func fetcher(_ body: [UInt8]) -> JSONFetcher {
        JSONFetcher(client: ReplayClient(body: Data(body)), requestTimeoutSeconds: 60)
    }

    private func readProviderAnswer(_ body: [UInt8], kind: Kind) throws {
        let base = ServiceEndpoint(base: URL(string: "https://fuzz.invalid/base")!)
        let provider: any IntensityProvider
        let location: IntensityLocation
        switch kind {
        case .electricityMaps:
            provider = ElectricityMapsProvider(endpoint: base, apiKey: "fuzz-key", fetcher: fetcher(body))
            location = IntensityLocation(latitude: 55.7, longitude: 12.6, countryCode: "DK")
        case .energiDataService:
            provider = EnergiDataServiceProvider(endpoint: base, fetcher: fetcher(body))
            location = IntensityLocation(countryCode: "DK")
        default:
            provider = CarbonIntensityGBProvider(endpoint: base, fetcher: fetcher(body)) { _ in }
            location = IntensityLocation(countryCode: "GB", postcode: "SW1A 1AA")
        }
        let deadline = ContinuousClock.now + .seconds(60)
        if let value = try? provider.latest(at: location, deadline: deadline) {
            try expect(value.isFinite && (0...3000).contains(value), "implausible latest value \(value)")
        }
        // The seed answers are stamped 2024-05-01 12:00 UTC, so their forecasts cover this "now".
        let now = Date(timeIntervalSince1970: 1_714_564_800)
        for seconds: Double in [0, 1800, 259_200] {
            guard
                let points = try? provider.forecast(
                    at: location, from: now, seconds: seconds, deadline: deadline)
            else { continue }
            try expect(!points.isEmpty, "an empty forecast was returned")
            for point in points {
                try expect(
                    point.gramsPerKilowattHour.isFinite && (0...3000).contains(point.gramsPerKilowattHour),
                    "implausible forecast value \(point.gramsPerKilowattHour)")
            }
            if let mean = ForecastSeries.mean(points, from: now, seconds: seconds) {
                try expect(mean.isFinite, "the forecast mean is \(mean)")
            }
        }
    }

    private func readGeolocation(_ body: [UInt8]) {
        let locator = IPGeolocator(
            endpoint: ServiceEndpoint(base: URL(string: "https://fuzz.invalid/json")!), fetcher: fetcher(body)
        )
        if let location = try? locator.locate(deadline: .now + .seconds(60)) {
            _ = location.displayAddress
            _ = IntensityMessages.fallback(for: location)
        }
    }
}
