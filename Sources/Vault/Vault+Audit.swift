import Cryptography
public import Sealing
import SQLite
import Telemetry
import Transparency

/// One problem `audit` found, located by table and row.
public struct AuditFinding: Sendable, Equatable, CustomStringConvertible {
    public var table: String
    /// Row id (reading id, batch sequence, log index or checkpoint size).
    public var row: Int64
    public var problem: String

    public var description: String { "\(table) \(row): \(problem)" }
}

/// The result of re-deriving everything sealed in the vault.
public struct AuditReport: Sendable {
    public var readingsChecked = 0
    public var readingsErased = 0
    /// Readings whose content was pruned (their tombstones checked, unless their patient was erased).
    public var readingsPruned = 0
    /// Leaves of compacted batches (their archives' tags and roots checked; sealed records among them keep their rows).
    public var readingsCompacted = 0
    public var batchesChecked = 0
    public var checkpointsChecked = 0
    /// Anchored rows whose evidence was checked.
    public var anchorsChecked = 0
    /// `patient_state` rows that were checked (rows of erased patients are not).
    public var patientStatesChecked = 0
    /// `consent_records` rows that were checked (rows of erased patients are not).
    public var consentRecordsChecked = 0
    /// `disclosures` rows checked against their sealed records, and open `disclosure_aggregates` rows.
    public var disclosuresChecked = 0
    public var findings: [AuditFinding] = []
    public var passed: Bool { findings.isEmpty }

    mutating func add(_ table: String, _ row: Int64, _ problem: String) {
        findings.append(AuditFinding(table: table, row: row, problem: problem))
    }
}

extension Vault {
    /// Re-derives every commitment (from the decrypted salt and canonical bytes), every dedupe
    /// digest, every batch root, header hash and signature, the header chain, the log leaves and
    /// every stored checkpoint (signature and root), and reports exactly which rows were altered,
    /// deleted or inserted. Readings of erased patients are checked as far as possible (they still
    /// have to be in their batch, and their digests must be the zeros the erasure left).
    /// Quarantine, alert, patient-state and consent-record ciphertexts must authenticate; anchor evidence must
    /// commit to its checkpoint and, with `anchorCheck`, verify (see `auditAnchors`). Deletion of
    /// unsealed rows, and any change to the plaintext `events` table, is not detectable.
    ///
    /// Streams the readings, the log and the anchors: memory does not grow with the vault.
    /// - Parameter anchorCheck: the ledger backends' offline check of one evidence entry against
    ///   its checkpoint's size and root (as `verify` uses it); `nil` checks structure and
    ///   commitment only.
    public func audit(gatewayID: String, anchorCheck: BundleVerifier.AnchorCheck? = nil) throws(VaultError) -> AuditReport {
        var report = AuditReport()
        func found(_ table: String, _ row: Int64, _ problem: String) { report.add(table, row, problem) }
        let identity = try identityKey.publicKey
        let origin = (sealingLog.configuration ?? SealingConfiguration(gatewayID: gatewayID)).origin
        let logVerifier: any NoteVerifier
        do {
            logVerifier = try NoteSigner(name: origin, privateKey: try Self.logKey(from: keys.signingKeySeed)).verifier
        } catch {
            throw VaultError(.crypto, "cannot derive the log key", underlying: error)
        }
        let batches = try read { try db.query("SELECT seq, first_id, last_id, header, signature, hash FROM batches ORDER BY seq") }

        // Batches: header, signature, hash column, membership and root.
        var headers: [SignedBatchHeader] = []
        var sealedThrough: Int64 = 0
        for row in batches {
            let seq = row[0].integerValue ?? -1
            let first = row[1].integerValue ?? 0, last = row[2].integerValue ?? 0
            report.batchesChecked += 1
            guard let encoded = row[3].blobValue, let header = try? BatchHeader(encoded: encoded) else {
                found("batches", seq, "header does not decode (altered)")
                continue
            }
            let signed = SignedBatchHeader(header: header, signature: row[4].blobValue ?? [])
            headers.append(signed)
            if !signed.isValid(publicKey: identity) { found("batches", seq, "header signature does not verify") }
            if row[5].blobValue != header.hash { found("batches", seq, "stored hash differs from the header's hash") }
            if try read({ try auditCompactedBatch(seq, header: header, firstID: first, lastID: last, into: &report) }) {
                sealedThrough = max(sealedThrough, last)
                continue
            }
            let members = try read {
                try db.query("SELECT id, commitment FROM readings WHERE id BETWEEN ? AND ? ORDER BY id",
                             [.integer(first), .integer(last)])
            }
            let ids = members.compactMap { $0[0].integerValue }
            let missing = Set(first...max(first, last)).subtracting(ids).sorted()
            for id in missing { found("readings", id, "deleted from batch \(seq)") }
            if ids.count > Int(header.size) + missing.count || (missing.isEmpty && ids.count != Int(header.size)) {
                found("batches", seq, "holds \(ids.count) readings, its signed header says \(header.size) (rows inserted)")
            }
            let commitments = members.compactMap { $0[1].blobValue }.compactMap { try? Commitment(bytes: $0) }
            if missing.isEmpty && commitments.count == Int(header.size) && BatchSealer.root(commitments) != header.root {
                found("batches", seq, "Merkle root of its readings' commitments differs from the signed root")
            }
            sealedThrough = max(sealedThrough, last)
        }
        try read { try auditOrphanArchives(batches: batches.count, into: &report) }
        if let broken = BatchChain.verify(headers, publicKey: identity) {
            found("batches", Int64(headers[broken.index].header.sequence), "header chain broken: \(broken.kind.rawValue)")
        }

        // Readings: each commitment re-derived from its decrypted salt and canonical bytes, and
        // each dedupe digest from the canonical bytes (zeros for an erased patient's rows: the
        // erasure scrubbed them). Streamed: one row in memory at a time.
        try read {
            let readings = try db.prepare("""
                SELECT id, patient_ref, ciphertext, commitment, digest, \(ReadingRowColumns.select) FROM readings
                WHERE id <= ? ORDER BY id
                """)
            try readings.bind(.integer(sealedThrough))
            while try readings.step() {
                let id = readings.int64(0)
                report.readingsChecked += 1
                let digest = readings.blob(4) ?? []
                let columns = ReadingRowColumns(readings, at: 5)
                if Self.isPrunedContent(readings.blob(2) ?? []) {  // retention: its tombstone is checked
                    try auditPrunedReading(id, tombstone: readings.blob(2) ?? [], into: &report)
                    continue
                }
                do throws(VaultError) {
                    let (salt, canonical) = try saltAndCanonical(id: id, columns: columns,
                                                                patientRef: readings.isNull(1) ? nil : readings.int64(1),
                                                                ciphertext: readings.blob(2) ?? [])
                    if SHA256.hash(salt + canonical) != readings.blob(3) {
                        found("readings", id, "commitment differs from SHA-256(salt ‖ canonical bytes)")
                    }
                    let expected = contentDigest(kind: columns.kind, canonical: canonical)
                    if digest != (columns.format == Self.compactFormat ? Array(expected[..<Self.compactDigestBytes]) : expected) {
                        found("readings", id, "digest differs from the keyed digest of its content")
                    }
                } catch let error where error.code == .erased {
                    report.readingsErased += 1
                    if digest != Self.scrubbedDigest {
                        found("readings", id, "digest is not the zeros its patient's erasure left (altered, or not scrubbed)")
                    }
                } catch {
                    found("readings", id, "ciphertext does not authenticate (altered or moved)")
                }
            }
        }

        // Quarantined payloads are not sealed, but their ciphertexts are bound to their row ids: an
        // altered or moved row does not authenticate. Alerts are sealed through their record (a
        // readings row, checked above); the alert row's own ciphertext is checked here.
        for row in try read({ try db.query("SELECT id, payload_ct FROM quarantine ORDER BY id") }) {
            let id = row[0].integerValue ?? -1
            if (try? AES256GCM.decrypt(try AES256GCM.EncryptedBox(combined: row[1].blobValue ?? []), key: gatewayKey,
                                    associatedData: Self.quarantineAAD(id: id))) == nil {
                found("quarantine", id, "payload ciphertext does not authenticate (altered or moved)")
            }
        }
        for row in try read({ try db.query("SELECT id, patient_ref, body_ct FROM alerts ORDER BY id") }) {
            let id = row[0].integerValue ?? -1
            guard let key = try? contentKey(patientRef: row[1].integerValue) else { continue }  // erased patient
            if (try? AES256GCM.decrypt(try AES256GCM.EncryptedBox(combined: row[2].blobValue ?? []), key: key,
                                    associatedData: Self.alertAAD(id: id))) == nil {
                found("alerts", id, "alert ciphertext does not authenticate (altered or moved)")
            }
        }
        try auditPatientStates(into: &report)
        try auditConsentRecords(into: &report)
        try auditDisclosures(into: &report)
        try auditDisclosureAggregates(into: &report)

        // The log: leaf i is batch i's header hash; every checkpoint signs the root of its size;
        // every stored interior node is the one the leaves complete. Leaves and checkpoints are
        // streamed side by side, so the log is never held in memory.
        try read {
            let leaves = try db.prepare("SELECT idx, header_hash FROM log_leaves ORDER BY idx")
            let checkpoints = try db.prepare("SELECT size, note FROM checkpoints ORDER BY size")
            let storedNode = try db.prepare("SELECT hash FROM log_nodes WHERE level = ? AND idx = ?")
            var frontier = MerkleFrontier()
            var nodes = 0
            var pendingCheckpoint = try checkpoints.step()
            func checkCheckpoints() {
                while pendingCheckpoint, UInt64(max(checkpoints.int64(0), 0)) <= frontier.size {
                    let size = checkpoints.int64(0)
                    report.checkpointsChecked += 1
                    do {
                        let verified = try SignedCheckpoint.open(Array((checkpoints.text(1) ?? "").utf8), origin: origin,
                                                                 logVerifier: logVerifier)
                        if verified.checkpoint.size != UInt64(size) {
                            found("checkpoints", size, "note is for size \(verified.checkpoint.size)")
                        } else if UInt64(size) == frontier.size, frontier.rootHash != verified.checkpoint.rootHash {
                            found("checkpoints", size, "signed root differs from the log's root at that size")
                        }
                    } catch {
                        let note = checkpoints.text(1) ?? ""
                        let noteOrigin = note.prefix { $0 != "\n" }
                        if noteOrigin != origin {
                            found("checkpoints", size, "is signed for the log \(noteOrigin), not \(origin) (another gateway id?)")
                        } else {
                            found("checkpoints", size, "does not verify under the log key")
                        }
                    }
                    pendingCheckpoint = (try? checkpoints.step()) ?? false
                }
            }
            checkCheckpoints()  // a checkpoint of size 0 would be checked here
            while try leaves.step() {
                let idx = leaves.int64(0)
                let leaf = leaves.blob(1) ?? []
                if idx != Int64(frontier.size) {
                    found("log_leaves", idx, "leaf index out of sequence (expected \(frontier.size))")
                }
                if idx < Int64(headers.count), headers[Int(idx)].header.hash != leaf {
                    found("log_leaves", idx, "differs from batch \(idx)'s header hash")
                }
                for node in frontier.append(leafHash: MerkleHasher.leafHash(leaf)) where node.position.level > 0 {
                    nodes += 1
                    if try storedNode.firstRow(.integer(Int64(node.position.level)),
                                               .integer(Int64(node.position.index)))?.first?.blobValue != node.hash {
                        found("log_nodes", Int64(node.position.index),
                              "node at level \(node.position.level) is missing or differs from the leaves' hash")
                    }
                }
                checkCheckpoints()
            }
            if frontier.size != UInt64(headers.count) {
                found("log_leaves", Int64(frontier.size), "the log has \(frontier.size) leaves for \(headers.count) batches")
            }
            while pendingCheckpoint {
                found("checkpoints", checkpoints.int64(0), "signs a size beyond the log's \(frontier.size) leaves")
                pendingCheckpoint = (try? checkpoints.step()) ?? false
            }
            let storedNodes = try db.query("SELECT count(*) FROM log_nodes").first?.first?.integerValue ?? 0
            if storedNodes != Int64(nodes) {
                found("log_nodes", storedNodes, "\(storedNodes) interior nodes stored, the leaves complete \(nodes)")
            }
        }
        try auditAnchors(origin: origin, logVerifier: logVerifier, check: anchorCheck, into: &report)
        return report
    }
}
