import CarbonTrackerFuzzing
import Foundation
import Testing

@testable import CarbonTracker
@testable import CarbonTrackerMonitor
@testable import CarbonTrackerSources

/// Replays the fuzzer's inputs through the same entry point: every crash or hang it (or a hostile-input review)
/// ever found, kept in `Fixtures/fuzz/regressions`, and the seed corpus. A regression traps this test
/// process or throws a ``FuzzTarget/Finding``; in this debug build unsafe-buffer reads are also
/// bounds-checked, which the fuzzer's release build does not do.
@Suite struct FuzzRegressionTests {
    static func inputs(_ folder: String) throws -> [(name: String, bytes: [UInt8])] {
        let directory = Bundle.module.resourceURL!.appendingPathComponent("Fixtures/fuzz/\(folder)").path
        return try FileManager.default.contentsOfDirectory(atPath: directory).sorted().map { name in
            (name, Array(try Data(contentsOf: URL(fileURLWithPath: directory + "/" + name))))
        }
    }

    @Test(arguments: ["regressions", "corpus"])
    func everySavedInputIsReadWithoutAFinding(folder: String) throws {
        let inputs = try Self.inputs(folder)
        #expect(inputs.count >= (folder == "regressions" ? 6 : 18))
        let target = try FuzzTarget()
        for input in inputs {
            #expect(throws: Never.self, "\(folder)/\(input.name)") { try target.run(input.bytes) }
        }
    }

    /// Each reader is reached: the seeds name every kind, and a log seed splits into its two logs.
    @Test func theSeedsReachEveryReader() throws {
        let kinds = Set(try Self.inputs("corpus").compactMap { $0.bytes.first.map(FuzzTarget.Kind.init) })
        #expect(kinds == Set(FuzzTarget.Kind.allCases))
        let (standard, output) = FuzzTarget.split(Array("a\nb".utf8) + FuzzTarget.outputSeparator + [0x63])
        #expect(standard == Array("a\nb".utf8) && output == [0x63])
        #expect(FuzzTarget.Kind(firstByte: 0x00) == FuzzTarget.Kind.allCases[0])
    }

    /// The check that turns a `nan` coordinate into a finding finds one.
    @Test func nonFiniteAttributesAreFound() {
        #expect(FuzzTarget.hasNonFiniteAttribute("<circle cx=\"nan\"/>"))
        #expect(FuzzTarget.hasNonFiniteAttribute("<rect y=\"-inf\""))
        #expect(!FuzzTarget.hasNonFiniteAttribute("<text>nan inf</text><p class=\"info\">"))
    }
}
