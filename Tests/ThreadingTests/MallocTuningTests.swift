import Testing
import Threading

/// The allocator settings `main` applies (DECISIONS 33); their effect on RSS is measured in
/// BENCHMARKS.md, not here.
@Suite struct MallocTuningTests {
    @Test func theThresholdsAreAcceptedByThisGlibc() {
        // Fails if glibc refuses the values (a threshold above its maximum, for instance).
        #expect(MallocTuning.returnFreedMemoryEarly())
        MallocTuning.releaseFreedMemory()
    }
}
