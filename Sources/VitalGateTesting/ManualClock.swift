import Synchronization
public import Threading

/// A clock a test moves by hand: the monotonic time only when `advance` is called, the wall
/// time also when `stepWall` jumps it (as NTP's first sync does on a gateway without an RTC).
public final class ManualClock: PipelineClock {
    private let state: Mutex<(monotonic: Int64, wall: Int64)>

    public init(monotonicMs: Int64 = 1_000_000, wallMs: Int64 = 1_763_884_800_000) {
        state = Mutex((monotonicMs, wallMs))
    }

    public func monotonicMs() -> Int64 { state.withLock { $0.monotonic } }

    public func wallMs() -> Int64 { state.withLock { $0.wall } }

    /// Sleeping on a manual clock is time passing at once.
    public func sleep(ms: Int) { advance(ms: Int64(ms)) }

    /// Time passes: both clocks move forward by `ms`.
    public func advance(ms: Int64) {
        state.withLock {
            $0.monotonic += ms
            $0.wall += ms
        }
    }

    /// The wall clock jumps by `ms` (either way); the monotonic clock does not move.
    public func stepWall(ms: Int64) {
        state.withLock { $0.wall += ms }
    }
}
