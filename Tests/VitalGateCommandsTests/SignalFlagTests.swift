#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Testing
import VitalGateCommands

@Suite struct SignalFlagTests {
    /// A real signal (SIGUSR2, so the test runner's SIGINT stays untouched) raises the flag.
    @Test func aSignalRaisesTheFlag() {
        SignalFlag.reset()
        #expect(!SignalFlag.stopRequested)
        SignalFlag.install(signals: [SIGUSR2])
        // Process-directed, as from `kill`: test threads may block signals, the main thread takes it.
        kill(getpid(), SIGUSR2)
        for _ in 0..<500 where !SignalFlag.stopRequested { usleep(2000) }
        #expect(SignalFlag.stopRequested)
        #expect(SignalFlag.receivedSignal == SIGUSR2)
        SignalFlag.reset()
        #expect(!SignalFlag.stopRequested && SignalFlag.receivedSignal == nil)
        SignalFlag.requestStop()
        #expect(SignalFlag.stopRequested && SignalFlag.receivedSignal == nil)
        SignalFlag.reset()
    }
}
