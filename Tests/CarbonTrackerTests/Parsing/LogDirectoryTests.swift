import Foundation
import Testing

@testable import CarbonTracker
@testable import CarbonTrackerMonitor
@testable import CarbonTrackerSources

/// Directories: logs written by this package, mixed directories, and every kind of bad input.
@Suite struct LogDirectoryTests {
    @Test func swiftWrittenLogsCarryProvenance() throws {
        let directory = try ParserTestSupport.scratchDirectory()
        defer { ParserTestSupport.cleanUp(directory) }
        let tracker = try ParserTestSupport.runSimulatedTracker(logDir: directory, epochs: 3)
        let actual = try #require(tracker.actualConsumption)
        let measured = tracker.epochMeasurements

        let parse = try LogParser.parseAllLogs(logDir: directory)
        #expect(parse.warnings.isEmpty, "\(parse.warnings)")
        let entry = try #require(parse.entries.first)
        #expect(parse.entries.count == 1)
        #expect(entry.standardFile == tracker.logFiles?.standard)
        #expect(entry.standardLog.version == CarbonTrackerVersion.string)
        #expect(entry.standardLog.isComplete)
        #expect(!entry.earlyStop)
        #expect(entry.actual?.epochs == 3)
        #expect(entry.predicted?.epochs == 3)
        #expect(abs((entry.actual?.energyKilowattHours ?? 0) - actual.energyKilowattHours) < 1e-12)
        #expect(abs((entry.actual?.co2eqGrams ?? 0) - actual.co2eqGrams) < 1e-12)

        #expect(entry.components.map(\.name) == ["gpu", "cpu"])
        let gpu = entry.components[0]
        let cpu = entry.components[1]
        #expect(gpu.devices == ["Sim A100"])
        #expect(cpu.devices == ["Sim Xeon 2.20GHz"], "a dot in a device name is kept")
        #expect(gpu.measurementMethod == .simulated)
        #expect(cpu.measurementMethod == .simulated)
        #expect(gpu.averagePowerWatts == [[150], [150], [150]])
        #expect(cpu.averagePowerWatts == [[50], [50], [50]])
        let gpuJoules = try #require(gpu.measuredEnergyJoules)
        for (parsed, epoch) in zip(gpuJoules, measured) {
            let logged = try #require(epoch.components.first { $0.kind == .gpu }?.joules.first)
            #expect(abs(parsed[0] - logged) < 1e-5)
        }
        #expect(entry.aggregatedConsumption == entry.actual)
    }

    @Test func mixedDirectoryAddsEveryRunByTheCorrectedRule() throws {
        let directory = try ParserTestSupport.scratchDirectory()
        defer { ParserTestSupport.cleanUp(directory) }
        try ParserTestSupport.copyPythonLogs(to: directory)
        let full = try ParserTestSupport.runSimulatedTracker(
            logDir: directory, epochs: 2, prefix: "swift-full")
        let early = try ParserTestSupport.runSimulatedTracker(
            logDir: directory, epochs: 5, stopAfter: 2, prefix: "swift-early")

        let python = try LogParser.aggregateConsumption(logDir: ParserTestSupport.pythonLogs)
        let mixed = try LogParser.aggregateConsumption(logDir: directory)
        let fullEnergy = try #require(full.actualConsumption?.energyKilowattHours)
        let earlyEnergy = try #require(early.actualConsumption?.energyKilowattHours)
        #expect(mixed.runsCounted == python.runsCounted + 2)
        #expect(abs(mixed.energy - (python.energy + fullEnergy + earlyEnergy)) < 1e-11)
        let parse = try LogParser.parseAllLogs(logDir: directory)
        let earlyEntry = try #require(parse.entries.first { $0.standardFile.contains("swift-early") })
        #expect(earlyEntry.earlyStop)
        #expect(earlyEntry.aggregatedConsumption == earlyEntry.actual)
        #expect(earlyEntry.actual?.epochs == 2)
        #expect(earlyEntry.predicted?.epochs == 5)
    }

    @Test func missingDirectoryOrFileInsteadOfDirectoryThrows() throws {
        #expect {
            try LogParser.parseAllLogs(logDir: "/nonexistent/carbontracker-logs")
        } throws: { error in
            (error as? CarbonTrackerError)?.code == .logParseFailed
                && "\(error)".contains("/nonexistent/carbontracker-logs")
        }
        let file = ParserTestSupport.pythonLogs + "/7594.780737_2026-11-21T063459Z_carbontracker.log"
        #expect(throws: CarbonTrackerError.self) { try LogParser.aggregateConsumption(logDir: file) }
        let empty = try ParserTestSupport.scratchDirectory()
        defer { ParserTestSupport.cleanUp(empty) }
        #expect(throws: CarbonTrackerError.self) { try LogParser.getMostRecentLogs(logDir: empty) }
        #expect(throws: CarbonTrackerError.self) { try LogParser.parseLogs(logDir: empty) }
        let aggregate = try LogParser.aggregateConsumption(logDir: empty)
        #expect(aggregate.energy == 0 && aggregate.runsCounted == 0)
    }

    @Test func orphansAndEmptyFilesAreSkippedWithWarnings() throws {
        let directory = try ParserTestSupport.scratchDirectory()
        defer { ParserTestSupport.cleanUp(directory) }
        try ParserTestSupport.copyPythonLogs(to: directory)
        // One orphan on each side: Python's positional pairing would shift every later pair.
        try FileManager.default.removeItem(
            atPath: directory + "/7557.73098_2026-11-21T063451Z_carbontracker_output.log")
        try FileManager.default.removeItem(
            atPath: directory + "/7569.321381_2026-11-21T063454Z_carbontracker.log")
        try ParserTestSupport.write("", to: directory + "/0001_carbontracker.log")
        try ParserTestSupport.write("x", to: directory + "/0001_carbontracker_output.log")
        try ParserTestSupport.write("x", to: directory + "/0002_carbontracker.log.bak")

        let parse = try LogParser.parseAllLogs(logDir: directory)
        #expect(parse.entries.count == 6)
        for entry in parse.entries {
            let base = (entry.standardFile as NSString).lastPathComponent.dropLast("carbontracker.log".count)
            #expect((entry.outputFile as NSString).lastPathComponent == base + "carbontracker_output.log")
        }
        let messages = parse.warnings.map(\.description)
        #expect(messages.count == 4, "\(messages)")
        #expect(
            messages.contains { $0.contains("7557.73098") && $0.contains("No matching non-empty output log") }
        )
        #expect(
            messages.contains {
                $0.contains("7569.321381") && $0.contains("No matching non-empty standard log")
            })
        #expect(messages.contains { $0.contains("0001_carbontracker.log") && $0.contains("Empty file") })
    }

    /// Python adds a NaN energy and turns the whole total into NaN.
    @Test func notANumberFiguresAreLeftOutOfTotals() throws {
        let directory = try ParserTestSupport.scratchDirectory()
        defer { ParserTestSupport.cleanUp(directory) }
        try ParserTestSupport.copyPythonLogs(to: directory)
        let python = try LogParser.aggregateConsumption(logDir: ParserTestSupport.pythonLogs)
        let source = ParserTestSupport.pythonLogs + "/7557.73098_2026-11-21T063451Z_carbontracker"
        let output = try ParserTestSupport.read(source + "_output.log")
        try FileManager.default.copyItem(
            atPath: source + ".log", toPath: directory + "/nan_carbontracker.log")
        try ParserTestSupport.write(
            output.replacingOccurrences(of: "0.000104871566 kWh", with: "nan kWh"),
            to: directory + "/nan_carbontracker_output.log")
        try FileManager.default.copyItem(
            atPath: source + ".log", toPath: directory + "/co2_carbontracker.log")
        try ParserTestSupport.write(
            output.replacingOccurrences(of: "0.046667847038 g", with: "nan g"),
            to: directory + "/co2_carbontracker_output.log")

        let total = try LogParser.aggregateConsumption(logDir: directory)
        #expect(total.energy.isFinite && total.co2eq.isFinite)
        #expect(total.runsCounted == python.runsCounted + 1)
        #expect(abs(total.energy - (python.energy + 0.000104871566)) < 1e-12)
        #expect(abs(total.co2eq - python.co2eq) < 1e-12)
        #expect(total.warnings.count == 2)
    }

    @Test func truncatedLogsOfAKilledRunAreReadUpToTheCut() throws {
        let directory = try ParserTestSupport.scratchDirectory()
        defer { ParserTestSupport.cleanUp(directory) }
        let source = ParserTestSupport.pythonLogs + "/7441.593662_2026-11-21T063448Z_carbontracker"
        let standard = try ParserTestSupport.read(source + ".log")
        let output = try ParserTestSupport.read(source + "_output.log")
        // Killed while writing epoch 3's power line, after the prediction was printed.
        let cut = try #require(standard.range(of: "for cpu: 50.5\n2026-11-21 06:34:49 - Carbon"))
        let killedStandard = String(standard[..<cut.lowerBound]) + "for cpu: 5"
        let killedOutput = String(
            output[
                ..<(try #require(output.range(of: "2026-11-21 06:34:49 - CarbonTracker: Average"))).lowerBound
            ])
        try ParserTestSupport.write(killedStandard, to: directory + "/k_carbontracker.log")
        try ParserTestSupport.write(killedOutput, to: directory + "/k_carbontracker_output.log")

        let parse = try LogParser.parseAllLogs(logDir: directory)
        let entry = try #require(parse.entries.first)
        #expect(!entry.standardLog.isComplete)
        #expect(entry.actual == nil)
        #expect(entry.aggregatedConsumption == entry.predicted)
        let cpu = try #require(entry.components.first { $0.name == "cpu" })
        #expect(cpu.averagePowerWatts == [[50.5], [50.5]], "the partial '5' is not read as 5 W")
        let gpu = try #require(entry.components.first { $0.name == "gpu" })
        #expect(gpu.averagePowerWatts?.count == 3)
        #expect(parse.warnings.contains { $0.message.contains("ends in the middle of a line") })
    }

    @Test func garbageNonUTF8AndHugeFilesNeverCrash() throws {
        let directory = try ParserTestSupport.scratchDirectory()
        defer { ParserTestSupport.cleanUp(directory) }
        var generator = SystemRandomNumberGenerator()
        let garbage = Data((0..<20_000).map { _ in UInt8.random(in: 0...255, using: &generator) })
        try garbage.write(to: URL(fileURLWithPath: directory + "/g_carbontracker.log"))
        try garbage.write(to: URL(fileURLWithPath: directory + "/g_carbontracker_output.log"))

        // Latin-1 device name (0xE9) in an otherwise valid log.
        let source = ParserTestSupport.pythonLogs + "/7594.780737_2026-11-21T063459Z_carbontracker"
        var latin = try Data(contentsOf: URL(fileURLWithPath: source + ".log"))
        let marker = Data("Sim A100".utf8)
        let range = try #require(latin.range(of: marker))
        latin.replaceSubrange(range, with: Data([0x53, 0x69, 0x6D, 0xE9]))
        try latin.write(to: URL(fileURLWithPath: directory + "/l_carbontracker.log"))
        try FileManager.default.copyItem(
            atPath: source + "_output.log", toPath: directory + "/l_carbontracker_output.log")

        // 8 MB: a 3 MB line without a newline, 5 MB of other lines, then a real log.
        let huge = directory + "/h_carbontracker.log"
        #expect(FileManager.default.createFile(atPath: huge, contents: nil))
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: huge))
        handle.write(Data(repeating: UInt8(ascii: "x"), count: 3_000_000))
        handle.write(Data("\n".utf8))
        let filler = Data(
            String(repeating: "2026-11-21 06:34:50 - Monitoring thread started.\n", count: 10_000).utf8)
        for _ in 0..<10 { handle.write(filler) }
        handle.write(try Data(contentsOf: URL(fileURLWithPath: source + ".log")))
        try handle.close()
        try FileManager.default.copyItem(
            atPath: source + "_output.log", toPath: directory + "/h_carbontracker_output.log")

        let parse = try LogParser.parseAllLogs(logDir: directory)
        #expect(parse.entries.count == 3)
        let garbageEntry = try #require(
            parse.entries.first { $0.standardFile.hasSuffix("/g_carbontracker.log") })
        #expect(garbageEntry.actual == nil && garbageEntry.predicted == nil)
        let latinEntry = try #require(
            parse.entries.first { $0.standardFile.hasSuffix("/l_carbontracker.log") })
        #expect(latinEntry.components.first?.devices == ["Sim\u{FFFD}"])
        #expect(latinEntry.components.first?.averagePowerWatts?.count == 3)
        let hugeEntry = try #require(
            parse.entries.first { $0.standardFile.hasSuffix("/h_carbontracker.log") })
        #expect(hugeEntry.components.first?.averagePowerWatts?.count == 3)
        #expect(parse.warnings.contains { $0.file == huge && $0.message.contains("longer than") })
        let total = try LogParser.aggregateConsumption(logDir: directory)
        #expect(abs(total.energy - 0.0002) < 1e-12)
    }

    @Test func unreadableEntriesAreSkipped() throws {
        let directory = try ParserTestSupport.scratchDirectory()
        defer { ParserTestSupport.cleanUp(directory) }
        try ParserTestSupport.copyPythonLogs(to: directory)
        let fm = FileManager.default
        try fm.createSymbolicLink(
            atPath: directory + "/loop_carbontracker.log", withDestinationPath: "loop_carbontracker.log")
        try fm.createDirectory(
            atPath: directory + "/dir_carbontracker.log", withIntermediateDirectories: false)
        #expect(mkfifo(directory + "/fifo_carbontracker_output.log", 0o644) == 0)
        let parse = try LogParser.parseAllLogs(logDir: directory)
        #expect(parse.entries.count == 8, "the fifo is not opened, so nothing blocks")
        #expect(parse.warnings.count == 3, "\(parse.warnings)")
        #expect(
            parse.warnings.contains {
                $0.file.hasSuffix("loop_carbontracker.log") && $0.message.contains("Cannot be examined")
            })
    }

    /// Root reads any file, so this needs an unprivileged user.
    @Test(.enabled(if: getuid() != 0, "runs only without root: root can read a chmod 000 file"))
    func permissionDeniedFileIsSkipped() throws {
        let directory = try ParserTestSupport.scratchDirectory()
        defer { ParserTestSupport.cleanUp(directory) }
        try ParserTestSupport.copyPythonLogs(to: directory)
        let locked = directory + "/7594.780737_2026-11-21T063459Z_carbontracker.log"
        #expect(chmod(locked, 0) == 0)
        let parse = try LogParser.parseAllLogs(logDir: directory)
        #expect(parse.entries.count == 7)
        #expect(parse.warnings.contains { $0.file == locked && $0.message.contains("Run skipped") })
    }

    @Test func mostRecentLogsFollowModificationTime() throws {
        let directory = try ParserTestSupport.scratchDirectory()
        defer { ParserTestSupport.cleanUp(directory) }
        try ParserTestSupport.copyPythonLogs(to: directory)
        let newest = directory + "/7557.73098_2026-11-21T063451Z_carbontracker.log"
        for name in try FileManager.default.contentsOfDirectory(atPath: directory) {
            let date = directory + "/" + name == newest ? Date() : Date(timeIntervalSince1970: 1_000_000)
            try FileManager.default.setAttributes(
                [.modificationDate: date], ofItemAtPath: directory + "/" + name)
        }
        let pair = try LogParser.getMostRecentLogs(logDir: directory)
        #expect(pair.standardLog == newest)
        #expect(pair.outputLog == directory + "/7557.73098_2026-11-21T063451Z_carbontracker_output.log")
        let components = try LogParser.parseLogs(logDir: directory)
        #expect(components.first?.epochDurationsSeconds == [0.4, 0.4])
        let named = try LogParser.parseLogs(
            logDir: directory, stdLogFile: "7563.187535_2026-11-21T063453Z_carbontracker.log")
        #expect(named.first?.epochDurationsSeconds == [0.7])
    }

    /// Many runs in one directory, all counted and summed. How fast is measured by the benchmarks
    /// (`scripts/benchmark.py`, 10,000 files beside Python's parser), not here.
    @Test func manyFilesAreAllCounted() throws {
        let directory = try ParserTestSupport.scratchDirectory()
        defer { ParserTestSupport.cleanUp(directory) }
        let fixture = ParserTestSupport.pythonLogs + "/7441.593662_2026-11-21T063448Z_carbontracker"
        let source = directory + "/0.5_2026-11-21T063448Z_carbontracker"
        try FileManager.default.copyItem(atPath: fixture + ".log", toPath: source + ".log")
        try FileManager.default.copyItem(atPath: fixture + "_output.log", toPath: source + "_output.log")
        // Hard links: creating 10,000 inodes would cost more than parsing them.
        for index in 1..<500 {
            let base = directory + "/\(index).5_2026-11-21T063448Z_carbontracker"
            #expect(link(source + ".log", base + ".log") == 0)
            #expect(link(source + "_output.log", base + "_output.log") == 0)
        }
        let aggregate = try LogParser.aggregateConsumption(logDir: directory)
        #expect(aggregate.runsCounted == 500)
        #expect(abs(aggregate.energy - 500 * 0.00031456363) < 1e-10)
    }
}
