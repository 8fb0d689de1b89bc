import FoundationEssentials
import Telemetry
import Threading
import Vault

/// Stores batches on a thread of its own, so that the ingest thread can receive and decode
/// the next batch while one is being stored.
///
/// **One sync per acknowledgement.** Each batch is committed in its own transaction, but
/// syncing is deferred (`Vault.deferSync()`): the commits are synced together, and their
/// readings sealed, when the ingest thread asks for it (`waitIdle()`, before it acknowledges)
/// or when the worker stops. Under a backlog that is one disk sync per acknowledgement window
/// instead of one per batch. A batch's outcome is handed over only once it is synced.
///
/// **Who may touch the vault.** The worker thread uses the store only while it stores or
/// syncs. The ingest thread may use it directly (sealing ticks, state saves, fleet documents)
/// only after `waitIdle()` has returned and before its next `submit`: the condition's lock
/// orders the two, and `waitIdle()` leaves nothing deferred, so the store is never used by
/// both threads at once.
///
/// After a batch fails, the batches queued behind it are not stored (their outcomes are
/// `skipped`): the caller drops the connection so that the broker redelivers all of them (the
/// ones stored before it come back as duplicates), and calls `clearFailure()` once idle.
final class StoreWorker {
    /// What became of one batch. It keeps only counts, not the messages: a batch's outcome is
    /// held until the sync, and under a backlog a whole `max_inflight` window waits for it.
    struct Outcome {
        /// Messages in the batch.
        var messages: Int
        /// The reason of each quarantined message in the batch.
        var quarantineReasons: [String]
        var result: Result<StoreResult, VaultError>
        /// Not attempted, or not synced, because of another batch's failure.
        var skipped = false
        /// The category and kind of each alert stored with the batch.
        var alertKinds: [AlertKind] = []
        /// When the batch was received (the pipeline clock's monotonic ms).
        var receivedAtMs: Int64 = 0
        /// How long its store transaction took, seconds (0 if not attempted).
        var storeSeconds: Double = 0

        init(batch: [IncomingMessage], result: Result<StoreResult, VaultError>, skipped: Bool = false) {
            messages = batch.count
            quarantineReasons = batch.compactMap {
                if case .quarantined(_, _, let verdict) = $0.outcome { verdict.reason.rawValue } else { nil }
            }
            self.result = result
            self.skipped = skipped
        }
    }

    /// State shared with the thread.
    private final class Shared: @unchecked Sendable {
        // @unchecked Sendable is safe: every field is read and written only with `condition`
        // locked, and the store is used by one thread at a time under the rule above.
        let condition = PThreadCondition()
        let store: any BatchStore
        /// Where the vault's space is recorded after each stored batch (the byte budget's).
        let gauge: SpaceGauge?
        var jobs: [(incoming: [IncomingMessage], alerts: [AlertRecord], receivedAtMs: Int64)] = []
        /// Stored and committed, not yet synced.
        var unsynced: [Outcome] = []
        /// Failed, or stored and synced, not yet taken by the ingest thread.
        var outcomes: [Outcome] = []
        var busy = false
        /// The store defers syncing (even if every batch since failed): it must be synced
        /// before the ingest thread may use it.
        var deferred = false
        var syncRequested = false
        var failed = false
        var stopping = false
        var finished = false

        init(store: any BatchStore, gauge: SpaceGauge?) {
            self.store = store
            self.gauge = gauge
        }
    }

    private let shared: Shared

    /// `gauge`: where the vault's space is recorded after each stored batch.
    init(store: any BatchStore, gauge: SpaceGauge? = nil) {
        shared = Shared(store: store, gauge: gauge)
        WorkerThread.start(name: "vitalgate-store") { [shared] in Self.work(shared) }
    }

    deinit { stop() }

    private static func work(_ shared: Shared) {
        let condition = shared.condition
        condition.lock()
        while true {
            while shared.jobs.isEmpty && !(shared.syncRequested && shared.deferred) && !shared.stopping {
                condition.wait()
            }
            if !shared.jobs.isEmpty {
                let job = shared.jobs.removeFirst()
                let skip = shared.failed
                shared.busy = true
                if !skip { shared.deferred = true }
                condition.unlock()
                let began = ContinuousClock.now
                let result: Result<StoreResult, VaultError> = skip
                    ? .failure(VaultError(.storage, "not stored: an earlier batch of this connection failed"))
                    : Result { () throws(VaultError) in
                        try shared.store.deferSync()
                        return try shared.store.store(job.incoming, alerts: job.alerts)
                    }
                let took = ContinuousClock.now - began
                if !skip, let gauge = shared.gauge { gauge.record(shared.store.space) }  // the budget's, before the next batch
                condition.lock()
                shared.busy = false
                var outcome = Outcome(batch: job.incoming, result: result, skipped: skip)
                outcome.alertKinds = job.alerts.map { AlertKind(category: $0.category, kind: $0.kind) }
                outcome.receivedAtMs = job.receivedAtMs
                if !skip {
                    outcome.storeSeconds = Double(took.components.seconds) + Double(took.components.attoseconds) * 1e-18
                }
                if case .failure = result {
                    shared.failed = true
                    shared.outcomes.append(outcome)
                } else {
                    shared.unsynced.append(outcome)
                }
            } else if shared.deferred {
                // Asked to sync (or stopping), with nothing left to store.
                condition.unlock()
                let synced = Result { () throws(VaultError) in try shared.store.syncDeferred() }
                condition.lock()
                if case .failure(let error) = synced {
                    shared.failed = true
                    // The first batch carries the error (logged once); none of them may be acknowledged.
                    if shared.unsynced.isEmpty { shared.unsynced = [Outcome(batch: [], result: .failure(error))] }
                    for index in shared.unsynced.indices {
                        shared.unsynced[index].result = .failure(error)
                        shared.unsynced[index].skipped = index > 0
                    }
                }
                shared.deferred = false
                shared.outcomes += shared.unsynced
                shared.unsynced.removeAll()
            } else if shared.stopping {
                break
            }
            // A request is answered once nothing is left to sync; it must not carry over to
            // batches submitted later.
            if shared.jobs.isEmpty && !shared.deferred { shared.syncRequested = false }
            condition.broadcast()
        }
        shared.finished = true
        condition.broadcast()
        condition.unlock()
    }

    /// Queues a batch (and the alerts raised by it), received at `receivedAtMs` (monotonic),
    /// to be stored.
    func submit(_ incoming: [IncomingMessage], alerts: [AlertRecord], receivedAtMs: Int64 = 0) {
        shared.condition.lock()
        shared.jobs.append((incoming, alerts, receivedAtMs))
        shared.condition.broadcast()
        shared.condition.unlock()
    }

    /// Batches submitted whose outcome has not been handed over: queued, being stored, or
    /// stored but not yet synced.
    var pending: Int {
        shared.condition.lock()
        defer { shared.condition.unlock() }
        return shared.jobs.count + (shared.busy ? 1 : 0) + shared.unsynced.count
    }

    /// Outcomes handed over since the last call (a failure at once, a stored batch once it is
    /// synced; in submission order otherwise); does not wait.
    func takeOutcomes() -> [Outcome] {
        shared.condition.lock()
        defer { shared.condition.unlock() }
        return takeLocked()
    }

    /// Waits until the worker has stored every queued batch (without syncing them), so that
    /// the next one can be submitted while at most one is held decoded.
    func waitForRoom() -> [Outcome] {
        shared.condition.lock()
        defer { shared.condition.unlock() }
        while shared.busy || !shared.jobs.isEmpty { shared.condition.wait() }
        return takeLocked()
    }

    /// Waits until every queued batch is stored and synced; the store is then the caller's
    /// until it submits again.
    func waitIdle() -> [Outcome] {
        shared.condition.lock()
        defer { shared.condition.unlock() }
        if shared.busy || !shared.jobs.isEmpty || shared.deferred {
            shared.syncRequested = true
            shared.condition.broadcast()
        }
        while shared.busy || !shared.jobs.isEmpty || shared.deferred { shared.condition.wait() }
        return takeLocked()
    }

    /// Lets batches be stored again after a failure (call once idle, after dropping the connection).
    func clearFailure() {
        shared.condition.lock()
        shared.failed = false
        shared.condition.unlock()
    }

    private func takeLocked() -> [Outcome] {
        let outcomes = shared.outcomes
        shared.outcomes.removeAll()
        return outcomes
    }

    /// Stores and syncs the queued batches and ends the thread.
    func stop() {
        shared.condition.lock()
        shared.stopping = true
        shared.condition.broadcast()
        while !shared.finished { shared.condition.wait() }
        shared.condition.unlock()
    }
}
