import MQTT
import Telemetry

/// The store's health as the pipeline sees it: outages (batches that could not be stored) with
/// the backoff between retries, and the storage cap. A value that decides; the service acts on
/// what it returns (logs, drops the connection, publishes, records), so its rules are tested
/// without a pipeline (`StorageHealthTests`).
struct StorageHealth {
    private var backoff: ReconnectBackoff
    /// The current outage, if any.
    private(set) var outage: StorageOutage?
    /// An outage that has ended and is not yet recorded as an event.
    private(set) var ended: StorageOutage?
    /// Wait before the next connection, after a batch could not be stored.
    private(set) var retryDelayMs = 0
    /// Whether the store was over its cap at the last check (one alert per crossing).
    private(set) var overCap = false
    /// Whether the store is over its byte budget with nothing left to prune, under `when_full =
    /// "block"`: every batch is refused unstored and unacknowledged, as in an outage.
    private(set) var budgetFull = false

    init(backoff: ReconnectBackoff) {
        self.backoff = backoff
    }

    /// A batch could not be stored (`random` in 0..<1 draws the jitter). Returns whether this
    /// began an outage; `retryDelayMs` says how long to wait before reconnecting.
    mutating func batchFailed(cause: String, at now: Int64, random: Double) -> Bool {
        retryDelayMs = backoff.nextDelayMs(random: random)
        guard outage == nil else {
            outage!.failedBatches += 1
            return false
        }
        outage = StorageOutage(since: now, cause: cause)
        return true
    }

    /// Takes the wait before the next connection (it is waited once).
    mutating func takeRetryDelay() -> Int {
        defer { retryDelayMs = 0 }
        return retryDelayMs
    }

    /// A connection was made: a batch received from now on can show that the store works again.
    mutating func connected() {
        outage?.retried = true
    }

    /// A batch was stored. Returns the outage this ends, if any: one ends once a batch received
    /// after a retry has stored readings (a batch of retained `info`/`pair` messages alone,
    /// which every reconnect brings, writes elsewhere and proves little about the readings).
    mutating func batchStored(_ result: StoreResult) -> StorageOutage? {
        guard let current = outage, current.retried, result.stored + result.duplicates > 0 else { return nil }
        outage = nil
        backoff.reset()
        retryDelayMs = 0
        ended = current
        return current
    }

    /// The outage whose alert is due (once per outage, on the first connection after it began);
    /// marks it alerted.
    mutating func alertDue() -> StorageOutage? {
        guard let current = outage, !current.alerted else { return nil }
        outage!.alerted = true
        return current
    }

    /// The ended outage was recorded as an event.
    mutating func endRecorded() {
        ended = nil
    }

    /// Whether the store is full (over budget, nothing prunable, `block`). Returns true when it
    /// has just become full (one alarm per crossing).
    mutating func budgetChecked(full: Bool) -> Bool {
        defer { budgetFull = full }
        return full && !budgetFull
    }

    /// The store takes `size` bytes against `cap` (0: none). Returns true when it has just gone over.
    mutating func capChecked(size: Int64, cap: UInt64) -> Bool {
        let over = cap > 0 && UInt64(max(size, 0)) > cap
        defer { overCap = over }
        return over && !overCap
    }
}
