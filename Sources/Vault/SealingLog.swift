import Cryptography
import Sealing
import SQLite
import Transparency

/// The one owner of sealing in a vault: the batch accumulator, the signed batch chain, the
/// log's frontier and checkpoints, the commitments not yet sealed, and the deferred sync.
///
/// **One trigger.** Every batch closes through ``handle(_:)``: its accumulator decides, from
/// what happened (records committed, a tick of the clock, a clean stop, a recovery), which
/// batches close; ``seal(_:now:)`` writes them. The reading store only says that records were
/// inserted (``recordsInserted(_:at:)`` inside its transaction, ``committed(_:)`` after it)
/// and what their commitments are (``recordInserted(id:commitment:receivedAt:)``); it knows
/// nothing of batches, the log or checkpoints.
///
/// **Sealing waits for durability.** A checkpoint may leave the gateway (a retained MQTT
/// message, a ledger anchor) as soon as another connection can read it, so it must never name
/// a batch a power cut could take back. Records committed while syncing is deferred are sealed
/// by ``syncDeferred()``, in a transaction committed at the configured level, which syncs them.
///
/// Not thread-safe: used by its vault's thread.
final class SealingLog {
    let db: Connection
    /// The `synchronous` level the vault was opened with.
    let synchronous: Connection.SynchronousMode
    /// Present once `enable` was called.
    var state: SealingState?
    /// Commitments inserted and not yet sealed, while sealing is on (so batches are sealed
    /// without reading them back).
    private var cache = CommitmentCache()
    /// Present while syncing is deferred (SealingLog+DeferredSync).
    var deferred: DeferredSync?
    /// Batches sealed from the cache rather than read back (for tests).
    private(set) var batchesSealedFromCache = 0
    /// Sealing attempts that failed after a committed store (rows were left for the next try).
    var failures = 0

    init(db: Connection, synchronous: Connection.SynchronousMode) {
        self.db = db
        self.synchronous = synchronous
    }

    var isEnabled: Bool { state != nil }
    var configuration: SealingConfiguration? { state?.configuration }
    /// The latest signed checkpoint (C2SP signed note), if any batch was sealed.
    var latestCheckpoint: String? { state?.latestCheckpoint }

    // MARK: What the store tells it

    /// A sealable record (a reading, an alert, an event) was inserted by the transaction in progress.
    func recordInserted(id: Int64, commitment: Commitment, receivedAt: Int64) {
        guard state != nil else { return }
        cache.append(id: id, entry: BatchEntry(commitment: commitment, receivedAt: receivedAt))
    }

    /// Rows the cache may name were rolled back, or another connection inserted rows it does not
    /// hold: it restarts at the next record inserted.
    func forgetInsertedRecords() { cache.invalidate() }

    /// What a write transaction's records do to the log, installed once it commits.
    struct Pending {
        fileprivate var sealed: SealingState?
        fileprivate var deferredCount = 0
        fileprivate var at: Int64 = 0
    }

    /// `count` sealable records were inserted by the write transaction in progress (its own and
    /// any another connection inserted). Call inside it, then ``committed(_:)`` once it has
    /// committed. While syncing is deferred they wait for ``syncDeferred()``; otherwise the
    /// batches they close are sealed in this same transaction (one commit, and at `synchronous
    /// = full` one fsync, instead of two; DECISIONS 25).
    /// - Throws: only if the database is unusable (the transaction must then not commit).
    func recordsInserted(_ count: Int, at time: Int64) throws -> Pending {
        guard state != nil, count > 0 else { return Pending() }
        if deferred != nil { return Pending(deferredCount: count, at: time) }
        return Pending(sealed: try sealWithinTransaction(.committed(count, at: time), now: time))
    }

    /// The transaction of a ``recordsInserted(_:at:)`` committed: the log follows the database.
    func committed(_ pending: Pending) {
        if let sealed = pending.sealed { state = sealed }
        if pending.deferredCount > 0 { deferred?.add(pending.deferredCount, at: pending.at) }
    }

    // MARK: The trigger

    /// What closes batches.
    enum Trigger {
        /// Records were committed.
        case committed(Int, at: Int64)
        /// The clock: batches due by age close.
        case tick(at: Int64)
        /// A clean stop: the open batch closes.
        case shutdown(at: Int64)
        /// Records left unsealed (by a crash or a failed seal) are sealed in recovery batches.
        case recovered(pending: Int, at: Int64)
    }

    /// The batches `trigger` closes, from the accumulator: the one place that decides.
    private func closes(_ trigger: Trigger, in state: inout SealingState) -> [(reason: BatchAccumulator.CloseReason, count: Int)] {
        let closes: [(reason: BatchAccumulator.CloseReason, count: Int)]
        switch trigger {
        case .committed(let count, let time):
            closes = state.accumulator.commit(count, at: time)
        case .tick(let time):
            closes = Self.closeActions(state.accumulator.handle(.tick(at: time)))
        case .shutdown(let time):
            closes = Self.closeActions(state.accumulator.handle(.shutdown(at: time)))
        case .recovered(let pending, let time):
            closes = Self.closeActions(state.accumulator.handle(.recovered(pending: pending, at: time)))
        }
        return closes.filter { $0.count > 0 }
    }

    private static func closeActions(_ actions: [BatchAccumulator.Action]) -> [(reason: BatchAccumulator.CloseReason, count: Int)] {
        actions.compactMap { if case .close(let reason, let count) = $0 { (reason, count) } else { nil } }
    }

    /// Handles a trigger outside any transaction: each batch it closes is sealed in a write
    /// transaction of its own, with its checkpoint. A seal that was left to retry goes first.
    /// Returns the number of batches sealed.
    @discardableResult
    func handle(_ trigger: Trigger, now: Int64) throws(VaultError) -> Int {
        guard state != nil else { return 0 }
        var sealed = 0
        if state!.retryPending {
            // Seal every unsealed row in recovery batches, then carry on with a clean accumulator.
            let pending = try unsealedCount(after: state!.lastSealedID)
            state!.accumulator = BatchAccumulator(policy: state!.configuration.policy)
            state!.retryPending = false
            sealed += try handle(.recovered(pending: pending, at: now), now: now)
        }
        for (reason, count) in closes(trigger, in: &state!) {
            guard var next = state else { continue }
            do {
                try db.transaction(.immediate) {
                    if try seal(&next, count: count, reason: reason, now: now) { try signCheckpoint(&next, now: now) }
                }
                state = next
                sealed += 1
            } catch {
                cache.invalidate()
                let pending = resynchronise(&state!)
                throw VaultError(.storage, "cannot seal a batch (\(pending) readings wait)", underlying: error)
            }
        }
        return sealed
    }

    /// Handles a trigger inside the caller's transaction, under a savepoint: if sealing fails
    /// the caller's rows still commit, unsealed, and are sealed at the next tick. Returns the
    /// state to install once the transaction has committed.
    private func sealWithinTransaction(_ trigger: Trigger, now: Int64) throws -> SealingState? {
        guard var state else { return nil }
        let closes = closes(trigger, in: &state)
        guard !closes.isEmpty else { return state }
        var sealed = state
        try db.execute("SAVEPOINT seal")
        do {
            var grown = false
            for (reason, count) in closes {
                if try seal(&sealed, count: count, reason: reason, now: now) { grown = true }
            }
            if grown { try signCheckpoint(&sealed, now: now) }
            try db.execute("RELEASE seal")
            return sealed
        } catch {
            try db.execute("ROLLBACK TO seal; RELEASE seal")
            failures += 1
            resynchronise(&state)  // every unsealed row, these included, is sealed at the next tick
            return state
        }
    }

    // MARK: Starting and steering

    /// Turns sealing on: records inserted from now on are sealed in signed batches, and records a
    /// crash left unsealed are sealed at once (`recovery`). Returns the number of batches sealed.
    func enable(_ configuration: SealingConfiguration, identityKey: Ed25519.PrivateKey, logSigner: NoteSigner,
                log: MerkleFrontier, now: Int64) throws(VaultError) -> Int {
        cache.invalidate()  // rows stored until now were not recorded in it
        let lastHeader: BatchHeader?, lastSealedID: Int64, checkpoint: String?
        do {
            let last = try db.query("SELECT header, last_id FROM batches ORDER BY seq DESC LIMIT 1").first
            lastSealedID = last?[1].integerValue ?? 0
            checkpoint = try db.query("SELECT note FROM checkpoints ORDER BY size DESC LIMIT 1").first?.first?.textValue
            lastHeader = try last?[0].blobValue.map { try BatchHeader(encoded: $0) }
        } catch {
            throw VaultError(.storage, "cannot read the last sealed batch", underlying: error)
        }
        let pending = try unsealedCount(after: lastSealedID)
        state = SealingState(
            configuration: configuration, accumulator: BatchAccumulator(policy: configuration.policy),
            sealer: BatchSealer(gatewayID: configuration.gatewayID, configVersion: configuration.configVersion,
                                identityKey: identityKey, after: lastHeader),
            log: log, lastSealedID: lastSealedID, logSigner: logSigner, latestCheckpoint: checkpoint)
        return try handle(.recovered(pending: pending, at: now), now: now)
    }

    /// Puts new batch limits in force; the open batch carries over and closes under them.
    func changePolicy(_ policy: BatchPolicy) {
        state?.configuration.policy = policy
        state?.accumulator.changePolicy(policy)
    }

    /// A witness cosigned the checkpoint of `size`: if it is the newest, it is published cosigned.
    func checkpointCosigned(size: UInt64, note: String) {
        guard state?.log.size == size else { return }
        state?.latestCheckpoint = note
    }

    // MARK: Sealing

    /// Seals the oldest `count` unsealed records: batch row, log leaf and nodes (the caller then
    /// signs a checkpoint). Call inside a transaction; `state` follows the rows, so callers pass
    /// a copy and keep it only once the rows are committed. Returns false if there was no
    /// unsealed record (nothing was written).
    private func seal(_ state: inout SealingState, count: Int, reason: BatchAccumulator.CloseReason,
                      now: Int64) throws -> Bool {
        cache.dropSealed(through: self.state?.lastSealedID ?? 0)  // the committed state's
        let entries: [BatchEntry]
        let firstID: Int64, lastID: Int64
        if let cached = cache.batch(after: state.lastSealedID, count: count) {
            (entries, firstID, lastID) = (Array(cached.entries), cached.first, cached.last)
            batchesSealedFromCache += 1
        } else {
            let rows = try db.cached("""
                SELECT id, commitment, received_at FROM readings
                WHERE id > ? AND commitment IS NOT NULL ORDER BY id LIMIT ?
                """).allRows(.integer(state.lastSealedID), .integer(Int64(count)))
            guard let first = rows.first?[0].integerValue, let last = rows.last?[0].integerValue else { return false }
            // Readings from before sealing existed (no commitment) are skipped; the sealed
            // range must still be contiguous among sealable rows.
            entries = try rows.map { row in
                BatchEntry(commitment: try Commitment(bytes: row[1].blobValue ?? []), receivedAt: row[2].integerValue ?? 0)
            }
            (firstID, lastID) = (first, last)
        }
        let batch = try state.sealer.seal(entries)
        let header = batch.signedHeader.header
        try db.cached("""
            INSERT INTO batches (seq, first_id, last_id, header, signature, hash, close_reason, sealed_at)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?)
            """).run(.integer(Int64(header.sequence)), .integer(firstID), .integer(lastID), .blob(header.encoded),
                     .blob(batch.signedHeader.signature), .blob(header.hash), .text(reason.rawValue), .integer(now))
        state.lastSealedID = lastID
        try VaultLogStore(db: db).append(headerHash: header.hash, to: &state.log)
        return true
    }

    /// Signs and stores a checkpoint of the log as `state` holds it (inside the transaction
    /// that sealed its newest batches).
    private func signCheckpoint(_ state: inout SealingState, now: Int64) throws {
        let checkpoint = try SignedCheckpoint(
            checkpoint: try Checkpoint(origin: state.configuration.origin, size: state.log.size, rootHash: state.log.rootHash),
            logSigner: state.logSigner)
        let text = String(decoding: checkpoint.serialized, as: UTF8.self)
        try db.cached("INSERT INTO checkpoints (size, note, created_at) VALUES (?, ?, ?)")
            .run(.integer(Int64(state.log.size)), .text(text), .integer(now))
        state.latestCheckpoint = text
    }

    /// After a failed seal the rows stay unsealed: restart the accumulator (later batches take
    /// the oldest unsealed rows first). Returns how many records wait.
    @discardableResult
    private func resynchronise(_ state: inout SealingState) -> Int {
        state.accumulator = BatchAccumulator(policy: state.configuration.policy)
        state.retryPending = true
        return (try? unsealedCount(after: state.lastSealedID)) ?? 0
    }

    private func unsealedCount(after lastSealedID: Int64) throws(VaultError) -> Int {
        do {
            let count = try db.query("SELECT count(*) FROM readings WHERE id > ? AND commitment IS NOT NULL",
                                     [.integer(lastSealedID)]).first?.first?.integerValue
            return Int(count ?? 0)
        } catch {
            throw VaultError(.storage, "cannot count the unsealed records", underlying: error)
        }
    }
}

/// In-memory sealing state of an open vault, held by its `SealingLog` (the database is the source of truth).
struct SealingState {
    var configuration: SealingConfiguration
    var accumulator: BatchAccumulator
    var sealer: BatchSealer
    /// The log's right edge (O(log n) hashes); the log itself is in the vault (`VaultLogStore`).
    var log: MerkleFrontier
    /// The last reading id in a sealed batch (0 before the first batch).
    var lastSealedID: Int64
    let logSigner: NoteSigner
    var latestCheckpoint: String?
    /// A seal failed: rows above `lastSealedID` are not all counted by the accumulator, so the
    /// next tick or stop seals every unsealed row (as after a crash) before anything else.
    var retryPending = false
}
