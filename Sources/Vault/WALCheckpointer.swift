import FoundationEssentials
import Glibc
import SQLite
import Synchronization
import Threading

/// Checkpoints the vault's write-ahead log from a background thread with its own connection,
/// so the copy into the database file (and its fsync) stays off the ingest thread. The ingest
/// connection keeps a large automatic checkpoint as a safety net should this thread stop.
public final class WALCheckpointer: Sendable {
    /// State shared with the thread (kept apart so the thread does not retain `self`).
    private final class Shared: Sendable {
        let stopFlag = Atomic<Bool>(false)
        let done = PThreadSemaphore()
        /// Checkpoints that failed (e.g. busy); they are retried at the next interval.
        let failures = Atomic<Int>(0)
    }

    private let shared = Shared()

    /// Starts checkpointing `path` every `intervalMs`.
    public init(path: String, intervalMs: Int = 500) {
        WorkerThread.start(name: "vitalgate-wal") { [shared] in
            defer { shared.done.signal() }
            guard let db = try? Connection(path: path) else {
                shared.failures.add(1, ordering: .relaxed)
                return
            }
            try? db.busyTimeout(ms: 100)
            while !shared.stopFlag.load(ordering: .relaxed) {
                var slept = 0
                while slept < intervalMs && !shared.stopFlag.load(ordering: .relaxed) {
                    usleep(20_000)
                    slept += 20
                }
                do { _ = try db.walCheckpoint(.passive) } catch { shared.failures.add(1, ordering: .relaxed) }
            }
        }
    }

    public var failedCheckpoints: Int { shared.failures.load(ordering: .relaxed) }

    /// Stops the thread and waits for it.
    public func stop() {
        guard !shared.stopFlag.exchange(true, ordering: .relaxed) else { return }
        shared.done.wait()
    }

    deinit { stop() }
}
