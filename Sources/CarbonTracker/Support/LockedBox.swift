import Foundation

/// A value shared between threads, reachable only through ``withLock(_:)``.
///
/// ```swift
/// let counter = LockedBox(0)
/// counter.withLock { $0 += 1 }
/// ```
///
/// Cost: one uncontended `pthread_mutex` lock and unlock per call (tens of nanoseconds).
/// `Synchronization.Mutex` would do, but it needs macOS 15 and the package supports macOS 13.
final class LockedBox<Value>: @unchecked Sendable {
    private let lock = NSLock()
    private var value: Value

    /// Creates a box holding `value`.
    init(_ value: Value) { self.value = value }

    /// Runs `body` with exclusive access to the value.
    /// - Parameter body: Reads or mutates the value; must not call back into this box.
    /// - Returns: What `body` returns.
    func withLock<Result>(_ body: (inout Value) throws -> Result) rethrows -> Result {
        lock.lock()
        defer { lock.unlock() }
        return try body(&value)
    }
}

/// A one-shot signal a thread can wait on with a deadline, built on a condition variable.
///
/// Cost: `signal()` takes a lock and wakes one waiter; it never blocks on the waiter's work.
final class WakeSignal: @unchecked Sendable {
    private let condition = NSCondition()
    private var pending = false

    /// Wakes the waiter, or makes its next wait return at once.
    func signal() {
        condition.lock()
        pending = true
        condition.signal()
        condition.unlock()
    }

    /// Waits until signalled or until `seconds` pass.
    /// - Parameter seconds: The longest wait.
    /// - Returns: `true` when woken by ``signal()``, `false` on time-out.
    @discardableResult
    func wait(seconds: Double) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        let deadline = Date(timeIntervalSinceNow: max(0, seconds))
        while !pending {
            if !condition.wait(until: deadline) { break }
        }
        let woken = pending
        pending = false
        return woken
    }
}

/// A gate that opens once and stays open; threads can wait for it with a deadline.
final class Latch: @unchecked Sendable {
    private let condition = NSCondition()
    private var isOpen = false

    /// Opens the gate and wakes every waiter.
    func open() {
        condition.lock()
        isOpen = true
        condition.broadcast()
        condition.unlock()
    }

    /// Waits until the gate is open or `seconds` pass.
    /// - Parameter seconds: The longest wait.
    /// - Returns: Whether the gate is open.
    @discardableResult
    func wait(seconds: Double) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        let deadline = Date(timeIntervalSinceNow: max(0, seconds))
        while !isOpen {
            if !condition.wait(until: deadline) { break }
        }
        return isOpen
    }
}
