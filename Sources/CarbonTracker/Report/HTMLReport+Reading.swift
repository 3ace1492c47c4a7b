import Foundation

extension HTMLReport {
    /// A run's logs read for a report in one streaming pass each, its epochs summarised as they come.
    struct RunFiles {
        var standardLog: LogParser.StandardLog
        var model: ReportModel
        var outputLog: LogParser.OutputLog?
        var eventLog: LogParser.StandardLog?
        var warnings: [String]
    }

    /// Lines the standard log's reader takes between two hand-overs of its finished epochs.
    private static let linesPerHandOver = 4096

    /// Reads the standard log at `standardPath`, its output log and event log beside it.
    ///
    /// Memory stays flat however many epochs the run has: the standard log's epochs go into the model
    /// as they are read, and the event log's epoch lines beyond those drawn as bands are skipped
    /// unread (the power series and windows carry what the report shows of them).
    /// - Throws: ``CarbonTrackerError`` with code `.logParseFailed` when the standard log cannot be
    ///   read or is not a carbontracker log.
    static func read(standardPath: String) throws -> RunFiles {
        var scanner = StandardLogScanner()
        var builder: ReportModel.Builder?
        var lines = 0
        func handOver() {
            guard scanner.log.epochs.count > 1 else { return }
            // The header (components, PUE) comes before the first epoch.
            if builder == nil { builder = ReportModel.Builder(header: scanner.log, sourceName: standardPath) }
            scanner.takeFinishedEpochs { builder?.add($0) }
        }
        let end = try LogFileReader.forEachLine(path: standardPath) { line in
            scanner.consume(line)
            lines += 1
            if lines % linesPerHandOver == 0 { handOver() }
        }
        handOver()
        var log = scanner.finish(end)
        var model = builder ?? ReportModel.Builder(header: log, sourceName: standardPath)
        let counted = (builder == nil ? 0 : 1) + log.epochs.count
        for epoch in log.epochs { model.add(epoch) }
        guard log.version != nil || counted > 0 || !log.components.isEmpty else {
            throw CarbonTrackerError(
                .logParseFailed,
                "'\(standardPath)' is not a carbontracker log (no version, component or epoch line). "
                    + "Pass a ..._carbontracker.log file.")
        }
        log.epochs = []
        var warnings = log.warnings
        var output: LogParser.OutputLog?
        var eventLog: LogParser.StandardLog?
        if standardPath.hasSuffix(LogDirectory.standardSuffix) {
            let stem = String(standardPath.dropLast(LogDirectory.standardSuffix.count))
            let outputPath = stem + LogDirectory.outputSuffix
            if FileManager.default.fileExists(atPath: outputPath) {
                output = try? LogParser.parseOutputLog(file: outputPath)
                warnings +=
                    output?.warnings ?? [
                        "'\(outputPath)' cannot be read; totals are computed from the epochs."
                    ]
            } else {
                warnings.append(
                    "No output log next to the standard log; totals are computed from the epochs.")
            }
            let eventsPath = stem + LogDirectory.eventsSuffix
            if FileManager.default.fileExists(atPath: eventsPath) {
                eventLog = readEvents(eventsPath)
                if eventLog == nil {
                    warnings.append(
                        "'\(eventsPath)' cannot be read; power over time and regions are left out.")
                }
            }
        }
        let built = model.finish(log: log, output: output)
        return RunFiles(
            standardLog: log, model: built, outputLog: output, eventLog: eventLog,
            warnings: warnings + built.warnings.filter { !warnings.contains($0) })
    }

    /// The event log's records without the epochs beyond one more than ``ReportTimeline/maximumBands``
    /// (enough for the timeline to know it draws none), which are never decoded.
    private static func readEvents(_ path: String) -> LogParser.StandardLog? {
        var scanner = EventLogScanner()
        var epochLines = 0
        let marker: StaticString = "\"event\":\"epoch\""
        let end = try? LogFileReader.forEachLine(path: path) { line in
            if line.prefix(upTo: min(line.count, 96)).find(marker) != nil {
                epochLines += 1
                if epochLines > ReportTimeline.maximumBands + 1 { return }
            }
            scanner.consume(line)
        }
        return end.map { scanner.finish($0).0 }
    }
}
