import SQLite

/// Batches committed while syncing is deferred: how many sealed records they added, and when.
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
/// write-ahead log) as usual but not synced, and its readings are not sealed yet.
/// `syncDeferred()` seals them in a transaction committed at the configured level, then syncs
/// the log, so that every batch stored since `deferSync()` is then exactly as durable as if
/// each had been committed with `synchronous = full`. The ingest pipeline defers while a
/// backlog streams in and syncs before acknowledging any of it (docs/DECISIONS.md 18).
///
/// Sealing waits for the sync because a checkpoint may leave the gateway (a retained MQTT
/// message, a ledger anchor) as soon as another connection can read it: it must never name a
/// batch that a power cut could still take back. A transaction committed at `synchronous =
/// full` is synced before other connections can see it.
extension Vault {
    /// Whether syncing is deferred (``deferSync()`` was called and ``syncDeferred()`` not yet).
    public var isSyncDeferred: Bool { deferred != nil }

    /// Defers the disk sync of the batches stored from now on to ``syncDeferred()``. Nothing
    /// stored meanwhile may be reported durable (acknowledged) before that call returns.
    public func deferSync() throws(VaultError) {
        guard deferred == nil else { return }
        if syncsCommits {
            do { try db.setSynchronous(.normal) } catch {
                throw VaultError(.storage, "cannot defer syncing", underlying: error)
            }
        }
        deferred = DeferredSync()
    }

    /// Seals the readings stored since ``deferSync()`` and syncs the write-ahead log; syncing
    /// is no longer deferred afterwards.
    /// - Throws: `VaultError` `.storage` if the log cannot be synced: the batches are then
    ///   committed but may not survive a power cut, and must not be acknowledged. A failure to
    ///   seal is not thrown: it is counted in `sealingFailures`, and the readings are sealed at
    ///   the next sealing tick (as after a crash).
    public func syncDeferred() throws(VaultError) {
        guard let pending = deferred else { return }
        // Still deferred if this fails: the connection must not go on committing unsynced.
        do { try db.setSynchronous(synchronous) } catch {
            throw VaultError(.storage, "cannot restore the synchronous level", underlying: error)
        }
        deferred = nil
        let sealedBefore = sealing?.lastSealedID
        if pending.unsealed > 0, sealing != nil {
            var sealed: SealingState?
            do {
                try write { sealed = try sealWithinStore(pending.unsealed, at: pending.lastReceivedAt) }
                if let sealed { sealing = sealed }
            } catch {
                sealingFailures += 1
                sealing?.retryPending = true
            }
        }
        // A committed seal (it moved the last sealed id) was synced at its commit, and the log with it.
        guard syncsCommits, sealing?.lastSealedID == sealedBefore else { return }
        do { try db.syncJournal() } catch {
            throw VaultError(.storage, "cannot sync the write-ahead log", underlying: error)
        }
    }

    /// Whether commits are synced at the configured level (so deferring them changes something).
    private var syncsCommits: Bool { synchronous == .full || synchronous == .extra }
}
