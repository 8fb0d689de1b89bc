import FoundationEssentials
import Glibc
import SQLite
import Synchronization
import Threading

/// Checkpoints the vault's write-ahead log from a background thread with its own connection,
/// so the copy into the database file (and its fsync) stays off the ingest thread. The ingest
/// connection keeps a large automatic checkpoint as a safety net should this thread stop.
///
/// A passive checkpoint never makes the WAL file smaller: the file restarts from its beginning
/// only after a checkpoint copied every frame while no reader used the WAL, which the delivery
/// workers' reads rarely leave room for under a steady load (the soak measured 40 MiB, the
/// automatic checkpoint's size, against a 64 MiB budget that counts it). Once the file passes
/// `truncateAboveBytes`, the checkpoint is a truncating one, tried every 100 ms until it succeeds:
/// it waits at most its busy timeout (100 ms) for readers to finish, holding writers meanwhile,
/// and cuts the file to nothing.
public final class WALCheckpointer: Sendable {
    /// State shared with the thread (kept apart so the thread does not retain `self`).
    private final class Shared: Sendable {
        let stopFlag = Atomic<Bool>(false)
        let done = PThreadSemaphore()
        /// Checkpoints that failed (e.g. busy); they are retried at the next interval.
        let failures = Atomic<Int>(0)
    }

    private let shared = Shared()

    /// The WAL size from which checkpoints truncate (8 MiB).
    public static let defaultTruncateAboveBytes: Int64 = 8 << 20

    /// Starts checkpointing `path` every `intervalMs`.
    public init(path: String, intervalMs: Int = 500, truncateAboveBytes: Int64 = WALCheckpointer.defaultTruncateAboveBytes) {
        WorkerThread.start(name: "vitalgate-wal") { [shared] in
            defer { shared.done.signal() }
            guard let db = try? Connection(path: path) else {
                shared.failures.add(1, ordering: .relaxed)
                return
            }
            try? db.busyTimeout(ms: 100)
            var truncating = false
            while !shared.stopFlag.load(ordering: .relaxed) {
                var slept = 0
                // A truncation that did not get its moment (readers) is tried again sooner.
                while slept < (truncating ? min(intervalMs, 100) : intervalMs) && !shared.stopFlag.load(ordering: .relaxed) {
                    usleep(20_000)
                    slept += 20
                }
                var info = stat()
                let walBytes = stat(path + "-wal", &info) == 0 ? Int64(info.st_size) : 0
                truncating = walBytes > truncateAboveBytes
                let mode: Connection.WALCheckpointMode = truncating ? .truncate : .passive
                do { _ = try db.walCheckpoint(mode) } catch { shared.failures.add(1, ordering: .relaxed) }
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
