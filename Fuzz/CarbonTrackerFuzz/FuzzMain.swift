// The fuzzer of CarbonTracker's readers of outside data (logs, provider answers): see README,
// "Reliability". Two builds of the same sources:
//
// - With libFuzzer (what `.ci/run` does):
//   swift build --scratch-path .build/fuzz --product CarbonTrackerFuzz -Xswiftc -sanitize=fuzzer \
//       -Xswiftc -DCARBONTRACKER_LIBFUZZER
//   .build/fuzz/debug/CarbonTrackerFuzz -dict=Fuzz/carbontracker.dict NEW_CORPUS_DIR \
//       Tests/CarbonTrackerTests/Fixtures/fuzz/corpus Tests/CarbonTrackerTests/Fixtures/fuzz/regressions
// - Without (plain `swift build`): `CarbonTrackerFuzz FILE_OR_DIRECTORY...` replays inputs, for
//   reproducing a crash file without the instrumented build.
import CarbonTrackerFuzzing
import Foundation

@main
struct CarbonTrackerFuzz {
    static func main() throws {
        #if CARBONTRACKER_LIBFUZZER
            // libFuzzer's own `main` is not linked in: SwiftPM names this one the program's entry.
            target = try FuzzTarget()
            var argc = CommandLine.argc
            var argv = CommandLine.unsafeArgv
            exit(runLibFuzzer(&argc, &argv, testOneInput))
        #else
            exit(try replay(Array(CommandLine.arguments.dropFirst())))
        #endif
    }

    /// Runs every input in `paths` (files, or directories of them) and prints each finding.
    /// - Returns: The exit status: 0 when nothing was found, 1 otherwise, 2 without paths.
    static func replay(_ paths: [String]) throws -> Int32 {
        guard !paths.isEmpty else {
            FileHandle.standardError.write(Data("usage: CarbonTrackerFuzz FILE_OR_DIRECTORY...\n".utf8))
            return 2
        }
        let target = try FuzzTarget()
        var findings = 0
        var inputs = 0
        for path in paths {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else { continue }
            let files =
                isDirectory.boolValue
                ? try FileManager.default.contentsOfDirectory(atPath: path).sorted().map { path + "/" + $0 }
                : [path]
            for file in files {
                inputs += 1
                do { try target.run(Array(try Data(contentsOf: URL(fileURLWithPath: file)))) } catch {
                    findings += 1
                    print("\(file): \(error)")
                }
            }
        }
        print("\(inputs) input(s) replayed, \(findings) finding(s).")
        return findings == 0 ? 0 : 1
    }
}

#if CARBONTRACKER_LIBFUZZER
    /// The target, made once before fuzzing starts: libFuzzer calls the entry points from one thread.
    nonisolated(unsafe) private var target: FuzzTarget?

    @_silgen_name("LLVMFuzzerRunDriver")
    func runLibFuzzer(
        _ argc: UnsafeMutablePointer<Int32>,
        _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>>,
        _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> Int32
    ) -> Int32

    /// Runs one input; a broken promise is a finding like a trap, so libFuzzer keeps the input as crash-*.
    @_cdecl("LLVMFuzzerTestOneInput")
    public func testOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
        let input = data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? []
        do { try target?.run(input) } catch { fatalError("finding: \(error)") }
        return 0
    }

    @_silgen_name("LLVMFuzzerMutate")
    func libFuzzerMutate(_ data: UnsafeMutablePointer<UInt8>, _ size: Int, _ maxSize: Int) -> Int

    /// One in three mutations is one of ours (``DomainMutation``), the rest libFuzzer's own.
    @_cdecl("LLVMFuzzerCustomMutator")
    public func customMutator(
        _ data: UnsafeMutablePointer<UInt8>, _ size: Int, _ maxSize: Int, _ seed: UInt32
    ) -> Int {
        var random = XorShift64Star(seed: UInt64(seed))
        guard random.next() % 3 == 0 else { return libFuzzerMutate(data, size, maxSize) }
        var bytes = Array(UnsafeBufferPointer(start: data, count: size))
        DomainMutation.apply(to: &bytes, using: &random)
        let count = min(bytes.count, maxSize)
        bytes.withUnsafeBufferPointer { data.update(from: $0.baseAddress!, count: count) }
        return count
    }
#endif
