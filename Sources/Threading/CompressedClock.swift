/// A wall clock that runs `speed` times faster than the system's, for benchmarks and tests that
/// play days of a gateway's life in minutes (`vitalgate run --clock-speed`, `vitalgate-bench soak`).
///
/// It reads the system's wall clock and stretches the time elapsed since `originMs` (a Unix time
/// in ms, where both clocks agree): `originMs + (system − originMs) × speed`. Because it is a
/// function of the system clock, separate processes given the same origin and speed (the
/// agent, and the benchmark that publishes device time) read the same compressed time, and a
/// restarted agent continues the same timeline. The monotonic clock, and so every interval the
/// agent waits (housekeeping, reconnects, timeouts), is the system's: only stamps and ages
/// (arrival times, `keep_days`, batch ages, alarms' times) run fast. Never used in production:
/// `run` keeps ``SystemClock`` unless `--clock-speed` is given.
public struct CompressedClock: PipelineClock {
    /// The Unix time (ms) at which the compressed clock reads the same as the system's.
    public let originMs: Int64
    /// Compressed milliseconds per real millisecond (1: the system clock).
    public let speed: Double
    private let system = SystemClock()

    /// `speed` must be finite and at least 1 (a slower clock would let stamps go backwards
    /// across a restart); anything else is clamped to that range.
    public init(originMs: Int64, speed: Double) {
        self.originMs = originMs
        self.speed = speed.isFinite ? max(speed, 1) : 1
    }

    public func monotonicMs() -> Int64 { system.monotonicMs() }

    public func wallMs() -> Int64 { compressed(system.wallMs()) }

    public func sleep(ms: Int) { system.sleep(ms: ms) }

    /// The compressed time at the system's wall-clock time `realMs`.
    public func compressed(_ realMs: Int64) -> Int64 {
        originMs + Int64((Double(realMs - originMs) * speed).rounded(.down))
    }
}
