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

    func readingsCommitted(_ count: Int, at time: Int64) throws(VaultError) {
        guard sealing != nil else { return }
        for _ in 0..<count { try drive(.readingCommitted(at: time), now: time) }
    }

    @discardableResult
    private func drive(_ event: BatchAccumulator.Event, now: Int64) throws(VaultError) -> Int {
        guard sealing != nil else { return 0 }
        // In place: this runs once per reading, and copying the state out and back cost more
        // than the accumulator's work.
        let actions = sealing!.accumulator.handle(event)
        var sealed = 0
        for action in actions {
            guard case .close(let reason, let count) = action, count > 0, var state = sealing else { continue }
            do {
                try sealBatch(&state, count: count, reason: reason, now: now)
                sealing = state
                sealed += 1
            } catch {
                // The rows stay unsealed; resynchronise the accumulator with the database.
                let pending = (try? read { try db.query(
                    "SELECT count(*) FROM readings WHERE id > ? AND commitment IS NOT NULL", [.integer(state.lastSealedID)]) })?
                    .first?.first?.integerValue ?? 0
                state.accumulator = BatchAccumulator(policy: state.configuration.policy)
                _ = state.accumulator.handle(.recovered(pending: 0, at: now))
                sealing = state
                throw VaultError(.storage, "cannot seal a batch (\(pending) readings wait)", underlying: error)
            }
        }
        return sealed
    }

    /// Seals the oldest `count` unsealed readings in one transaction: batch row, reading
    /// positions, log leaf and a new signed checkpoint.
    private func sealBatch(_ state: inout SealingState, count: Int, reason: BatchAccumulator.CloseReason,
                           now: Int64) throws {
        var sealer = state.sealer
        var log = state.log
        var lastSealedID = state.lastSealedID
        var checkpointText = ""
        try write {
            let rows = try db.query("""
                SELECT id, commitment, received_at FROM readings
                WHERE id > ? AND commitment IS NOT NULL ORDER BY id LIMIT ?
                """, [.integer(state.lastSealedID), .integer(Int64(count))])
            guard let firstID = rows.first?[0].integerValue, let lastID = rows.last?[0].integerValue else { return }
            // Readings from before sealing existed (no commitment) are skipped; the sealed range
            // must still be contiguous among sealable rows.
            let entries = try rows.map { row in
                BatchEntry(commitment: try Commitment(bytes: row[1].blobValue ?? []), receivedAt: row[2].integerValue ?? 0)
            }
            let batch = try sealer.seal(entries)
            let header = batch.signedHeader.header
            try db.cached("""
                INSERT INTO batches (seq, first_id, last_id, header, signature, hash, close_reason, sealed_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                """).run(.integer(Int64(header.sequence)), .integer(firstID), .integer(lastID), .blob(header.encoded),
                         .blob(batch.signedHeader.signature), .blob(header.hash), .text(reason.rawValue), .integer(now))
            lastSealedID = lastID
            try VaultLogStore(db: db).append(headerHash: header.hash, to: &log)
            let checkpoint = try SignedCheckpoint(
                checkpoint: try Checkpoint(origin: state.configuration.origin, size: log.size, rootHash: log.rootHash),
                logSigner: state.logSigner)
            checkpointText = String(decoding: checkpoint.serialized, as: UTF8.self)
            try db.cached("INSERT INTO checkpoints (size, note, created_at) VALUES (?, ?, ?)")
                .run(.integer(Int64(log.size)), .text(checkpointText), .integer(now))
        }
        // Only after the commit: the in-memory chain and log follow the database.
        state.sealer = sealer
        state.log = log
        state.lastSealedID = lastSealedID
        if !checkpointText.isEmpty { state.latestCheckpoint = checkpointText }
    }
}
