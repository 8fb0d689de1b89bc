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
}
