import MQTT
import Vault

/// The byte budget before each batch (issue 20). The retention step checks the budget once a
/// second; a drain stores a second's worth of the broker's backlog between two checks (after a
/// block, several MiB), so the vault went over its budget in that burst (BENCHMARKS.md, "Soak").
/// The store worker now measures the vault's space after each batch (`SpaceGauge`), and before
/// receiving the next one the service asks `StorageBudget` for a verdict:
///
/// - content over the line: the retention step runs at once (prune, then block or evict), and
///   the batch is received only once there is room again. A drain after a block is thereby paced
///   by what pruning frees, a step at a time, instead of by the broker.
/// - the WAL taking the disk over its line: the WAL is checkpointed and truncated from here
///   (writes wait meanwhile), for at most `checkpointWaitMs` at a time.
///
/// Nothing is received while it waits, so nothing is lost or refused: the broker keeps the
/// backlog, and libmosquitto's keep-alive (30 s) outlasts the wait.
extension IngestService {
    /// The longest wait for a checkpoint before one more batch is let through anyway (the
    /// connection is served, and a WAL that cannot be truncated does not stop ingest).
    static let checkpointWaitMs: Int64 = 2000

    /// Whether the next batch may be received now. May wait for the store worker (and then
    /// acknowledge what is stored), run a retention step or a checkpoint; returns false when
    /// the round should receive nothing.
    func admitsNextBatch(_ transport: any MessageTransport, _ storer: StoreWorker) -> Bool {
        let budget = StorageBudget(cap: runtime.storageMaxBytes)
        // Blocked: the batch is received and refused unstored (IngestService+Round), as before.
        guard budget.isSet, !storage.budgetFull, let space = spaceGauge.current else { return true }
        switch budget.verdict(space) {
        case .admit:
            checkpointWaitSince = nil
            return true
        case .prune:
            quiesce(storer, transport)  // the store is this thread's for the step
            metrics.storagePaced += 1
            housekeeping.ran(.retention, at: clock.monotonicMs())
            let freed = runRetention(transport)
            // Blocked now (refused at submit), or nothing to free (evict-oldest with nothing
            // evictable: stored over the budget, `storage_cap_exceeded` says so): go on.
            guard !storage.budgetFull, freed > 0 else { return true }
            return spaceGauge.current.map { budget.verdict($0) == .admit } ?? true
        case .awaitCheckpoint:
            quiesce(storer, transport)
            let now = clock.monotonicMs()
            if checkpointWaitSince == nil {
                checkpointWaitSince = now
                metrics.storagePaced += 1
            } else if now - checkpointWaitSince! >= Self.checkpointWaitMs {
                checkpointWaitSince = nil  // one batch through, then the wait may begin again
                return true
            }
            try? store.walCheckpoint()  // fails while readers hold the WAL (busy): tried again below
            let after = store.space
            spaceGauge.record(after)
            if budget.verdict(after) == .awaitCheckpoint { clock.sleep(ms: 20) }  // not truncated: try again shortly
            return false
        }
    }
}
