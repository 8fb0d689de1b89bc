import Cryptography
public import Sealing
import SQLite
import Telemetry
public import Transparency

/// How this vault seals: the gateway id written in batch headers and the batch policy.
public struct SealingConfiguration: Sendable {
    public var gatewayID: String
    public var policy: BatchPolicy
    public var configVersion: String

    public init(gatewayID: String, policy: BatchPolicy = .bedsideDefault, configVersion: String = "vitalgate-1") {
        self.gatewayID = gatewayID
        self.policy = policy
        self.configVersion = configVersion
    }

    /// The embedded log's origin line (also the log key's name).
    public var origin: String { "vitalgate.gateway/\(gatewayID)" }
}

/// In-memory sealing state of an open vault (the database is the source of truth).
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

extension Vault {
    /// The log key: derived from the identity seed (domain-separated), so the key file stays one secret.
    static func logKey(from seed: [UInt8]) throws(VaultError) -> Ed25519.PrivateKey {
        do { return try Ed25519.PrivateKey(rawRepresentation: SHA256.hash(Array("vitalgate-log-key-v1".utf8) + seed)) } catch {
            throw VaultError(.crypto, "cannot derive the log key", underlying: error)
        }
    }

    var identityKey: Ed25519.PrivateKey {
        get throws(VaultError) {
            do { return try Ed25519.PrivateKey(rawRepresentation: keys.signingKeySeed) } catch {
                throw VaultError(.crypto, "the identity key in the key file is invalid", underlying: error)
            }
        }
    }

    /// Turns sealing on: readings stored from now on are sealed in signed batches, and readings a
    /// crash left unsealed are sealed at once (`recovery`). Returns the number of batches sealed.
    @discardableResult
    public func enableSealing(_ configuration: SealingConfiguration, now: Int64) throws(VaultError) -> Int {
        let identity = try identityKey
        commitmentCache.invalidate()  // rows stored until now were not recorded in it
        let logSigner: NoteSigner
        do { logSigner = try NoteSigner(name: configuration.origin, privateKey: try Self.logKey(from: keys.signingKeySeed)) } catch {
            throw VaultError(.crypto, "cannot create the log signer", underlying: error)
        }
        let log = try logStore().frontier()
        let (lastHeader, lastSealedID, checkpoint, pending) = try read {
            () throws -> (BatchHeader?, Int64, String?, Int) in
            let last = try db.query("SELECT header, last_id FROM batches ORDER BY seq DESC LIMIT 1").first
            let lastID = last?[1].integerValue ?? 0
            let note = try db.query("SELECT note FROM checkpoints ORDER BY size DESC LIMIT 1").first?.first?.textValue
            let pending = try db.query("SELECT count(*) FROM readings WHERE id > ? AND commitment IS NOT NULL",
                                       [.integer(lastID)]).first?.first?.integerValue
            return (try last?[0].blobValue.map { try BatchHeader(encoded: $0) }, lastID, note, Int(pending ?? 0))
        }
        sealing = SealingState(
            configuration: configuration, accumulator: BatchAccumulator(policy: configuration.policy),
            sealer: BatchSealer(gatewayID: configuration.gatewayID, configVersion: configuration.configVersion,
                                identityKey: identity, after: lastHeader),
            log: log, lastSealedID: lastSealedID, logSigner: logSigner, latestCheckpoint: checkpoint)
        return try drive(.recovered(pending: pending, at: now), now: now)
    }

    /// Feeds the batch timer; seals what is due. Returns the number of batches sealed.
    @discardableResult
    public func sealingTick(now: Int64) throws(VaultError) -> Int {
        try drive(.tick(at: now), now: now)
    }

    /// Seals everything still open (clean shutdown).
    @discardableResult
    public func sealAll(now: Int64) throws(VaultError) -> Int {
        try drive(.shutdown(at: now), now: now)
    }

    /// The latest signed checkpoint (C2SP signed note), if any batch was sealed.
    public var latestCheckpoint: String? { sealing?.latestCheckpoint }

    /// What an auditor pins to verify this gateway's bundles offline (and, optionally, the
    /// witnesses and how many of them must have cosigned).
    public func trustAnchors(gatewayID: String, witnesses: [VerifierKey] = [], minimumCosignatures: Int = 0)
        throws(VaultError) -> TrustAnchors {
        let configuration = sealing?.configuration ?? SealingConfiguration(gatewayID: gatewayID)
        do {
            let signer = try NoteSigner(name: configuration.origin, privateKey: try Self.logKey(from: keys.signingKeySeed))
            return try TrustAnchors(gatewayKey: try identityKey.publicKey, gatewayID: configuration.gatewayID,
                                    logOrigin: configuration.origin, logKey: signer.verifierKey,
                                    witnessKeys: witnesses, minimumCosignatures: minimumCosignatures)
        } catch {
            throw VaultError(.crypto, "cannot build the trust anchors", underlying: error)
        }
    }

    /// The log's C2SP verifier key for `gatewayID`, derived from the key file (no vault needed).
    public static func logVerifierKey(keys: any KeyStore, gatewayID: String) throws(VaultError) -> VerifierKey {
        do {
            return try NoteSigner(name: SealingConfiguration(gatewayID: gatewayID).origin,
                                  privateKey: try logKey(from: keys.signingKeySeed)).verifierKey
        } catch {
            throw VaultError(.crypto, "cannot derive the log verifier key", underlying: error)
        }
    }

    /// Puts new batch limits in force for the running agent (a fleet configuration change). The
    /// open batch carries over and closes under the new limits.
    public func updateSealingPolicy(_ policy: BatchPolicy) {
        sealing?.configuration.policy = policy
        sealing?.accumulator.changePolicy(policy)
    }

    /// Called inside the store's transaction once its readings are inserted (or, while syncing
    /// is deferred, in the transaction of `syncDeferred()`): feeds them to the accumulator and
    /// seals the batches they close in the same transaction (one commit, and with
    /// `synchronous = full` one fsync, instead of two), with one signed checkpoint for the log
    /// as the transaction leaves it (DECISIONS 25: no other connection could see the
    /// intermediate ones). The sealing work runs under a savepoint, so if it fails the readings
    /// still commit, unsealed, and are sealed later. Returns the state to install once the
    /// transaction has committed.
    /// - Throws: only if the savepoint itself cannot be opened or rolled back (the database is
    ///   unusable); the store's transaction must then not commit.
    func sealWithinStore(_ count: Int, at time: Int64) throws -> SealingState? {
        guard var state = sealing, count > 0 else { return nil }
        let closes = state.accumulator.commit(count, at: time).filter { $0.count > 0 }
        guard !closes.isEmpty else { return state }
        var sealed = state
        try db.execute("SAVEPOINT seal")
        do {
            var grown = false
            for (reason, size) in closes {
                if try sealBatchRows(&sealed, count: size, reason: reason, now: time) { grown = true }
            }
            if grown { try signCheckpoint(&sealed, now: time) }
            try db.execute("RELEASE seal")
            state = sealed
        } catch {
            try db.execute("ROLLBACK TO seal; RELEASE seal")
            sealingFailures += 1
            // Every unsealed row, these readings included, is sealed at the next tick.
            resynchronise(&state, now: time)
        }
        return state
    }

    @discardableResult
    private func drive(_ event: BatchAccumulator.Event, now: Int64) throws(VaultError) -> Int {
        guard sealing != nil else { return 0 }
        var sealed = 0
        if sealing!.retryPending {
            // Seal every unsealed row in recovery batches, then carry on with a clean accumulator.
            let pending = try read {
                try db.query("SELECT count(*) FROM readings WHERE id > ? AND commitment IS NOT NULL",
                             [.integer(sealing!.lastSealedID)]).first?.first?.integerValue ?? 0
            }
            sealing!.accumulator = BatchAccumulator(policy: sealing!.configuration.policy)
            sealing!.retryPending = false
            sealed += try drive(.recovered(pending: Int(pending), at: now), now: now)
        }
        let actions = sealing!.accumulator.handle(event)
        for action in actions {
            guard case .close(let reason, let count) = action, count > 0, var state = sealing else { continue }
            do {
                try write {
                    if try sealBatchRows(&state, count: count, reason: reason, now: now) {
                        try signCheckpoint(&state, now: now)
                    }
                }
                sealing = state
                sealed += 1
            } catch {
                guard var current = sealing else { throw error }
                let pending = resynchronise(&current, now: now)
                sealing = current
                throw VaultError(.storage, "cannot seal a batch (\(pending) readings wait)", underlying: error)
            }
        }
        return sealed
    }

    /// After a failed seal the rows stay unsealed: restart the accumulator (later batches take
    /// the oldest unsealed rows first). Returns how many readings wait.
    @discardableResult
    private func resynchronise(_ state: inout SealingState, now: Int64) -> Int64 {
        state.accumulator = BatchAccumulator(policy: state.configuration.policy)
        state.retryPending = true
        return (try? db.query("SELECT count(*) FROM readings WHERE id > ? AND commitment IS NOT NULL",
                              [.integer(state.lastSealedID)]))?.first?.first?.integerValue ?? 0
    }

    /// Seals the oldest `count` unsealed readings: batch row, log leaf and nodes (the caller
    /// then signs a checkpoint). Call inside a transaction; `state` follows the rows, so callers
    /// pass a copy and keep it only once the rows are committed. Returns false if there was no
    /// unsealed reading (nothing was written).
    private func sealBatchRows(_ state: inout SealingState, count: Int, reason: BatchAccumulator.CloseReason,
                               now: Int64) throws -> Bool {
        commitmentCache.dropSealed(through: sealing?.lastSealedID ?? 0)  // the committed state's
        let entries: [BatchEntry]
        let firstID: Int64, lastID: Int64
        if let cached = commitmentCache.batch(after: state.lastSealedID, count: count) {
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
            checkpoint: try Checkpoint(origin: state.configuration.origin, size: state.log.size,
                                       rootHash: state.log.rootHash),
            logSigner: state.logSigner)
        let text = String(decoding: checkpoint.serialized, as: UTF8.self)
        try db.cached("INSERT INTO checkpoints (size, note, created_at) VALUES (?, ?, ?)")
            .run(.integer(Int64(state.log.size)), .text(text), .integer(now))
        state.latestCheckpoint = text
    }
}
