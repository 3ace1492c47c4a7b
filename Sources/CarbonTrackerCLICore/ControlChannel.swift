import CSpawn
import CarbonTracker
import Foundation

/// One line a wrapped command writes to ``ControlChannel/variable``'s descriptor.
enum ControlLine: Equatable, Sendable {
    /// `epoch_start`
    case epochStart
    /// `epoch_end`
    case epochEnd
    /// `begin NAME`: opens a window.
    case begin(String)
    /// `end NAME`: closes a window.
    case end(String)
    /// An empty or blank line (ignored).
    case blank
    /// Anything else, as received (cut to ``ControlLine/longest`` bytes).
    case malformed(String)

    /// Longer lines are malformed; what is kept of them is cut to this many bytes.
    static let longest = 4096

    /// Reads one line without its newline; a trailing carriage return and surrounding blanks are ignored.
    init(_ bytes: ArraySlice<UInt8>) {
        let text = String(decoding: bytes.prefix(Self.longest), as: UTF8.self)
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard bytes.count <= Self.longest else {
            self = .malformed(trimmed)
            return
        }
        switch trimmed {
        case "": self = .blank
        case "epoch_start": self = .epochStart
        case "epoch_end": self = .epochEnd
        default:
            for (keyword, make) in [("begin", Self.begin), ("end", Self.end)] {
                guard trimmed.hasPrefix(keyword + " ") || trimmed.hasPrefix(keyword + "\t") else { continue }
                let name = trimmed.dropFirst(keyword.count).trimmingCharacters(in: .whitespaces)
                if !name.isEmpty {
                    self = make(name)
                    return
                }
            }
            self = .malformed(trimmed)
        }
    }
}

/// The pipe over which a wrapped command marks its epochs and regions, and the thread that reads it.
///
/// ```swift
/// let channel = try ControlChannel()
/// let child = try ChildProcess(..., inheritedDescriptors: [channel.writeDescriptor],
///                              addedVariables: [ControlChannel.variable: "\(channel.writeDescriptor)"])
/// channel.closeWriteEnd()
/// channel.start { line in ... }   // on the reader thread, in order, as each line arrives
/// child.reap()
/// channel.finish()                 // reads what is left, then ends the thread
/// ```
///
/// The command writes whole lines; the reader thread takes each as soon as it arrives, so a write
/// waits only when the pipe's buffer (64 KiB on Linux) is full, never on the tracker's files. Lines
/// are handled in order on that one thread, each stamped by the tracker when handled. Cost: one
/// thread asleep in `poll` and one `read` per batch of lines.
final class ControlChannel: Sendable {
    /// The environment variable that names the descriptor in the command.
    static let variable = "CARBONTRACKER_CONTROL_FD"

    /// The write end, inherited by the command under this number.
    let writeDescriptor: Int32
    private let readDescriptor: Int32
    private let wake: (read: Int32, write: Int32)
    private let writeEndOpen = LockedBox(true)
    private let done = Latch()

    /// Opens the pipe and the reader's wake-up pipe (all ends close-on-exec).
    /// - Throws: ``ChildProcess/LaunchError`` with status 126 when no pipe can be made.
    init() throws(ChildProcess.LaunchError) {
        var pipeEnds: [Int32] = [-1, -1]
        var wakeEnds: [Int32] = [-1, -1]
        let status = pipeEnds.withUnsafeMutableBufferPointer { carbontracker_pipe($0.baseAddress) }
        let wakeStatus =
            status == 0
            ? wakeEnds.withUnsafeMutableBufferPointer { carbontracker_pipe($0.baseAddress) } : status
        guard status == 0, wakeStatus == 0 else {
            for descriptor in pipeEnds + wakeEnds where descriptor >= 0 { _ = close(descriptor) }
            throw ChildProcess.LaunchError(
                message: "cannot open the control pipe: \(String(cString: strerror(wakeStatus)))", status: 126
            )
        }
        readDescriptor = pipeEnds[0]
        // The lowest free number from 3 up for the command's end: shells write to it with `>&N`, and
        // some (dash) take a single digit there.
        let low = fcntl(pipeEnds[1], F_DUPFD_CLOEXEC, 3)
        if low >= 0 && low < pipeEnds[1] {
            _ = close(pipeEnds[1])
            writeDescriptor = low
        } else {
            if low >= 0 { _ = close(low) }
            writeDescriptor = pipeEnds[1]
        }
        wake = (wakeEnds[0], wakeEnds[1])
        for descriptor in [readDescriptor, wake.read] {
            _ = fcntl(descriptor, F_SETFL, fcntl(descriptor, F_GETFL) | O_NONBLOCK)
        }
    }

    deinit {
        closeWriteEnd()
        for descriptor in [readDescriptor, wake.read, wake.write] { _ = close(descriptor) }
    }

    /// Closes this process's copy of the write end, so the command's closing it is the end of input.
    func closeWriteEnd() {
        writeEndOpen.withLock { open in
            if open { _ = close(writeDescriptor) }
            open = false
        }
    }

    /// Starts the reader thread; `handle` gets each line in order, on that thread.
    func start(_ handle: @escaping @Sendable (ControlLine) -> Void) {
        let thread = Thread { [self] in
            read(handle)
            done.open()
        }
        thread.name = "carbontracker control"
        thread.start()
    }

    /// Tells the reader the command has ended: it reads what is still in the pipe, hands it over and
    /// ends. Waits at most `limitSeconds` for that.
    /// - Returns: Whether the reader ended in time.
    @discardableResult
    func finish(limitSeconds: Double = 30) -> Bool {
        var byte: UInt8 = 1
        _ = write(wake.write, &byte, 1)
        return done.wait(seconds: limitSeconds)
    }

    private func read(_ handle: (ControlLine) -> Void) {
        var splitter = ControlLineSplitter()
        var buffer = [UInt8](repeating: 0, count: 16_384)
        var finishing = false
        while true {
            var descriptors = [
                pollfd(fd: readDescriptor, events: Int16(POLLIN), revents: 0),
                pollfd(fd: wake.read, events: Int16(POLLIN), revents: 0),
            ]
            // Once the command has ended, read without waiting until the pipe is empty.
            if !finishing {
                let ready = poll(&descriptors, 2, -1)
                if ready < 0 && errno != EINTR { break }
                if descriptors[1].revents != 0 { finishing = true }
            }
            let count = buffer.withUnsafeMutableBytes {
                Foundation.read(readDescriptor, $0.baseAddress!, $0.count)
            }
            if count > 0 {
                splitter.append(buffer[0..<count], handle)
                continue
            }
            if count < 0 && errno == EINTR { continue }
            // End of input (every writer closed it), a read error, or nothing left once the command ended.
            if count == 0 || finishing || errno != EAGAIN { break }
        }
        splitter.finish(handle)
    }
}

/// Cuts the bytes read from the control pipe into lines.
struct ControlLineSplitter {
    private var pending: [UInt8] = []
    /// The rest of an overlong line, already handed over, is dropped up to its newline.
    private var skippingRest = false

    /// Hands over every complete line in `bytes` (after what came before) and keeps the rest; a line
    /// longer than ``ControlLine/longest`` is handed over, as malformed, without waiting for its end.
    mutating func append(_ bytes: ArraySlice<UInt8>, _ handle: (ControlLine) -> Void) {
        var rest = bytes
        while let newline = rest.firstIndex(of: UInt8(ascii: "\n")) {
            if skippingRest {
                skippingRest = false
            } else {
                pending += rest[..<newline]
                handle(ControlLine(pending[...]))
            }
            pending.removeAll(keepingCapacity: true)
            rest = rest[(newline + 1)...]
        }
        guard !skippingRest else { return }
        pending += rest
        if pending.count > ControlLine.longest {
            handle(ControlLine(pending[...]))
            pending.removeAll(keepingCapacity: true)
            skippingRest = true
        }
    }

    /// Hands over a last line that has no newline.
    mutating func finish(_ handle: (ControlLine) -> Void) {
        if !pending.isEmpty && !skippingRest { handle(ControlLine(pending[...])) }
        pending.removeAll()
        skippingRest = false
    }
}
