import Foundation
import Testing

@testable import CarbonTracker
@testable import CarbonTrackerCLICore
@testable import CarbonTrackerMonitor
@testable import CarbonTrackerSources

@Suite struct CLIExportFormatTests {
    @Test func formatTrainingTypeAndEmissionsCSVAreParsed() throws {
        let json = try CLIArguments.parse(["--parse", "logs", "--format", "json"])
        #expect(json.parseFormat == .json)
        #expect(try CLIArguments.parse(["--parse", "logs"]).parseFormat == .text)
        let card = try CLIArguments.parse([
            "--parse=logs", "--format=model-card", "--training-type", "fine-tuning",
        ])
        #expect(card.parseFormat == .modelCard)
        #expect(card.trainingType == "fine-tuning")
        let tracked = try CLIArguments.parse(["--emissions-csv", "e.csv", "--", "sleep", "1"])
        #expect(tracked.emissionsCSV == "e.csv")
        #expect(CLIArguments.help.contains("--format FORMAT"))
        #expect(CLIArguments.help.contains("--emissions-csv, --emissions_csv PATH"))
    }

    @Test(arguments: [
        (
            ["--parse", "a", "--format", "xml"],
            "option --format: 'xml' is not one of text, json, csv, model-card"
        ),
        (["--format", "json", "sleep", "1"], "--format applies to --parse DIR only"),
        (
            ["--parse", "a", "--training-type", "x"],
            "--training-type applies to --parse DIR --format model-card only"
        ),
        (["--parse", "a", "--emissions-csv", "e.csv"], "--emissions-csv applies to a tracked command only"),
    ])
    func misplacedExportOptionsAreUsageErrors(arguments: [String], message: String) {
        #expect(throws: CLIUsageError(message: message)) { try CLIArguments.parse(arguments) }
    }

    @Test func everyFormatPrintsPythonLogs() throws {
        let parse = try LogParser.parseAllLogs(logDir: ParserTestSupport.pythonLogs)
        for (format, expected) in [
            ("json", LogExport.json(parse)), ("csv", LogExport.codeCarbonCSV(parse)),
            ("model-card", LogExport.modelCard(parse, trainingType: "pre-training")),
        ] {
            let console = CapturedConsole()
            var arguments = ["--parse", ParserTestSupport.pythonLogs, "--format", format]
            if format == "model-card" { arguments += ["--training-type", "pre-training"] }
            let status = CarbonTrackerCommand.main(
                arguments: arguments, environment: [:], console: console.console)
            #expect(status == 0)
            #expect(console.printed == expected, "\(format)")
            #expect(console.warnings.isEmpty)
        }
        let text = CapturedConsole()
        #expect(
            CarbonTrackerCommand.main(
                arguments: ["--parse", ParserTestSupport.pythonLogs, "--format", "text"], environment: [:],
                console: text.console) == 0)
        #expect(
            text.printed == (try LogParser.aggregateSentence(logDir: ParserTestSupport.pythonLogs)) + "\n")
    }
}
