import Dispatch
import Foundation

/// Batches of logs waiting to be read, taken by worker threads and, once listing ends, by the thread
/// that listed them.
///
/// ```swift
/// let queue = LogBatchQueue { files, buffer in files.map { read($0, buffer) } }
/// queue.add(.init(first: 0, files: firstSixtyFour))   // a worker starts on it
/// let reads = queue.finish()                           // reads what is left, then waits
/// ```
///
/// At most one worker per core but one reads while the listing thread lists; then that thread reads
/// too. It waits only for batches a worker is already reading, never for a worker to start, so it
/// finishes even when every dispatch thread is busy elsewhere. Cost: two lock round trips per batch.
final class LogBatchQueue: Sendable {
    typealias Read = @Sendable ([LogDirectory.File], LogFileReader.Buffer) -> [LogDirectory.FileRead]

    /// Logs per hand-out: enough that handing out costs little, few enough to keep every core busy
    /// to the end.
    static let batchFiles = 64

    /// Consecutive logs of the listing, handed to one thread.
    struct Batch: Sendable {
        /// The position of the first log in the listing.
        var first: Int
        var files: [LogDirectory.File]
    }

    private struct State {
        var waiting: [Batch] = []
        var beingRead = 0
        /// Worker threads started and not yet out of batches.
        var workers = 0
        var listed = false
        var done: [(first: Int, reads: [LogDirectory.FileRead])] = []
    }

    private let read: Read
    private let state = LockedBox(State())
    private let allRead = Latch()
    /// The listing thread makes one more, so the cores are not oversubscribed.
    private let maximumWorkers = max(1, ProcessInfo.processInfo.activeProcessorCount - 1)

    init(read: @escaping Read) { self.read = read }

    /// Queues `batch`, which holds ``batchFiles`` logs unless it is the last, and starts a worker
    /// thread if fewer than the cores allow are reading.
    func add(_ batch: Batch) {
        let startsWorker = state.withLock { state -> Bool in
            state.waiting.append(batch)
            guard state.workers < maximumWorkers else { return false }
            state.workers += 1
            return true
        }
        if startsWorker { DispatchQueue.global().async { self.readWaiting(isWorker: true) } }
    }

    /// Reads what is still waiting on this thread, waits for the batches workers are reading, and
    /// returns every read.
    func finish() -> Reads {
        state.withLock { $0.listed = true }
        readWaiting(isWorker: false)
        // A batch being read always ends, so the wait does too; the limit only bounds each wait.
        while state.withLock({ $0.beingRead > 0 }) && !allRead.wait(seconds: 60) {}
        return Reads(batches: state.withLock { $0.done }.sorted { $0.first < $1.first }.map(\.reads))
    }

    /// Reads waiting batches until there are none; a worker then ends, and the next batch queued
    /// starts another.
    private func readWaiting(isWorker: Bool) {
        var buffer: LogFileReader.Buffer?
        while true {
            let next = state.withLock { state -> Batch? in
                guard let batch = state.waiting.popLast() else {
                    if isWorker { state.workers -= 1 }
                    return nil
                }
                state.beingRead += 1
                return batch
            }
            guard let batch = next else { return }
            let reused = buffer ?? LogFileReader.Buffer()
            buffer = reused
            let reads = read(batch.files, reused)
            let isLast = state.withLock { state -> Bool in
                state.done.append((batch.first, reads))
                state.beingRead -= 1
                return state.listed && state.waiting.isEmpty && state.beingRead == 0
            }
            if isLast { allRead.open() }
        }
    }

    /// The reads of every log, by position in the listing, left in their batches to save copying them.
    struct Reads {
        var batches: [[LogDirectory.FileRead]]

        subscript(position: Int) -> LogDirectory.FileRead {
            batches[position / LogBatchQueue.batchFiles][position % LogBatchQueue.batchFiles]
        }
    }
}
