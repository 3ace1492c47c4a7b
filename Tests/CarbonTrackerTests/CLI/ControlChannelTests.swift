import Foundation
import Testing

@testable import CarbonTracker
@testable import CarbonTrackerCLICore

/// The lines a wrapped command writes to `CARBONTRACKER_CONTROL_FD`, cut and read.
@Suite struct ControlLineTests {
    private func lines(_ chunks: [String]) -> [ControlLine] {
        var splitter = ControlLineSplitter()
        var lines: [ControlLine] = []
        for chunk in chunks { splitter.append(Array(chunk.utf8)[...]) { lines.append($0) } }
        splitter.finish { lines.append($0) }
        return lines
    }

    @Test func readsTheFourKindsAndKeepsNamesWhole() {
        #expect(
            lines(["epoch_start\nbegin data loading\r\n", "end data loading\nepoch_end\n"]) == [
                .epochStart, .begin("data loading"), .end("data loading"), .epochEnd,
            ])
    }

    @Test func joinsLinesSplitAcrossReadsAndTakesALastLineWithoutNewline() {
        #expect(lines(["epo", "ch_st", "art\nbeg", "in x\nend x"]) == [.epochStart, .begin("x"), .end("x")])
    }

    @Test func unknownAndMalformedLinesAreReportedAsSuch() {
        #expect(
            lines(["start\nbegin\nbegin   \nepoch_start now\n\n  \nend y\n"]) == [
                .malformed("start"), .malformed("begin"), .malformed("begin"), .malformed("epoch_start now"),
                .blank, .blank, .end("y"),
            ])
    }

    @Test func anOverlongLineIsOneMalformedLineAndTheNextLineIsRead() {
        let long = String(repeating: "x", count: ControlLine.longest * 3)
        let read = lines([long.prefix(5000) + "", long.dropFirst(5000) + "\nepoch_end\n"])
        #expect(read.count == 2)
        if case .malformed(let text) = read.first {
            #expect(text.utf8.count == ControlLine.longest)
        } else {
            Issue.record("expected a malformed line, got \(read)")
        }
        #expect(read.last == .epochEnd)
    }

    @Test func theChannelDeliversEveryLineWrittenBeforeTheWriterEnded() throws {
        let channel = try ControlChannel()
        let received = LockedBox<[ControlLine]>([])
        channel.start { line in received.withLock { $0.append(line) } }
        let text = String(repeating: "epoch_start\nepoch_end\n", count: 2000) + "begin last"
        let bytes = Array(text.utf8)
        var written = 0
        while written < bytes.count {
            let count = bytes[written...].withUnsafeBytes {
                write(channel.writeDescriptor, $0.baseAddress!, $0.count)
            }
            #expect(count > 0)
            written += max(count, 0)
        }
        // Finishing while the write end is still open (a descendant may hold it): what is in the pipe is read.
        #expect(channel.finish(limitSeconds: 10))
        let lines = received.withLock { $0 }
        #expect(lines.count == 4001)
        #expect(lines.last == .begin("last"))
    }
}

/// The epoch flags of a wrapped command, under Python's names and ours.
@Suite struct CLIEpochFlagTests {
    @Test func bothSpellingsSetTheEpochOptions() throws {
        let python = try CLIArguments.parse([
            "--epochs", "5", "--epochs_before_pred", "2", "--monitor_epochs", "4", "--update_interval", "0.5",
            "x",
        ])
        let ours = try CLIArguments.parse([
            "--epochs=5", "--epochs-before-pred=2", "--monitor-epochs=4", "--update-interval=0.5", "x",
        ])
        #expect(python == ours)
        #expect(python.epochs == 5 && python.epochsBeforePred == 2 && python.monitorEpochs == 4)
        #expect(python.updateInterval == 0.5)
        #expect(try CLIArguments.parse(["x"]).epochs == nil)
    }

    @Test(arguments: [
        (["--epochs", "1.5", "x"], "is not a whole number"),
        (["--monitor-epochs", "2", "x"], "apply with --epochs N only"),
        (["--epochs-before-pred", "2", "x"], "apply with --epochs N only"),
    ])
    func badEpochFlags(arguments: [String], message: String) {
        #expect {
            _ = try CLIArguments.parse(arguments)
        } throws: { error in
            (error as? CLIUsageError)?.message.contains(message) == true
        }
    }
}
