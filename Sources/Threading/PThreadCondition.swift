#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A mutex and a condition variable used together, as in `NSCondition`: `lock()`, then
/// `wait()` in a loop re-checking the predicate, `broadcast()` after changing it, `unlock()`.
public final class PThreadCondition: @unchecked Sendable {
    // @unchecked Sendable is safe: the mutex and condition are heap-allocated once, never
    // moved, and only touched through pthread calls, which are thread-safe by definition.
    private let mutex: UnsafeMutablePointer<pthread_mutex_t>
    private let condition: UnsafeMutablePointer<pthread_cond_t>

    public init() {
        mutex = .allocate(capacity: 1)
        mutex.initialize(to: pthread_mutex_t())
        pthread_mutex_init(mutex, nil)
        condition = .allocate(capacity: 1)
        condition.initialize(to: pthread_cond_t())
        // Timed waits measure the monotonic clock: a step of the wall clock neither cuts them
        // short nor stretches them.
        var attributes = pthread_condattr_t()
        pthread_condattr_init(&attributes)
        #if canImport(Glibc)
        pthread_condattr_setclock(&attributes, CLOCK_MONOTONIC)
        #endif
        pthread_cond_init(condition, &attributes)
        pthread_condattr_destroy(&attributes)
    }

    deinit {
        pthread_cond_destroy(condition)
        condition.deallocate()
        pthread_mutex_destroy(mutex)
        mutex.deallocate()
    }

    public func lock() { pthread_mutex_lock(mutex) }

    public func unlock() { pthread_mutex_unlock(mutex) }

    /// Releases the lock, sleeps until woken (or spuriously), and takes the lock again.
    /// Call with the lock held.
    public func wait() { pthread_cond_wait(condition, mutex) }

    /// As `wait()`, but gives up at `deadlineMs` on the monotonic clock
    /// (`SystemClock().monotonicMs()`). Returns false when the deadline passed. Call with the
    /// lock held.
    public func wait(untilMonotonicMs deadlineMs: Int64) -> Bool {
        var deadline = timespec(tv_sec: Int(deadlineMs / 1000), tv_nsec: Int(deadlineMs % 1000) * 1_000_000)
        return pthread_cond_timedwait(condition, mutex, &deadline) != ETIMEDOUT
    }

    /// Wakes one waiter.
    public func signal() { pthread_cond_signal(condition) }

    /// Wakes every waiter.
    public func broadcast() { pthread_cond_broadcast(condition) }
}
