import Foundation
import Vault

/// Stores batches on a thread of its own, so that the ingest thread can receive and decode
/// the next batch while one is being committed.
///
/// **Who may touch the vault.** The worker thread uses the vault only while it runs a job.
/// The ingest thread may use it directly (sealing ticks, state saves, fleet documents) only
/// after `waitIdle()` has returned and before its next `submit`: the condition's lock orders
/// the two, so the vault is never used by both threads at once.
///
/// After a batch fails, the batches queued behind it are not stored (their outcomes are
/// `skipped`): the caller drops the connection so that the broker redelivers all of them, and
/// calls `clearFailure()` once idle.
final class StoreWorker {
    struct Outcome {
        var incoming: [IncomingMessage]
        var result: Result<StoreResult, VaultError>
        /// Not attempted: an earlier batch failed.
        var skipped = false
    }

    /// State shared with the thread.
    private final class Shared: @unchecked Sendable {
        // @unchecked Sendable is safe: every field is read and written only with `condition`
        // locked, and the vault is used by one thread at a time under the rule above.
        let condition = NSCondition()
        let vault: Vault
        var jobs: [(incoming: [IncomingMessage], alerts: [AlertRecord])] = []
        var outcomes: [Outcome] = []
        var busy = false
        var failed = false
        var stopping = false
        var finished = false

        init(vault: Vault) { self.vault = vault }
    }

    private let shared: Shared

    init(vault: Vault) {
        shared = Shared(vault: vault)
        let thread = Thread { [shared] in Self.work(shared) }
        thread.name = "vitalgate-store"
        thread.start()
    }

    deinit { stop() }

    private static func work(_ shared: Shared) {
        let condition = shared.condition
        condition.lock()
        while true {
            while shared.jobs.isEmpty && !shared.stopping { condition.wait() }
            if shared.jobs.isEmpty { break }
            let job = shared.jobs.removeFirst()
            let skip = shared.failed
            shared.busy = true
            condition.unlock()
            let result: Result<StoreResult, VaultError> = skip
                ? .failure(VaultError(.storage, "not stored: an earlier batch of this connection failed"))
                : Result { () throws(VaultError) in try shared.vault.store(job.incoming, alerts: job.alerts) }
            condition.lock()
            shared.busy = false
            if case .failure = result { shared.failed = true }
            shared.outcomes.append(Outcome(incoming: job.incoming, result: result, skipped: skip))
            condition.broadcast()
        }
        shared.finished = true
        condition.broadcast()
        condition.unlock()
    }

    /// Queues a batch (and the alerts raised by it) to be stored in one transaction.
    func submit(_ incoming: [IncomingMessage], alerts: [AlertRecord]) {
        shared.condition.lock()
        shared.jobs.append((incoming, alerts))
        shared.condition.broadcast()
        shared.condition.unlock()
    }

    /// Batches queued or being stored.
    var pending: Int {
        shared.condition.lock()
        defer { shared.condition.unlock() }
        return shared.jobs.count + (shared.busy ? 1 : 0)
    }

    /// Outcomes of the batches finished since the last call, in submission order; does not wait.
    func takeOutcomes() -> [Outcome] {
        shared.condition.lock()
        defer { shared.condition.unlock() }
        return takeLocked()
    }

    /// Waits until at least one more batch has finished (or nothing is pending).
    func waitForOutcome() -> [Outcome] {
        shared.condition.lock()
        defer { shared.condition.unlock() }
        while shared.outcomes.isEmpty && (shared.busy || !shared.jobs.isEmpty) { shared.condition.wait() }
        return takeLocked()
    }

    /// Waits until every queued batch has finished; the vault is then the caller's until it
    /// submits again.
    func waitIdle() -> [Outcome] {
        shared.condition.lock()
        defer { shared.condition.unlock() }
        while shared.busy || !shared.jobs.isEmpty { shared.condition.wait() }
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

    /// Finishes the queued batches and ends the thread.
    func stop() {
        shared.condition.lock()
        shared.stopping = true
        shared.condition.broadcast()
        while !shared.finished { shared.condition.wait() }
        shared.condition.unlock()
    }
}
