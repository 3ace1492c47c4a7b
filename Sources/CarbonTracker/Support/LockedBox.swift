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

/// A flag a thread can wait for with a deadline, built on a condition variable.
private final class ConditionFlag: @unchecked Sendable {
    private let condition = NSCondition()
    private var isSet = false
    private let clearsOnWait: Bool

    init(clearsOnWait: Bool) { self.clearsOnWait = clearsOnWait }

    func set() {
        condition.lock()
        isSet = true
        condition.broadcast()
        condition.unlock()
    }

    func wait(seconds: Double) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        let deadline = Date(timeIntervalSinceNow: max(0, seconds))
        while !isSet {
            if !condition.wait(until: deadline) { break }
        }
        let wasSet = isSet
        if clearsOnWait { isSet = false }
        return wasSet
    }
}

/// A wake-up call a thread can wait for with a deadline; each wait consumes the call.
///
/// Cost: `signal()` takes a lock and wakes the waiter; it never blocks on the waiter's work.
final class WakeSignal: Sendable {
    private let flag = ConditionFlag(clearsOnWait: true)

    /// Wakes the waiter, or makes its next wait return at once.
    func signal() { flag.set() }

    /// Waits until signalled or until `seconds` pass.
    /// - Parameter seconds: The longest wait.
    /// - Returns: `true` when woken by ``signal()``, `false` on time-out.
    @discardableResult
    func wait(seconds: Double) -> Bool { flag.wait(seconds: seconds) }
}

/// A gate that opens once and stays open; threads can wait for it with a deadline.
final class Latch: Sendable {
    private let flag = ConditionFlag(clearsOnWait: false)

    /// Opens the gate and wakes every waiter.
    func open() { flag.set() }

    /// Waits until the gate is open or `seconds` pass.
    /// - Parameter seconds: The longest wait.
    /// - Returns: Whether the gate is open.
    @discardableResult
    func wait(seconds: Double) -> Bool { flag.wait(seconds: seconds) }
}
