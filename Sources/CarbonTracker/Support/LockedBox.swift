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

/// A flag a thread can wait for with a deadline, built on a pthread condition variable whose
/// deadlines are on the monotonic clock, so a wall-clock step (NTP, a suspended VM) neither cuts a
/// wait short nor stretches it.
private final class ConditionFlag: @unchecked Sendable {
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let condition = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
    private var isSet = false
    private let clearsOnWait: Bool

    init(clearsOnWait: Bool) {
        self.clearsOnWait = clearsOnWait
        pthread_mutex_init(mutex, nil)
        #if os(Linux)
            var attributes = pthread_condattr_t()
            pthread_condattr_init(&attributes)
            pthread_condattr_setclock(&attributes, CLOCK_MONOTONIC)
            pthread_cond_init(condition, &attributes)
            pthread_condattr_destroy(&attributes)
        #else
            pthread_cond_init(condition, nil)
        #endif
    }

    deinit {
        pthread_cond_destroy(condition)
        pthread_mutex_destroy(mutex)
        condition.deallocate()
        mutex.deallocate()
    }

    func set() {
        pthread_mutex_lock(mutex)
        isSet = true
        pthread_cond_broadcast(condition)
        pthread_mutex_unlock(mutex)
    }

    func wait(seconds: Double) -> Bool {
        let interval = seconds.isFinite ? min(max(0, seconds), 1e9) : 1e9
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        #if os(Linux)
            var deadline = timespec()
            clock_gettime(CLOCK_MONOTONIC, &deadline)
            let whole = interval.rounded(.down)
            deadline.tv_sec += Int(whole)
            deadline.tv_nsec += Int((interval - whole) * 1e9)
            if deadline.tv_nsec >= 1_000_000_000 {
                deadline.tv_sec += 1
                deadline.tv_nsec -= 1_000_000_000
            }
            while !isSet {
                if pthread_cond_timedwait(condition, mutex, &deadline) == ETIMEDOUT { break }
            }
        #else
            let start = DispatchTime.now().uptimeNanoseconds
            while !isSet {
                let elapsed = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
                if elapsed >= interval { break }
                let left = interval - elapsed
                var relative = timespec(tv_sec: Int(left), tv_nsec: Int((left - left.rounded(.down)) * 1e9))
                _ = pthread_cond_timedwait_relative_np(condition, mutex, &relative)
            }
        #endif
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
