/// A period during which the vault cannot store batches, from the first failed batch until a
/// batch is stored again. Carries no message contents: only times, a count and a cause.
struct StorageOutage: Sendable, Equatable {
    /// When the first batch failed (ms since the epoch).
    var since: Int64
    /// Batches that failed during the outage (each one's messages went unacknowledged).
    var failedBatches = 1
    /// Why the first batch failed, e.g. `disk_full` (``Vault/VaultError/storageCause``).
    var cause: String
    /// Whether the outage's alert reached the broker's socket (it is published once per outage,
    /// on the first connection after the failure).
    var alerted = false
    /// Whether a connection was made since the outage began. Only a batch received on such a
    /// connection shows that the vault stores again: a batch committed before the failure may
    /// still report success after it (it is synced and handed over later).
    var retried = false
}
