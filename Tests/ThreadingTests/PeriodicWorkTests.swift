import Testing
import Threading
import VitalGateTesting

/// Periodic work runs on the monotonic clock: a step of the wall clock, either way, neither
/// holds it back nor makes it fall due.
@Suite struct PeriodicWorkTests {
    @Test func dueAtOnceThenEveryInterval() {
        var work = PeriodicWork(everyMs: 1000)
        #expect(work.isDue(at: 0))
        work.ran(at: 0)
        #expect(!work.isDue(at: 999))
        #expect(work.isDue(at: 1000))
        let started = PeriodicWork(everyMs: 60_000, lastRun: 5000)
        #expect(!started.isDue(at: 64_999) && started.isDue(at: 65_000))
    }

    @Test func wallClockStepsDoNotMoveIt() {
        let clock = ManualClock(monotonicMs: 0, wallMs: 0)  // an RTC-less gateway boots in 1970
        var work = PeriodicWork(everyMs: 5000)
        work.ran(at: clock.monotonicMs())
        clock.stepWall(ms: 56 * 365 * 86_400_000)  // NTP's first sync: 56 years forward
        #expect(!work.isDue(at: clock.monotonicMs()), "a forward step made the work due at once")
        clock.advance(ms: 5000)
        #expect(work.isDue(at: clock.monotonicMs()))
        work.ran(at: clock.monotonicMs())
        clock.stepWall(ms: -3_600_000)  // a bad server: an hour back
        clock.advance(ms: 5000)
        #expect(work.isDue(at: clock.monotonicMs()), "a backward step held the work back")
        #expect(clock.wallMs() == 56 * 365 * 86_400_000 - 3_600_000 + 10_000)
    }

    @Test func theSystemMonotonicClockNeverGoesBack() {
        let clock = SystemClock()
        var last = clock.monotonicMs()
        for _ in 0..<10_000 {
            let now = clock.monotonicMs()
            #expect(now >= last)
            last = now
        }
        #expect(clock.wallMs() > 1_700_000_000_000)
    }
}
