import Foundation

/// A value shared between threads, reachable only through ``withLock(_:)``.
///
/// ```swift
/// let counter = LockedBox(0)
/// counter.withLock { $0 += 1 }
/// ```
///
/// Cost: one uncontended `pthread_mutex` lock and unlock per call (tens of nanoseconds). The mutex is
/// stored in the same allocation as the value (a `ManagedBuffer` header), so a lock touches one object,
/// not a box, an `NSLock` and its separately allocated mutex: the sampling thread takes several locks
/// per sample just after waking with cold caches, where every extra object costs a cache miss.
/// `Synchronization.Mutex` would do, but it needs macOS 15 and the package supports macOS 13.
///
/// `withLock` is inlinable so that the monitor and the tracker, in other targets, get it specialised
/// for their state as code in this target does (a generic call across a module boundary costs a
/// witness-table call and retains per lock).
package final class LockedBox<Value>: @unchecked Sendable {
    @usableFromInline let storage: LockStorage<Value>

    /// Creates a box holding `value`.
    package init(_ value: Value) { storage = LockStorage.make(value) }

    /// Runs `body` with exclusive access to the value.
    /// - Parameter body: Reads or mutates the value; must not call back into this box.
    /// - Returns: What `body` returns.
    @inlinable @inline(__always)
    package func withLock<Result>(_ body: (inout Value) throws -> Result) rethrows -> Result {
        try storage.withLock(body)
    }
}

/// The value followed by its mutex, in one allocation.
@usableFromInline final class LockStorage<Value>: ManagedBuffer<Value, pthread_mutex_t> {
    static func make(_ value: Value) -> LockStorage<Value> {
        let buffer = create(minimumCapacity: 1) { _ in value }
        buffer.withUnsafeMutablePointerToElements { _ = pthread_mutex_init($0, nil) }
        return unsafeDowncast(buffer, to: LockStorage<Value>.self)
    }

    @inlinable @inline(__always)
    func withLock<Result>(_ body: (inout Value) throws -> Result) rethrows -> Result {
        try withUnsafeMutablePointers { value, mutex in
            pthread_mutex_lock(mutex)
            defer { pthread_mutex_unlock(mutex) }
            return try body(&value.pointee)
        }
    }

    deinit {
        // The value is the buffer's header, which ManagedBuffer destroys itself; the mutex is the one
        // element, a plain C struct that only needs pthread_mutex_destroy.
        _ = withUnsafeMutablePointerToElements { pthread_mutex_destroy($0) }
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
            // Integer arithmetic: no libm call (one code page fewer to touch on every wake-up).
            let nanoseconds = Int(interval * 1e9)
            deadline.tv_sec += nanoseconds / 1_000_000_000
            deadline.tv_nsec += nanoseconds % 1_000_000_000
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
package final class WakeSignal: Sendable {
    package init() {
    }

    private let flag = ConditionFlag(clearsOnWait: true)

    /// Wakes the waiter, or makes its next wait return at once.
    package func signal() { flag.set() }

    /// Waits until signalled or until `seconds` pass.
    /// - Parameter seconds: The longest wait.
    /// - Returns: `true` when woken by ``signal()``, `false` on time-out.
    @discardableResult
    package func wait(seconds: Double) -> Bool { flag.wait(seconds: seconds) }
}

/// A gate that opens once and stays open; threads can wait for it with a deadline.
package final class Latch: Sendable {
    package init() {
    }

    private let flag = ConditionFlag(clearsOnWait: false)

    /// Opens the gate and wakes every waiter.
    package func open() { flag.set() }

    /// Waits until the gate is open or `seconds` pass.
    /// - Parameter seconds: The longest wait.
    /// - Returns: Whether the gate is open.
    @discardableResult
    package func wait(seconds: Double) -> Bool { flag.wait(seconds: seconds) }
}
