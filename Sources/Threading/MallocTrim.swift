internal import CMalloc

/// glibc keeps memory freed by a thread in that thread's malloc arena, for the thread to reuse.
/// A worker that builds large transient values (a delivery batch) and then waits would hold
/// them for as long as it waits: ``releaseFreedMemory()`` gives the whole free pages back.
public enum MallocTrim {
    /// Returns the free pages of every arena to the kernel (`malloc_trim(0)`; it walks the
    /// arenas, so call it when a worker goes idle, not per allocation).
    public static func releaseFreedMemory() {
        _ = vg_malloc_trim()
    }
}
