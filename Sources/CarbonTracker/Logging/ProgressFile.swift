import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A one-line file rewritten in place with the running epoch's energy so far, so that a process
/// killed mid-epoch (`kill -9`, a node failure) loses at most one update interval of it.
///
/// One `pwrite` at offset 0 per interval; the line is padded with spaces to the longest line written,
/// so no stale tail remains. Created on first write, deleted when the run ends normally. Its state
/// sits behind one lock: the sampling thread writes it, and the thread that finishes a run whose
/// sampling thread is stuck may remove it.
final class ProgressFile: Sendable {
    private struct State {
        var descriptor: Int32 = -1
        var longest = 0
        /// No further writes: a write failed, or the file was closed or removed.
        var ended = false
    }

    private let path: String
    private let state = LockedBox(State())

    init(path: String) { self.path = path }

    /// Replaces the file's content with `line`.
    func write(_ line: String) {
        state.withLock { state in
            guard !state.ended else { return }
            if state.descriptor < 0 {
                state.descriptor = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
                if state.descriptor < 0 {
                    state.ended = true
                    return
                }
            }
            var bytes = Array(line.utf8)
            bytes.append(UInt8(ascii: "\n"))
            if bytes.count < state.longest {
                bytes.append(contentsOf: repeatElement(UInt8(ascii: " "), count: state.longest - bytes.count))
            }
            state.longest = max(state.longest, bytes.count)
            let descriptor = state.descriptor
            let written = bytes.withUnsafeBytes { pwrite(descriptor, $0.baseAddress, $0.count, 0) }
            if written != bytes.count { state.ended = true }
        }
    }

    /// Closes the file and keeps it: the run ended without its final report, so the file still tells
    /// how far the last epoch got.
    func close() {
        state.withLock { state in
            Self.closeDescriptor(&state)
        }
    }

    /// Closes and deletes the file: the run ended with its final report, so the logs hold everything.
    func remove() {
        state.withLock { state in
            Self.closeDescriptor(&state)
            unlink(path)
        }
    }

    private static func closeDescriptor(_ state: inout State) {
        state.ended = true
        if state.descriptor >= 0 {
            _ = Foundation.close(state.descriptor)
            state.descriptor = -1
        }
    }
}

extension ProgressSnapshot {
    /// The snapshot as one JSON line (schema `carbontracker.progress/1`).
    func json() -> String {
        var json = JSONWriter()
        json.object { json in
            json.field("schema", "carbontracker.progress/1")
            json.field("epoch", epoch)
            json.field("elapsed_seconds", elapsedSeconds)
            json.field("time", LogTime.rfc3339(Date()))
            json.array("components", components) { json, component in
                json.object { json in
                    json.field("component", component.kind.rawValue)
                    json.field("devices", strings: component.devices)
                    json.field("energy_joules", numbers: component.joules)
                    json.field("method", component.method.rawValue)
                }
            }
        }
        return json.text
    }
}
