internal import CMalloc
#if canImport(Glibc)
import Glibc
#endif

/// How the agent asks glibc's allocator to give memory back (DECISIONS 33).
public enum MallocTuning {
    /// Returns the free pages of every arena to the kernel (`malloc_trim(0)`; it walks the
    /// arenas, so call it when a worker goes idle, not per allocation).
    ///
    /// glibc keeps memory freed by a thread in that thread's malloc arena, for the thread to
    /// reuse. A worker that builds large transient values (a delivery batch) and then waits
    /// would hold them for as long as it waits.
    public static func releaseFreedMemory() {
        _ = vg_malloc_trim()
    }

    /// Fixes glibc's mmap threshold and trim threshold at `bytes`, unless the operator set
    /// either in the environment (`MALLOC_MMAP_THRESHOLD_`, `MALLOC_TRIM_THRESHOLD_`, which then
    /// win). Returns whether the thresholds were set.
    ///
    /// By default glibc raises both each time a large block is freed (up to 32 MiB and twice
    /// that): after a delivery batch of a few MiB, every thread's arena keeps megabytes of free
    /// memory at its top. Fixed thresholds send large blocks to `mmap`, returned whole when
    /// freed, and give an arena's free top back once it passes `bytes`. Measured with two sinks
    /// at 5,000 readings/s: 1.7 MiB less peak RSS, no more CPU (BENCHMARKS.md). Call it first
    /// thing in `main`.
    @discardableResult
    public static func returnFreedMemoryEarly(thresholdBytes bytes: Int = 128 << 10) -> Bool {
        guard getenv("MALLOC_MMAP_THRESHOLD_") == nil, getenv("MALLOC_TRIM_THRESHOLD_") == nil else { return false }
        let value = Int32(clamping: bytes)
        return vg_malloc_fix_thresholds(value, value) == 1
    }
}
