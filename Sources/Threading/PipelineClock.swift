import Glibc

/// The two clocks the agent reads.
///
/// Intervals and deadlines (periodic work, timeouts, `--duration`) run on the monotonic clock,
/// which never steps. Timestamps that are stored or published (arrival times, event times) use
/// the wall clock. On a gateway without a battery-backed real-time clock the wall clock starts
/// near 1970 and steps forward by decades when NTP first syncs (or back, after a bad sync): work
/// timed by wall-clock stamps would then stall for the size of the step, or all fall due at once.
public protocol PipelineClock: Sendable {
    /// Milliseconds on a clock that moves forward at a steady rate and never steps; its origin
    /// is arbitrary (differences only).
    func monotonicMs() -> Int64
    /// Milliseconds since the Unix epoch, as the system clock reads now.
    func wallMs() -> Int64
    /// Waits `ms` milliseconds of monotonic time (a manual clock just moves forward).
    func sleep(ms: Int)
}

/// The system's clocks: `CLOCK_MONOTONIC` and `CLOCK_REALTIME`.
public struct SystemClock: PipelineClock {
    public init() {}

    public func monotonicMs() -> Int64 { Self.read(CLOCK_MONOTONIC) }

    public func wallMs() -> Int64 { Self.read(CLOCK_REALTIME) }

    public func sleep(ms: Int) {
        guard ms > 0 else { return }
        var request = timespec(tv_sec: ms / 1000, tv_nsec: (ms % 1000) * 1_000_000)
        var remaining = timespec()
        while nanosleep(&request, &remaining) != 0 && errno == EINTR { request = remaining }
    }

    private static func read(_ clock: clockid_t) -> Int64 {
        var now = timespec()
        clock_gettime(clock, &now)
        return Int64(now.tv_sec) * 1000 + Int64(now.tv_nsec) / 1_000_000
    }
}

/// Work due every `intervalMs` of monotonic time: the first time at once, then `intervalMs`
/// after each run.
public struct PeriodicWork: Sendable, Equatable {
    public let intervalMs: Int64
    public private(set) var lastRun: Int64?

    /// `firstRun`: when it counts as last run (`nil`: due at once).
    public init(everyMs intervalMs: Int64, lastRun: Int64? = nil) {
        self.intervalMs = intervalMs
        self.lastRun = lastRun
    }

    /// Whether the work is due at monotonic time `now`.
    public func isDue(at now: Int64) -> Bool {
        guard let lastRun else { return true }
        return now - lastRun >= intervalMs
    }

    /// Records a run at monotonic time `now`.
    public mutating func ran(at now: Int64) {
        lastRun = now
    }
}
