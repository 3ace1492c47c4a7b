import Foundation
import Testing

@testable import CarbonTracker
@testable import CarbonTrackerMonitor
@testable import CarbonTrackerSources

/// The byte-level reading: numbers as Swift reads them, the aggregate-only path against the full
/// parse, many runs across worker batches, files read in several chunks, and links.
@Suite struct ByteLevelReadingTests {
    static func sameDouble(_ a: Double?, _ b: Double?) -> Bool {
        guard let a, let b else { return a == nil && b == nil }
        return a.bitPattern == b.bitPattern || (a.isNaN && b.isNaN)
    }

    /// The digits-only fast path must give exactly what `Double(String)` gives, sign of zero included.
    @Test func numbersReadExactlyAsSwiftReadsThem() {
        var random = SeededGenerator(state: 42)
        var texts = [
            "0", "-0", "+0", "-0.0", "00.000", "5.", ".5", "+.5", "-.5", "1.e-05", "1e5", "1E+05", "1e999",
            "-1e999",
            "1e-400", "4.9e-324", "9007199254740991", "9007199254740992", "9007199254740993",
            "0.1234567890123456789012", "0.12345678901234567890123", "1.2.3", "--1", "+-1", "1e", "e5", "-",
            "+",
            "0.000314563630", "248.12345679", "123456789012345678901234567890",
        ]
        for _ in 0..<20_000 {
            let alphabet = Array("0123456789.eE+-")
            let length = Int.random(in: 1...24, using: &random)
            texts.append(String((0..<length).map { _ in alphabet.randomElement(using: &random)! }))
            let digits = String(
                (0..<Int.random(in: 1...19, using: &random)).map { _ in
                    Character(String(Int.random(in: 0...9, using: &random)))
                })
            let point = Int.random(in: 0...digits.count, using: &random)
            let sign = ["", "-", "+"].randomElement(using: &random)!
            texts.append(sign + digits.prefix(point) + "." + digits.dropFirst(point))
        }
        for text in texts {
            #expect(Self.sameDouble(LogValue.number(text), Double(text)), "\(text)")
        }
        #expect(Self.sameDouble(LogValue.number("NaN"), .nan))
        #expect(LogValue.number("-INFINITY") == -.infinity)
        #expect(LogValue.number("+nan") == nil)
    }

    @Test func integersReadExactlyAsSwiftReadsThem() {
        var random = SeededGenerator(state: 7)
        var texts = [
            "9223372036854775807", "9223372036854775808", "-9223372036854775808", "-9223372036854775809",
            "+", "-", "", "+0", "-0", "007",
        ]
        let alphabet = Array("0123456789+-x")
        for _ in 0..<5_000 {
            let length = Int.random(in: 1...21, using: &random)
            texts.append(String((0..<length).map { _ in alphabet.randomElement(using: &random)! }))
        }
        for text in texts {
            var copy = text
            let parsed = copy.withUTF8 { LogValue.integer(LogBytes($0)) }
            #expect(parsed == Int(text), "\(text)")
        }
    }

    /// The aggregate reads standard logs without their figures; its totals and warnings must be
    /// those of the full parse, bad files included.
    @Test func aggregateOnlyReadingMatchesTheFullParse() throws {
        let directory = try ParserTestSupport.scratchDirectory()
        defer { ParserTestSupport.cleanUp(directory) }
        try ParserTestSupport.copyPythonLogs(to: directory)
        let source = ParserTestSupport.pythonLogs + "/7441.593662_2026-11-21T063448Z_carbontracker"
        let standard = try ParserTestSupport.read(source + ".log")
        let output = try ParserTestSupport.read(source + "_output.log")
        let stamp = "2026-11-21 06:34:50 - "
        let broken =
            standard + stamp + "Duration: garbage\n" + stamp + "Average power usage (W) for gpu: [1.0 x]\n"
            + stamp
            + "Epoch 9:\n" + stamp + "Average power usage (W) for gpu: [1.0 2.0\n" + stamp
            + "Measured energy (J) for gpu: y [method: counter]\n" + stamp + "Training was interrupted\n"
            + stamp + "Epoch 10:\n" + stamp + "Average power usage (W) for gpu: 5"
        try ParserTestSupport.write(broken, to: directory + "/b_carbontracker.log")
        try ParserTestSupport.write(
            output.replacingOccurrences(of: "0.000157505082", with: "nan"),
            to: directory + "/b_carbontracker_output.log")
        try ParserTestSupport.write(standard, to: directory + "/o_carbontracker.log")
        try ParserTestSupport.write("", to: directory + "/e_carbontracker.log")
        try ParserTestSupport.write(output, to: directory + "/e_carbontracker_output.log")

        let aggregate = try LogParser.aggregateConsumption(logDir: directory)
        let parse = try LogParser.parseAllLogs(logDir: directory)
        #expect(aggregate == LogParser.Aggregate(parse))
        #expect(parse.warnings.contains { $0.message.contains("cannot read the duration") })
        #expect(parse.warnings.contains { $0.message.contains("no closing bracket") })
        #expect(parse.warnings.contains { $0.message.contains("Epoch 10 has no duration line") })
        #expect(parse.entries.first { $0.standardFile.hasSuffix("/b_carbontracker.log") }?.earlyStop == true)
        #expect(aggregate.warnings.contains { $0.message.contains("No matching non-empty output log") })
    }

    /// Enough runs for several worker batches, listed in an order unrelated to their names.
    @Test func manyRunsKeepTheOrderOfTheirPaths() throws {
        let directory = try ParserTestSupport.scratchDirectory()
        defer { ParserTestSupport.cleanUp(directory) }
        let fixture = ParserTestSupport.pythonLogs + "/7569.321381_2026-11-21T063454Z_carbontracker"
        var random = SeededGenerator(state: 3)
        for index in (0..<300).shuffled(using: &random) {
            let base = directory + "/\(index * 7919 % 1000)_carbontracker"
            #expect(link(fixture + ".log", base + ".log") == 0)
            if index % 50 != 0 { #expect(link(fixture + "_output.log", base + "_output.log") == 0) }
        }
        let parse = try LogParser.parseAllLogs(logDir: directory)
        let listing = try LogParser.getAllLogs(logDir: directory)
        #expect(parse.entries.count == 294)
        #expect(parse.entries.map(\.standardFile) == listing.pairs.map(\.standardLog))
        #expect(parse.entries.map(\.standardFile) == parse.entries.map(\.standardFile).sorted())
        #expect(parse.warnings == listing.warnings, "the only warnings are the six orphans")
        let single = try LogParser.parseStandardLog(file: fixture + ".log")
        #expect(parse.entries.allSatisfy { $0.standardLog == single })
        #expect(try LogParser.aggregateConsumption(logDir: directory).runsCounted == 294)
    }

    /// A log larger than one read: the lines that straddle two reads are read whole.
    @Test func logsLargerThanOneReadMatchTheirText() throws {
        let directory = try ParserTestSupport.scratchDirectory()
        defer { ParserTestSupport.cleanUp(directory) }
        let stamp = "2026-11-21 06:34:50 - "
        var text = stamp + "carbontracker version 2.4.7\n"
        for epoch in 1...4_000 {
            text += stamp + "Epoch \(epoch):\n" + stamp + "Duration: 0:00:0\(epoch % 10).25\n"
            text += stamp + "Average power usage (W) for gpu: [\(epoch).5 12.25]\n"
        }
        #expect(text.utf8.count > 2 * LogFileReader.chunkBytes)
        let path = directory + "/big_carbontracker.log"
        try ParserTestSupport.write(text, to: path)
        let fromFile = try LogParser.parseStandardLog(file: path)
        #expect(fromFile == LogParser.parseStandardLog(text))
        #expect(fromFile.epochs.count == 4_000)
        #expect(fromFile.epochs.last?.components.first?.averagePowerWatts == [4000.5, 12.25])
    }

    /// A link is followed to the log it names; a link to a device is examined, never opened.
    @Test func linksAreFollowedAndDevicesNeverOpened() throws {
        let directory = try ParserTestSupport.scratchDirectory()
        defer { ParserTestSupport.cleanUp(directory) }
        let fixture = ParserTestSupport.pythonLogs + "/7594.780737_2026-11-21T063459Z_carbontracker"
        let fm = FileManager.default
        try fm.createSymbolicLink(
            atPath: directory + "/l_carbontracker.log", withDestinationPath: fixture + ".log")
        try fm.createSymbolicLink(
            atPath: directory + "/l_carbontracker_output.log", withDestinationPath: fixture + "_output.log")
        // Reading /dev/zero would never end.
        try fm.createSymbolicLink(
            atPath: directory + "/z_carbontracker.log", withDestinationPath: "/dev/zero")
        try fm.copyItem(atPath: fixture + "_output.log", toPath: directory + "/z_carbontracker_output.log")

        let parse = try LogParser.parseAllLogs(logDir: directory)
        #expect(
            parse.entries.map { ($0.standardFile as NSString).lastPathComponent } == ["l_carbontracker.log"])
        #expect(parse.entries.first?.actual?.energyKilowattHours == 0.0001)
        #expect(
            parse.warnings.map(\.description) == [
                directory + "/z_carbontracker.log: Not a regular file; skipped.",
                directory + "/z_carbontracker_output.log: No matching non-empty standard log "
                    + "'z_carbontracker.log'; skipped.",
            ])
    }

    /// Markers are matched by code point, as Python's expressions match them: a combining mark after
    /// the marker does not hide it.
    @Test func combiningMarksDoNotHideMarkers() {
        let text = "2026-11-21 06:34:50 - Training was interrupted\u{301} early\n"
        #expect(LogParser.getEarlyStop(text))
    }
}
