import Cryptography
public import Sealing
import SQLite
import Telemetry
import Transparency

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
    var log: MerkleTree
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
        let (lastHeader, leaves, checkpoint, pending) = try read { () throws -> (BatchHeader?, [[UInt8]], String?, Int) in
            let last = try db.query("SELECT header FROM batches ORDER BY seq DESC LIMIT 1").first?.first?.blobValue
            let leaves = try db.query("SELECT header_hash FROM log_leaves ORDER BY idx").compactMap { $0.first?.blobValue }
            let note = try db.query("SELECT note FROM checkpoints ORDER BY size DESC LIMIT 1").first?.first?.textValue
            let pending = try db.query(
                "SELECT count(*) FROM readings WHERE batch_seq IS NULL AND commitment IS NOT NULL").first?.first?.integerValue
            return (try last.map { try BatchHeader(encoded: $0) }, leaves, note, Int(pending ?? 0))
        }
        var log = MerkleTree()
        for leaf in leaves { log.append(leaf: leaf) }
        sealing = SealingState(
            configuration: configuration, accumulator: BatchAccumulator(policy: configuration.policy),
            sealer: BatchSealer(gatewayID: configuration.gatewayID, configVersion: configuration.configVersion,
                                identityKey: identity, after: lastHeader),
            log: log, logSigner: logSigner, latestCheckpoint: checkpoint)
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

    /// What an auditor pins to verify this gateway's bundles offline.
    public func trustAnchors(gatewayID: String) throws(VaultError) -> TrustAnchors {
        let configuration = sealing?.configuration ?? SealingConfiguration(gatewayID: gatewayID)
        do {
            let signer = try NoteSigner(name: configuration.origin, privateKey: try Self.logKey(from: keys.signingKeySeed))
            return try TrustAnchors(gatewayKey: try identityKey.publicKey, gatewayID: configuration.gatewayID,
                                    logOrigin: configuration.origin, logKey: signer.verifierKey)
        } catch {
            throw VaultError(.crypto, "cannot build the trust anchors", underlying: error)
        }
    }

    /// Called after a committed `store` with the readings it stored.
    func readingsCommitted(_ count: Int, at time: Int64) throws(VaultError) {
        guard sealing != nil else { return }
        for _ in 0..<count { try drive(.readingCommitted(at: time), now: time) }
    }

    @discardableResult
    private func drive(_ event: BatchAccumulator.Event, now: Int64) throws(VaultError) -> Int {
        guard var state = sealing else { return 0 }
        var sealed = 0
        for action in state.accumulator.handle(event) {
            guard case .close(let reason, let count) = action, count > 0 else { continue }
            do {
                try sealBatch(&state, count: count, reason: reason, now: now)
                sealed += 1
            } catch {
                // The rows stay unsealed; resynchronise the accumulator with the database.
                sealing = state
                let pending = (try? read { try db.query(
                    "SELECT count(*) FROM readings WHERE batch_seq IS NULL AND commitment IS NOT NULL") })?
                    .first?.first?.integerValue ?? 0
                state.accumulator = BatchAccumulator(policy: state.configuration.policy)
                _ = state.accumulator.handle(.recovered(pending: 0, at: now))
                sealing = state
                throw VaultError(.storage, "cannot seal a batch (\(pending) readings wait)", underlying: error)
            }
        }
        sealing = state
        return sealed
    }

    /// Seals the oldest `count` unsealed readings in one transaction: batch row, reading
    /// positions, log leaf and a new signed checkpoint.
    private func sealBatch(_ state: inout SealingState, count: Int, reason: BatchAccumulator.CloseReason,
                           now: Int64) throws {
        var sealer = state.sealer
        var log = state.log
        var checkpointText = ""
        try write {
            let rows = try db.query("""
                SELECT id, commitment, received_at FROM readings
                WHERE batch_seq IS NULL AND commitment IS NOT NULL ORDER BY id LIMIT ?
                """, [.integer(Int64(count))])
            guard !rows.isEmpty else { return }
            let entries = try rows.map { row in
                BatchEntry(commitment: try Commitment(bytes: row[1].blobValue ?? []), receivedAt: row[2].integerValue ?? 0)
            }
            let batch = try sealer.seal(entries)
            let header = batch.signedHeader.header
            try db.cached("""
                INSERT INTO batches (seq, header, signature, hash, close_reason, sealed_at) VALUES (?, ?, ?, ?, ?, ?)
                """).run(.integer(Int64(header.sequence)), .blob(header.encoded), .blob(batch.signedHeader.signature),
                         .blob(header.hash), .text(reason.rawValue), .integer(now))
            let place = try db.cached("UPDATE readings SET batch_seq = ?, batch_leaf = ? WHERE id = ?")
            for (leaf, row) in rows.enumerated() {
                try place.run(.integer(Int64(header.sequence)), .integer(Int64(leaf)), row[0])
            }
            try db.cached("INSERT INTO log_leaves (idx, header_hash) VALUES (?, ?)")
                .run(.integer(Int64(log.count)), .blob(header.hash))
            log.append(leaf: header.hash)
            let checkpoint = try SignedCheckpoint(
                checkpoint: try Checkpoint(origin: state.configuration.origin, size: log.count, rootHash: log.rootHash),
                logSigner: state.logSigner)
            checkpointText = String(decoding: checkpoint.serialized, as: UTF8.self)
            try db.cached("INSERT INTO checkpoints (size, note, created_at) VALUES (?, ?, ?)")
                .run(.integer(Int64(log.count)), .text(checkpointText), .integer(now))
        }
        // Only after the commit: the in-memory chain and log follow the database.
        state.sealer = sealer
        state.log = log
        if !checkpointText.isEmpty { state.latestCheckpoint = checkpointText }
    }
}
