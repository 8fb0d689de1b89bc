/// A counting semaphore (as `DispatchSemaphore`): `wait()` blocks until a `signal()` is
/// available and takes it. Used to wait for a worker thread to finish.
public final class PThreadSemaphore: @unchecked Sendable {
    // @unchecked Sendable is safe: `count` is read and written only with `condition` locked.
    private let condition = PThreadCondition()
    private var count: Int

    public init(value: Int = 0) { count = value }

    public func signal() {
        condition.lock()
        count += 1
        condition.signal()
        condition.unlock()
    }

    public func wait() {
        condition.lock()
        while count == 0 { condition.wait() }
        count -= 1
        condition.unlock()
    }

    /// As `wait()`, but gives up after `timeoutMs` milliseconds; returns whether a signal was taken.
    public func wait(timeoutMs: Int) -> Bool {
        let deadline = SystemClock().monotonicMs() + Int64(timeoutMs)
        condition.lock()
        defer { condition.unlock() }
        while count == 0 {
            guard condition.wait(untilMonotonicMs: deadline) else { return false }
        }
        count -= 1
        return true
    }
}
