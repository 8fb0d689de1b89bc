#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A detached POSIX thread running one closure: the agent's long-lived workers (store,
/// WAL checkpoint, anchoring) without Foundation's `Thread`, so the executable links
/// FoundationEssentials only.
public enum WorkerThread {
    /// Starts `body` on a new detached thread named `name` (at most 15 bytes are kept, the
    /// kernel's limit; the name shows in `top -H`, `perf` and core dumps).
    /// Stops the process if the thread cannot be created (out of memory or thread limit):
    /// the agent cannot run without its workers.
    public static func start(name: String, _ body: @escaping @Sendable () -> Void) {
        let argument = Unmanaged.passRetained(WorkerStart(name: name, body: body)).toOpaque()
        var thread = pthread_t()
        let rc = pthread_create(&thread, nil, workerThreadEntry, argument)
        guard rc == 0 else {
            Unmanaged<WorkerStart>.fromOpaque(argument).release()
            fatalError("cannot start the \(name) thread: pthread_create returned \(rc)")
        }
        pthread_detach(thread)
    }
}

/// What a new worker thread runs, passed through `pthread_create`'s argument pointer.
private final class WorkerStart: Sendable {
    let name: String
    let body: @Sendable () -> Void
    init(name: String, body: @escaping @Sendable () -> Void) {
        self.name = name
        self.body = body
    }
}

private func workerThreadEntry(_ argument: UnsafeMutableRawPointer?) -> UnsafeMutableRawPointer? {
    guard let argument else { return nil }
    let start = Unmanaged<WorkerStart>.fromOpaque(argument).takeRetainedValue()
    setCurrentThreadName(start.name)
    start.body()
    return nil
}

/// Best effort, Linux only: the kernel's per-thread name, through `/proc` (Glibc's module
/// does not export `pthread_setname_np` or `prctl` to Swift).
private func setCurrentThreadName(_ name: String) {
    #if os(Linux)
    let fd = open("/proc/thread-self/comm", O_WRONLY)
    guard fd >= 0 else { return }
    defer { close(fd) }
    let bytes = Array(name.utf8.prefix(15))
    _ = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
    #endif
}
