import Anchoring
import Foundation
import Ledger
import Sealing
import Transparency
import SQLite
import Telemetry
import Testing
import Vault

/// Audit flips one byte in each kind of stored row in turn (and deletes and inserts rows), and
/// must name exactly that row.
@Suite struct VaultAuditTests {
    struct Tamper: Sendable, CustomTestStringConvertible {
        var name: String
        var sql: String
        var expected: (table: String, row: Int64)
        /// When set: the only finding, and its problem names this column.
        var column: String?
        var testDescription: String { name }
    }

    /// Byte 11 changed: to A5, or to 5A where it already was A5 (a random hash holds A5 there
    /// one time in 256, and the tamper would then change nothing).
    static let flip = "substr(%1$@, 1, 10) || CASE WHEN substr(%1$@, 11, 1) = x'A5' THEN x'5A' ELSE x'A5' END || substr(%1$@, 12)"

    /// The character after the first occurrence of `%2$@` changed (`0` to `1`, anything else to `0`).
    static let flipAfter = """
        substr(%1$@, 1, instr(%1$@, '%2$@') + length('%2$@') - 1) \
        || CASE WHEN substr(%1$@, instr(%1$@, '%2$@') + length('%2$@'), 1) = '0' THEN '1' ELSE '0' END \
        || substr(%1$@, instr(%1$@, '%2$@') + length('%2$@') + 1)
        """

    static let cases: [Tamper] = [
        Tamper(name: "reading ciphertext", sql: "UPDATE readings SET ciphertext = \(String(format: flip, "ciphertext")) WHERE id = 5",
               expected: ("readings", 5)),
        // Plaintext v3 rows keep the header fields only in clear columns, bound by the
        // ciphertext's associated data: a changed column no longer authenticates.
        Tamper(name: "reading seq (format 3)", sql: "UPDATE readings SET seq = seq + 1 WHERE id = 6",
               expected: ("readings", 6)),
        Tamper(name: "reading model (format 3)", sql: "UPDATE readings SET model = 'OxiPatcH' WHERE id = 8",
               expected: ("readings", 8)),
        Tamper(name: "reading format", sql: "UPDATE readings SET format = NULL WHERE id = 10",
               expected: ("readings", 10)),
        Tamper(name: "reading commitment", sql: "UPDATE readings SET commitment = \(String(format: flip, "commitment")) WHERE id = 9",
               expected: ("readings", 9)),
        Tamper(name: "reading deleted", sql: "DELETE FROM readings WHERE id = 12", expected: ("readings", 12)),
        Tamper(name: "batch header", sql: "UPDATE batches SET header = \(String(format: flip, "header")) WHERE seq = 1",
               expected: ("batches", 1)),
        Tamper(name: "batch signature", sql: "UPDATE batches SET signature = \(String(format: flip, "signature")) WHERE seq = 2",
               expected: ("batches", 2)),
        Tamper(name: "log leaf", sql: "UPDATE log_leaves SET header_hash = \(String(format: flip, "header_hash")) WHERE idx = 1",
               expected: ("log_leaves", 1)),
        Tamper(name: "log node", sql: "UPDATE log_nodes SET hash = \(String(format: flip, "hash")) WHERE level = 1 AND idx = 0",
               expected: ("log_nodes", 0)),
        Tamper(name: "log node deleted", sql: "DELETE FROM log_nodes WHERE level = 1 AND idx = 0",
               expected: ("log_nodes", 0)),
        Tamper(name: "checkpoint note", sql: "UPDATE checkpoints SET note = replace(note, 'vitalgate', 'vitalgatE') WHERE size = 2",
               expected: ("checkpoints", 2)),
        Tamper(name: "quarantine payload",
               sql: "UPDATE quarantine SET payload_ct = \(String(format: flip, "payload_ct")) WHERE id = 1",
               expected: ("quarantine", 1)),
        Tamper(name: "alert body", sql: "UPDATE alerts SET body_ct = \(String(format: flip, "body_ct")) WHERE id = 1",
               expected: ("alerts", 1)),
        Tamper(name: "reading digest", sql: "UPDATE readings SET digest = \(String(format: flip, "digest")) WHERE id = 7",
               expected: ("readings", 7), column: "digest"),
        Tamper(name: "patient state", sql: "UPDATE patient_state SET value = \(String(format: flip, "value")) WHERE patient_ref = 1",
               expected: ("patient_state", 1), column: "value"),
        Tamper(name: "anchor evidence", sql: "UPDATE anchors SET evidence = \(String(format: flip, "evidence")) WHERE size = 3",
               expected: ("anchors", 3), column: "evidence"),
        Tamper(name: "anchor evidence root digit",
               sql: "UPDATE anchors SET evidence = \(String(format: flipAfter, "evidence", "\"root\":\"")) WHERE size = 3",
               expected: ("anchors", 3), column: "evidence"),
        Tamper(name: "anchor evidence checkpoint note",
               sql: "UPDATE anchors SET evidence = \(String(format: flipAfter, "evidence", "\"checkpoint\":\"")) WHERE size = 3",
               expected: ("anchors", 3), column: "evidence"),
        Tamper(name: "reading inserted into a sealed batch",
               sql: "INSERT INTO readings SELECT 20, device, kind, seq + 100, device_time, received_at, model, schema_id, patient_ref, digest, conflict, duplicates, ciphertext, commitment, format FROM readings WHERE id = 4; UPDATE batches SET last_id = 20 WHERE seq = 2",
               expected: ("batches", 2)),
    ]

    private func sealedVault(_ scratch: ScratchVault) throws -> Vault {
        let vault = try scratch.openSealing(batchesOf: 6)
        // One store per batch: a transaction signs one checkpoint however many batches it seals.
        for first: UInt32 in [1, 7] {
            _ = try vault.store((first..<first + 6).map { Sample.incoming($0) })
        }
        _ = try vault.store((13...18).map { Sample.incoming($0) } + [IncomingMessage(topic: "t", payload: Array("{bad".utf8), receivedAt: 1,
                             outcome: .quarantined(device: nil, kind: nil, QuarantineVerdict(.invalidJSON, "syntax")))],
            alerts: [AlertRecord(at: 1, device: "OXP-7F31A2", patient: "MRN-1", category: "fault", kind: "probe_off",
                                 score: 0.95, body: Array("{}".utf8))])
        try vault.setPatientStates("detector", patients: ["MRN-1"], at: 1) { _ in Array("{\"ewma\":97}".utf8) }
        try anchor(scratch, vault)
        // Three batches of six, three checkpoints (the last anchored on the local ledger), one
        // quarantined message, one alert (its sealed record, id 19, is in the open batch), and
        // patient 1's detector state.
        return vault
    }

    /// Anchors the latest checkpoint as the agent's anchoring worker does with the local ledger.
    private func anchor(_ scratch: ScratchVault, _ vault: Vault) throws {
        #expect(try scratch.anchorLatestCheckpoint(vault).latestAnchored()?.size == 3)
    }

    /// The check `verify` and `audit` run on `local-checkpoint` evidence.
    private func localAnchorCheck(_ vault: Vault) throws -> BundleVerifier.AnchorCheck {
        let trust = try vault.trustAnchors(gatewayID: "gw")
        let verifier = LocalEvidenceVerifier(logKey: trust.logKey)
        let origin = trust.logOrigin
        return { entry, size, root in
            do throws(LedgerError) {
                try verifier.verify(try AnchorEvidence(json: entry),
                                    for: try AnchorRequest(gatewayID: "gw", origin: origin, treeSize: size, rootHash: root))
                return nil
            } catch {
                return error.reason
            }
        }
    }

    @Test func anUntouchedVaultPasses() throws {
        let vault = try sealedVault(try ScratchVault("audit"))
        let report = try vault.audit(gatewayID: "gw", anchorCheck: try localAnchorCheck(vault))
        #expect(report.passed, "\(report.findings)")
        #expect(report.readingsChecked == 18 && report.batchesChecked == 3 && report.checkpointsChecked == 3)
        #expect(report.anchorsChecked == 1 && report.patientStatesChecked == 1)
    }

    /// An erased patient's rows cannot be decrypted, so their digests cannot be recomputed: the
    /// erasure replaced them with zeros, and zeros are what audit holds them to. Their detector
    /// state went with the erasure; the other patient's rows are checked in full.
    @Test func aVaultWithAnErasedPatientPassesAndItsDigestsStayZero() throws {
        let scratch = try ScratchVault("audit")
        let vault = try sealedVault(scratch)
        _ = try vault.erasePatient("MRN-1", by: "dpo", at: 2)
        _ = try vault.store((1...4).map { Sample.incoming($0, patient: "MRN-2", device: DeviceID("OXP-000002")!) })
        let report = try vault.audit(gatewayID: "gw", anchorCheck: try localAnchorCheck(vault))
        #expect(report.passed, "\(report.findings)")
        #expect(report.readingsChecked == 24 && report.readingsErased == 19 && report.patientStatesChecked == 0)

        try Connection(path: scratch.path).execute("UPDATE readings SET digest = \(String(format: Self.flip, "digest")) WHERE id = 3")
        let tampered = try scratch.open().audit(gatewayID: "gw")
        #expect(tampered.findings.map(\.description) == ["readings 3: digest is not the zeros its patient's erasure left (altered, or not scrubbed)"])
    }

    @Test(arguments: cases)
    func auditNamesTheTamperedRow(_ tamper: Tamper) throws {
        let scratch = try ScratchVault("audit")
        _ = try sealedVault(scratch)
        try Connection(path: scratch.path).execute(tamper.sql)
        let vault = try scratch.open()
        let report = try vault.audit(gatewayID: "gw", anchorCheck: try localAnchorCheck(vault))
        #expect(!report.passed)
        #expect(report.findings.contains { $0.table == tamper.expected.table && $0.row == tamper.expected.row },
                "\(tamper.name): \(report.findings)")
        if let column = tamper.column {
            #expect(report.findings.count == 1 && report.findings[0].problem.hasPrefix(column), "\(tamper.name): \(report.findings)")
        }
    }
}

@Suite struct VaultConsistencyTests {
    @Test func consistencyProofsBetweenStoredCheckpointsVerify() throws {
        let vault = try ScratchVault("consistency").openSealing(batchesOf: 3)
        for first in stride(from: UInt32(1), through: 19, by: 3) {  // seven stores: seven batches, seven checkpoints
            _ = try vault.store((first..<first + 3).map { Sample.incoming($0) })
        }
        for (old, new) in [(UInt64(1), UInt64(7)), (2, 5), (3, 4), (6, 7)] {
            let result = try vault.consistencyProof(from: old, to: new)
            let oldCheckpoint = try SignedCheckpoint(parsing: Array(result.old.utf8)).checkpoint
            let newCheckpoint = try SignedCheckpoint(parsing: Array(result.new.utf8)).checkpoint
            try MerkleVerifier.verifyConsistency(size1: old, size2: new, proof: result.proof,
                                                 root1: oldCheckpoint.rootHash, root2: newCheckpoint.rootHash)
        }
        #expect(throws: VaultError.self) { _ = try vault.consistencyProof(from: 3, to: 99) }
    }

    /// A store that closes several batches signs one checkpoint, for the log as it commits:
    /// no other connection could have seen the sizes in between.
    @Test func aTransactionSealingSeveralBatchesSignsOneCheckpoint() throws {
        let scratch = try ScratchVault("consistency")
        let vault = try scratch.openSealing(batchesOf: 3)
        let readings = { (range: ClosedRange<UInt32>) in range.map { Sample.incoming($0) } }
        _ = try vault.store(readings(1...21))  // seven batches in one transaction
        _ = try vault.store(readings(22...24))  // and an eighth in another
        let db = try Connection(path: scratch.path)
        #expect(try db.query("SELECT count(*) FROM batches").first?.first?.integerValue == 8)
        #expect(try db.query("SELECT size FROM checkpoints ORDER BY size").map { $0.first?.integerValue } == [7, 8])
        let report = try vault.audit(gatewayID: "gw")
        #expect(report.passed, "\(report.findings)")
        #expect(report.batchesChecked == 8 && report.checkpointsChecked == 2)
        let result = try vault.consistencyProof(from: 7, to: 8)
        try MerkleVerifier.verifyConsistency(
            size1: 7, size2: 8, proof: result.proof,
            root1: try SignedCheckpoint(parsing: Array(result.old.utf8)).checkpoint.rootHash,
            root2: try SignedCheckpoint(parsing: Array(result.new.utf8)).checkpoint.rootHash)
    }
}
