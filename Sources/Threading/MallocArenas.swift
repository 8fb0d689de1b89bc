internal import CMalloc

/// glibc's malloc arenas: by default up to 8 per core, one more each time a thread allocates
/// while the others' are locked. Each keeps the memory its thread freed, so a process whose
/// worker threads allocate (delivery, anchoring) holds several MiB of freed memory.
public enum MallocArenas {
    /// Caps the arenas at `count`; call before any thread starts. Returns whether glibc took it.
    @discardableResult
    public static func limit(to count: Int) -> Bool {
        vg_limit_malloc_arenas(Int32(count)) == 1
    }
}
