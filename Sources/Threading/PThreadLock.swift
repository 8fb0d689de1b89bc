/// A pthread mutex with a stable address (PITFALLS: `Synchronization.Mutex` gives
/// ThreadSanitizer false positives on Linux; a pthread mutex is TSan-clean). The mutex of a
/// ``PThreadCondition`` whose condition variable is never waited on.
public final class PThreadLock: Sendable {
    private let condition = PThreadCondition()

    public init() {}

    /// Runs `body` holding the lock.
    public func withLock<Result, Failure: Error>(_ body: () throws(Failure) -> Result) throws(Failure) -> Result {
        condition.lock()
        defer { condition.unlock() }
        return try body()
    }
}
