import SQLite

/// Records committed while syncing is deferred: how many, and when the last one arrived.
struct DeferredSync {
    private(set) var unsealed = 0
    private(set) var lastReceivedAt: Int64 = 0

    mutating func add(_ count: Int, at receivedAt: Int64) {
        unsealed += count
        lastReceivedAt = receivedAt
    }
}

/// Deferred sync: several batches committed with one disk sync instead of one each.
///
/// Between ``deferSync()`` and ``syncDeferred()`` each batch is committed (and written to the
/// write-ahead log) as usual but not synced, and its records are not sealed yet.
/// `syncDeferred()` seals them in a transaction committed at the configured level, then syncs
/// the log, so that every batch stored since `deferSync()` is then exactly as durable as if
/// each had been committed with `synchronous = full`. The ingest pipeline defers while a
/// backlog streams in and syncs before acknowledging any of it (docs/DECISIONS.md 18).
extension SealingLog {
    /// Whether syncing is deferred.
    var isSyncDeferred: Bool { deferred != nil }

    /// Defers the disk sync of the batches committed from now on to ``syncDeferred()``.
    func deferSync() throws(VaultError) {
        guard deferred == nil else { return }
        if syncsCommits {
            do { try db.setSynchronous(.normal) } catch {
                throw VaultError(.storage, "cannot defer syncing", underlying: error)
            }
        }
        deferred = DeferredSync()
    }

    /// Seals the records committed since ``deferSync()`` and syncs the write-ahead log; syncing
    /// is no longer deferred afterwards.
    /// - Throws: `VaultError` `.storage` if the log cannot be synced: the batches are then
    ///   committed but may not survive a power cut, and must not be acknowledged. A failure to
    ///   seal is not thrown: it is counted in `failures`, and the records are sealed at the next
    ///   tick (as after a crash).
    func syncDeferred() throws(VaultError) {
        guard let pending = deferred else { return }
        // Still deferred if this fails: the connection must not go on committing unsynced.
        do { try db.setSynchronous(synchronous) } catch {
            throw VaultError(.storage, "cannot restore the synchronous level", underlying: error)
        }
        deferred = nil
        let sealedBefore = state?.lastSealedID
        if pending.unsealed > 0, isEnabled {
            do {
                let inserted = try db.transaction(.immediate) {
                    try recordsInserted(pending.unsealed, at: pending.lastReceivedAt)
                }
                committed(inserted)
            } catch {
                forgetInsertedRecords()
                failures += 1
                state?.retryPending = true
            }
        }
        // A committed seal (it moved the last sealed id) was synced at its commit, and the log with it.
        guard syncsCommits, state?.lastSealedID == sealedBefore else { return }
        do { try db.syncJournal() } catch {
            throw VaultError(.storage, "cannot sync the write-ahead log", underlying: error)
        }
    }

    /// Whether commits are synced at the configured level (so deferring them changes something).
    private var syncsCommits: Bool { synchronous == .full || synchronous == .extra }
}
