import Synchronization
import Vault

/// The vault's latest measured space, shared by the two pipeline threads: the store worker
/// measures it right after each batch it stores (before the batch is synced, so a backlog's
/// window of unsynced batches does not hide it), the ingest thread after its retention steps
/// and checkpoints, and the ingest thread reads it before receiving the next batch.
final class SpaceGauge: Sendable {
    private let value = Mutex<VaultSpace?>(nil)

    /// The latest measurement (nil until the first).
    var current: VaultSpace? { value.withLock { $0 } }

    /// Records a measurement (the newest: whichever thread has the store measures it).
    func record(_ space: VaultSpace) { value.withLock { $0 = space } }
}
