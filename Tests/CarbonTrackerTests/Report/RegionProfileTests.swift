import Foundation
import Testing

@testable import CarbonTracker
@testable import CarbonTrackerMonitor
@testable import CarbonTrackerSources

/// The energy profile of regions: windows aggregated by name into a tree nested by time.
@Suite struct RegionProfileTests {
    private typealias Region = RegionProfile.Region

    /// Two training steps, each with a forward and a backward pass, and a data-loading region between
    /// them; figures in joules chosen so every sum is exact in binary.
    private static let steps: [Region] = [
        Region(name: "forward", startSeconds: 0.5, endSeconds: 1.5, joules: 100),
        Region(name: "backward", startSeconds: 1.5, endSeconds: 3.5, joules: 250),
        Region(name: "step", startSeconds: 0, endSeconds: 4, joules: 400),
        Region(name: "load", startSeconds: 4, endSeconds: 5, joules: 20),
        Region(name: "forward", startSeconds: 5.25, endSeconds: 6.25, joules: 110),
        Region(name: "backward", startSeconds: 6.25, endSeconds: 8.25, joules: 240),
        Region(name: "step", startSeconds: 5, endSeconds: 9, joules: 380),
    ]

    @Test func windowsNestByTimeAndAggregateByName() throws {
        let profile = RegionProfile(regions: Self.steps, runJoules: 1000, idleWatts: 10)
        #expect(profile.roots.map(\.name) == ["step", "load"])
        let step = profile.roots[0]
        #expect(step.calls == 2)
        #expect(step.totalJoules == 780)
        #expect(step.selfJoules == 780 - 210 - 490)
        #expect(step.seconds == 8)
        #expect(step.averageWatts == 97.5)
        #expect(step.shareOfRun == 0.78)
        #expect(step.marginalJoules == Double(780 - 10 * 8))
        #expect(step.children.map(\.name) == ["backward", "forward"], "most energy first")
        let backward = step.children[0]
        #expect(backward.calls == 2 && backward.totalJoules == 490 && backward.selfJoules == 490)
        #expect(backward.seconds == 4 && backward.averageWatts == 122.5)
        #expect(step.children[1].totalJoules == 210)
        #expect(profile.roots[1].totalJoules == 20 && profile.roots[1].children.isEmpty)
        #expect(
            profile.flattened.map { "\($0.depth) \($0.node.name)" } == [
                "0 step", "1 backward", "1 forward", "0 load",
            ])

        let text = profile.text()
        let lines = text.split(separator: "\n").map(String.init)
        #expect(lines.count == 5)
        #expect(lines[0].hasSuffix("Region") && lines[0].contains("Above idle (J)"))
        #expect(lines[1].hasSuffix("  step") && lines[1].contains("780.000") && lines[1].contains("78.0%"))
        #expect(lines[2].hasSuffix("├─ backward") && lines[2].contains("122.500"))
        #expect(lines[3].hasSuffix("└─ forward"))
        #expect(lines[4].hasSuffix("  load") && lines[4].contains("20.000"))
    }

    @Test func theSameNameUnderDifferentParentsIsTwoNodesAndOverlapsAreSiblings() {
        let profile = RegionProfile(regions: [
            Region(name: "io", startSeconds: 0, endSeconds: 1, joules: 5),
            Region(name: "eval", startSeconds: 2, endSeconds: 6, joules: 40),
            Region(name: "io", startSeconds: 3, endSeconds: 4, joules: 8),
            // Overlaps eval without being inside it: a sibling, not a child.
            Region(name: "save", startSeconds: 5, endSeconds: 7, joules: 16),
            // Equal times: the one logged later (it ended later) encloses the other.
            Region(name: "inner", startSeconds: 10, endSeconds: 11, joules: 2),
            Region(name: "outer", startSeconds: 10, endSeconds: 11, joules: 2),
        ])
        #expect(profile.runJoules == nil)
        #expect(profile.roots.map(\.name) == ["eval", "save", "io", "outer"])
        #expect(profile.roots[0].children.map(\.name) == ["io"])
        #expect(profile.roots[0].children[0].totalJoules == 8)
        #expect(profile.roots[0].selfJoules == 32)
        #expect(profile.roots[2].totalJoules == 5)
        #expect(profile.roots[3].children.map(\.name) == ["inner"])
        #expect(profile.roots[0].shareOfRun == nil && profile.roots[0].marginalJoules == nil)
        #expect(!profile.text().contains("Above idle"))
    }

    @Test func nestedWindowsOnSimulatedPowerGiveTheirMeasuredJoules() throws {
        let monitor = try EnergyMonitorTests.monitor(updateInterval: 0.01)
        var measured: [WindowMeasurement] = []
        for _ in 0..<2 {
            try monitor.beginWindow("step")
            let (_, forward) = try monitor.measure("forward") { Thread.sleep(forTimeInterval: 0.05) }
            let (_, backward) = try monitor.measure("backward") { Thread.sleep(forTimeInterval: 0.1) }
            measured += [forward, backward, try monitor.endWindow("step")]
        }
        try monitor.stop()
        let profile = RegionProfile(windows: measured)
        func joules(_ m: WindowMeasurement) -> Double {
            m.components.reduce(0) { $0 + $1.joules.reduce(0, +) }
        }
        func total(_ name: String) -> Double {
            measured.filter { $0.name == name }.reduce(0) { $0 + joules($1) }
        }
        #expect(profile.roots.map(\.name) == ["step"])
        let step = profile.roots[0]
        #expect(step.calls == 2)
        #expect(abs(step.totalJoules - total("step")) <= 1e-9 * total("step"))
        let children = Dictionary(uniqueKeysWithValues: step.children.map { ($0.name, $0) })
        #expect(abs((children["forward"]?.totalJoules ?? 0) - total("forward")) <= 1e-9 * total("forward"))
        #expect(abs((children["backward"]?.totalJoules ?? 0) - total("backward")) <= 1e-9 * total("backward"))
        let expectedSelf = total("step") - total("forward") - total("backward")
        #expect(abs(step.selfJoules - expectedSelf) <= 1e-9 * total("step"))
        #expect(step.selfJoules >= 0, "the steps hold their passes")
        // Constant simulated power: 150 W GPU + 50 W CPU in every region.
        for node in [step] + step.children {
            #expect(abs(node.averageWatts - 200) < 2, "\(node.name): \(node.averageWatts) W")
        }
    }

    /// Windows shorter than a millisecond, one after the other inside a longer one, read back from the
    /// event log, are siblings under it: their times are kept to the microsecond (to the millisecond they
    /// would tie and nest in each other).
    @Test func subMillisecondWindowsReadFromTheEventLogNestByTheirTimes() throws {
        let logs = try ParserTestSupport.scratchDirectory()
        defer { ParserTestSupport.cleanUp(logs) }
        let monitor = try EnergyMonitorTests.monitor(logDir: logs, updateInterval: 0.01)
        func spin(microseconds: Int) {
            let end = ContinuousClock.now + .microseconds(microseconds)
            while ContinuousClock.now < end {}
        }
        try monitor.beginWindow("step")
        for _ in 0..<20 {
            try monitor.beginWindow("forward")
            spin(microseconds: 80)
            _ = try monitor.endWindow("forward")
            try monitor.beginWindow("backward")
            spin(microseconds: 80)
            _ = try monitor.endWindow("backward")
        }
        _ = try monitor.endWindow("step")
        try monitor.stop()
        let entry = try #require(try LogParser.parseAllLogs(logDir: logs).entries.first)
        #expect(entry.eventLogFile != nil)
        let profile = entry.regionProfile()
        #expect(profile.roots.map(\.name) == ["step"])
        let children = profile.roots.first?.children ?? []
        #expect(Set(children.map(\.name)) == ["forward", "backward"])
        for child in children {
            #expect(child.calls == 20 && child.children.isEmpty, "\(child.name): \(child.calls) calls")
        }
    }

    @Test func theParserProfilesAWrappedRunAndTheCommandPrintsIt() throws {
        let logs = try ParserTestSupport.scratchDirectory()
        defer { ParserTestSupport.cleanUp(logs) }
        let marks = """
            for i in 1 2; do echo epoch_start; echo "begin step"; echo "begin forward"; sleep 0.1; \
            echo "end forward"; echo "begin backward"; sleep 0.2; echo "end backward"; echo "end step"; \
            echo epoch_end; done >&"$CARBONTRACKER_CONTROL_FD"
            """
        // The shell's writes reach the tracker as they happen: each line is its own write.
        let run = try CLIEndToEndTests.run(
            ["--log_dir", logs, "--epochs", "2", "--update-interval", "0.02"] + CLIControlTests.simulated
                + ["sh", "-c", marks])
        #expect(run.status == 0, "\(run.standardError)")
        let entry = try #require(try LogParser.parseAllLogs(logDir: logs).entries.first)
        let profile = entry.regionProfile()
        #expect(profile.roots.map(\.name) == ["step"])
        #expect(Set(profile.roots.first?.children.map(\.name) ?? []) == ["forward", "backward"])
        let windowJoules = entry.windows.filter { $0.name == "backward" }.reduce(0) {
            $0 + $1.components.reduce(0) { $0 + $1.energyJoules.reduce(0, +) }
        }
        let backward = profile.roots.first?.children.first { $0.name == "backward" }
        #expect(abs((backward?.totalJoules ?? 0) - windowJoules) <= 1e-9 * windowJoules)
        #expect(backward?.calls == 2)
        let runJoules = try #require(profile.runJoules)
        #expect(runJoules == entry.powerSeries?.totalJoules)
        #expect((profile.roots.first?.shareOfRun ?? 0) > 0.5 && (profile.roots.first?.shareOfRun ?? 2) <= 1)

        let printed = try CLIEndToEndTests.run(["--profile", logs])
        #expect(printed.status == 0, "\(printed.standardError)")
        #expect(printed.standardOutput.contains("Energy profile of "))
        #expect(printed.standardOutput.contains("  step\n"))
        #expect(
            printed.standardOutput.contains("─ backward\n") && printed.standardOutput.contains("─ forward\n"))
        let oneFile = try CLIEndToEndTests.run(["--profile", entry.standardFile, "--idle-watts", "5"])
        #expect(oneFile.status == 0)
        #expect(oneFile.standardOutput.contains("Above idle (J)"))
        let missing = try CLIEndToEndTests.run(["--profile", logs + "/nothing.log"])
        #expect(missing.status == 1)
        #expect(missing.standardError.contains("does not exist"))
    }
}
