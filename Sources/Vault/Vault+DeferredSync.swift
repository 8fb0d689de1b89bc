/// Deferred sync: several batches committed with one disk sync instead of one each (the
/// mechanism is the sealing log's: SealingLog+DeferredSync, DECISIONS 18).
///
/// Between ``deferSync()`` and ``syncDeferred()`` each batch is committed (and written to the
/// write-ahead log) as usual but not synced, and its readings are not sealed yet.
/// `syncDeferred()` seals them in a transaction committed at the configured level, then syncs
/// the log: every batch stored since `deferSync()` is then exactly as durable as if each had
/// been committed with `synchronous = full`. Nothing stored meanwhile may be reported durable
/// (acknowledged) before that.
extension Vault {
    /// Whether syncing is deferred (``deferSync()`` was called and ``syncDeferred()`` not yet).
    public var isSyncDeferred: Bool { sealingLog.isSyncDeferred }

    /// Defers the disk sync of the batches stored from now on to ``syncDeferred()``.
    public func deferSync() throws(VaultError) {
        try sealingLog.deferSync()
    }

    /// Seals the readings stored since ``deferSync()`` and syncs the write-ahead log; syncing
    /// is no longer deferred afterwards.
    /// - Throws: `VaultError` `.storage` if the log cannot be synced: the batches are then
    ///   committed but may not survive a power cut, and must not be acknowledged. A failure to
    ///   seal is not thrown: it is counted in `sealingFailures`, and the readings are sealed at
    ///   the next sealing tick (as after a crash).
    public func syncDeferred() throws(VaultError) {
        try sealingLog.syncDeferred()
    }
}
