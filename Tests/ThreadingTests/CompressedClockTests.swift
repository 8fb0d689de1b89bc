import Testing
import Threading

/// The compressed wall clock of time-compressed runs (`vitalgate run --clock-speed`): a function
/// of the system clock, so that two processes with the same origin and speed agree; intervals
/// stay on the real monotonic clock.
@Suite struct CompressedClockTests {
    @Test func itStretchesTheTimeSinceItsOriginAndAgreesWithTheSystemThere() {
        let clock = CompressedClock(originMs: 1_000_000, speed: 600)
        #expect(clock.compressed(1_000_000) == 1_000_000)
        #expect(clock.compressed(1_001_000) == 1_000_000 + 600_000)
        #expect(clock.compressed(1_000_000 + 144_000) == 1_000_000 + 86_400_000, "a day in 144 s")
        #expect(clock.compressed(999_000) == 1_000_000 - 600_000, "before the origin, backwards as fast")
    }

    @Test func twoClocksWithTheSameOriginAndSpeedReadTheSameTime() {
        let origin = SystemClock().wallMs() - 10_000
        let first = CompressedClock(originMs: origin, speed: 700), second = CompressedClock(originMs: origin, speed: 700)
        let a = first.wallMs(), b = second.wallMs(), c = first.wallMs()
        #expect(a <= b && b <= c)
        #expect(c - a < 700 * 200, "read within a fraction of a second of each other")
        #expect(a - origin >= 700 * 10_000, "ten real seconds after the origin: 700 times as much compressed")
    }

    @Test func onlyTheWallClockRunsFastIntervalsStayReal() {
        let clock = CompressedClock(originMs: SystemClock().wallMs(), speed: 1000)
        let (mono0, wall0) = (clock.monotonicMs(), clock.wallMs())
        clock.sleep(ms: 50)
        let (mono1, wall1) = (clock.monotonicMs(), clock.wallMs())
        #expect(mono1 - mono0 >= 50 && mono1 - mono0 < 5_000)
        #expect(wall1 - wall0 >= 50_000, "50 ms of real time is at least 50 s compressed")
    }

    @Test func aSpeedBelowOneOrNotFiniteIsClampedToTheSystemsRate() {
        #expect(CompressedClock(originMs: 0, speed: 0.5).speed == 1)
        #expect(CompressedClock(originMs: 0, speed: .nan).speed == 1)
        #expect(CompressedClock(originMs: 0, speed: .infinity).speed == 1)
    }
}
