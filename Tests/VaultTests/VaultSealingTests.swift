import Cryptography
import Foundation
import Sealing
import Transparency
import SQLite
import Telemetry
import Testing
@testable import Vault

@Suite struct VaultSealingTests {
    let scratch: ScratchVault
    init() throws { scratch = try ScratchVault("vault-seal") }

    @Test func everyStoredReadingIsSealedAndItsBundleVerifiesOffline() throws {
        let vault = try scratch.openSealing(batchesOf: 7, gatewayID: "gw-test")
        try Sample.store(vault, seqs: 1...20)  // closes two batches of 7 on count
        #expect(throws: VaultError.self) { _ = try vault.proofBundle(readingID: 20, gatewayID: "gw-test") }
        try vault.sealAll(now: 1)  // the open batch of 6 closes on shutdown
        let trust = try vault.trustAnchors(gatewayID: "gw-test")
        for id in Int64(1)...20 {
            let bundle = try vault.proofBundle(readingID: id, gatewayID: "gw-test")
            let report = try BundleVerifier.verify(json: bundle.json, trust: trust)
            #expect(report.passed, "reading \(id): \(report.text)")
        }
        // A byte changed in a stored commitment is caught by the verifier.
        try Connection(path: scratch.path).run("UPDATE readings SET commitment = zeroblob(32) WHERE id = 3")
        let report = BundleVerifier.verify(try vault.proofBundle(readingID: 3, gatewayID: "gw-test"), trust: trust)
        #expect(!report.passed && report.firstFailure != nil)
    }

    @Test func readingsLeftUnsealedByACrashAreSealedOnRestart() throws {
        do {
            let vault = try scratch.open()
            try vault.enableSealing(SealingConfiguration(gatewayID: "gw-test"), now: 0)
            try Sample.store(vault, seqs: 1...5)  // below the count, no tick: still open when the process "dies"
        }
        let vault = try scratch.open()
        #expect(try vault.enableSealing(SealingConfiguration(gatewayID: "gw-test"), now: 10) == 1)
        let trust = try vault.trustAnchors(gatewayID: "gw-test")
        #expect(BundleVerifier.verify(try vault.proofBundle(readingID: 5, gatewayID: "gw-test"), trust: trust).passed)
        let rows = try Connection(path: scratch.path).query("SELECT close_reason FROM batches")
        #expect(rows.map { $0[0].textValue } == ["recovery"])
    }

    /// A batch closing on count is sealed in the store's transaction; if sealing fails there, the
    /// readings still commit (unsealed) and are sealed once sealing works again.
    @Test func aSealingFailureInsideAStoreKeepsTheReadings() throws {
        let vault = try scratch.openSealing(batchesOf: 4, gatewayID: "gw-test")
        let db = try Connection(path: scratch.path)
        try db.execute("CREATE TRIGGER fail_seal BEFORE INSERT ON batches BEGIN SELECT RAISE(ABORT, 'injected'); END;")
        try Sample.store(vault, seqs: 1...10)
        #expect(vault.sealingFailures >= 1)
        #expect(try db.query("SELECT count(*) FROM readings").first?.first?.integerValue == 10)
        #expect(try db.query("SELECT count(*) FROM batches").first?.first?.integerValue == 0)
        try db.execute("DROP TRIGGER fail_seal")
        try Sample.store(vault, seqs: 11...12)
        try vault.sealAll(now: 1)
        #expect(try db.query("SELECT max(last_id) FROM batches").first?.first?.integerValue == 12)
        let trust = try vault.trustAnchors(gatewayID: "gw-test")
        for id in Int64(1)...12 {
            #expect(BundleVerifier.verify(try vault.proofBundle(readingID: id, gatewayID: "gw-test"), trust: trust).passed)
        }
        #expect(try vault.audit(gatewayID: "gw-test").passed)
    }

    /// An alert is sealed with the readings (a record under the patient's key), provable, and
    /// erased with the patient while its proof still verifies.
    @Test func alertsAreSealedProvableAndErasedWithThePatient() throws {
        let vault = try scratch.openSealing(batchesOf: 4, gatewayID: "gw-test")
        let body = Array(#"{"category":"clinical","kind":"desaturation","patient":"MRN-1","score":0.97,"t":5}"#.utf8)
        _ = try vault.store((1...3).map {
            IncomingMessage(topic: "t", payload: [], receivedAt: 1_763_884_800_500 + Int64($0),
                            outcome: .reading(Sample.reading(seq: $0), patient: "MRN-1"))
        }, alerts: [AlertRecord(at: 5, device: "OXP-7F31A2", patient: "MRN-1", category: "clinical",
                                kind: "desaturation", score: 0.97, body: body)])
        let db = try Connection(path: scratch.path)
        let recordID = try #require(try db.query("SELECT record_id FROM alerts").first?.first?.integerValue)
        // Three readings and the alert's record filled the batch of four: it is sealed already.
        #expect(try db.query("SELECT last_id FROM batches").first?.first?.integerValue == recordID)
        let trust = try vault.trustAnchors(gatewayID: "gw-test")
        let bundle = try vault.proofBundle(readingID: recordID, gatewayID: "gw-test")
        #expect(bundle.reading.canonical == body)
        #expect(BundleVerifier.verify(bundle, trust: trust).passed)
        var exported: [JSONValue] = []
        try vault.exportAlerts(ExportFilter(patient: "MRN-1"), onError: { id, _ in Issue.record("alert \(id)") }) {
            exported.append($0)
        }
        #expect(exported.count == 1 && exported.first?["record_id"]?.numberValue == Double(recordID))
        #expect(exported.first?["kind"]?.stringValue == "desaturation")
        _ = try vault.erasePatient("MRN-1", by: "dpo", at: 10)
        exported = []
        try vault.exportAlerts(ExportFilter(), onError: { id, _ in Issue.record("alert \(id)") }) { exported.append($0) }
        #expect(exported.isEmpty)  // erased with the patient
        let erased = try vault.proofBundle(readingID: recordID, gatewayID: "gw-test")
        #expect(erased.reading.canonical == nil)
        #expect(BundleVerifier.verify(erased, trust: trust).passed)
        try vault.sealAll(now: 11)
        let report = try vault.audit(gatewayID: "gw-test")
        #expect(report.passed, "\(report.findings)")
    }

    /// Vaults sealed before the log's interior nodes were stored (schema 3) get them on first use,
    /// and the log keeps growing from the restored frontier.
    @Test func aVaultFromBeforeLogNodesIsRebuiltAndKeepsProving() throws {
        do {
            let vault = try scratch.openSealing(batchesOf: 3, gatewayID: "gw-test")
            vault.storesCompactRows = false  // the rows of that time: plaintext v2
            try Sample.store(vault, seqs: 1...21)  // seven batches
        }
        let old = try Connection(path: scratch.path)
        #expect(try old.query("SELECT count(*) FROM log_nodes").first?.first?.integerValue == 7 - 3)
        try old.execute("""
            DROP TABLE disclosure_aggregates; DROP TABLE compacted_batches; DROP TABLE consent_holds; DROP TABLE consent_skips;
            DROP TABLE disclosures; DROP INDEX alerts_record_id; DROP INDEX alerts_at; DROP TABLE dead_letters; DROP TABLE sink_cursors;
            DROP INDEX patients_erased_pseudonym; ALTER TABLE patients DROP COLUMN erased_pseudonym;
            DROP TABLE patient_state; ALTER TABLE alerts DROP COLUMN record_id; DROP TABLE log_nodes;
            ALTER TABLE readings DROP COLUMN format; DROP TABLE consent_records; DROP TABLE consent_high_water;
            PRAGMA user_version = 3;
            """)
        let vault = try scratch.openSealing(batchesOf: 3, gatewayID: "gw-test")
        try Sample.store(vault, seqs: 22...33)  // four more batches on the restored frontier
        #expect(try old.query("SELECT count(*) FROM log_nodes").first?.first?.integerValue == 11 - 3)
        let trust = try vault.trustAnchors(gatewayID: "gw-test")
        for id in [Int64(1), 11, 21, 22, 33] {
            let report = BundleVerifier.verify(try vault.proofBundle(readingID: id, gatewayID: "gw-test"), trust: trust)
            #expect(report.passed, "reading \(id): \(report.text)")
        }
        #expect(try vault.audit(gatewayID: "gw-test").passed)
    }
}

@Suite struct VaultPatientStateTests {
    /// Per-patient state is stored under the patient's key: read back while the patient exists,
    /// gone with the erasure, and a later save does not bring an erased patient back.
    @Test func patientStateRoundTripsAndIsErasedWithThePatient() throws {
        let scratch = try ScratchVault("vault-pstate")
        let vault = try scratch.open()
        _ = try vault.store([Sample.incoming(1, patient: "MRN-1"), Sample.incoming(2, patient: "MRN-2")])
        var asked: [String] = []
        try vault.setPatientStates("detection", patients: ["MRN-1", "MRN-2"], at: 2) {
            asked.append($0)
            return Array("state of \($0)".utf8)
        }
        #expect(asked == ["MRN-1", "MRN-2"])
        func states(_ vault: Vault) throws -> [String] {
            var found: [String] = []
            try vault.forEachPatientState("detection", onError: { ref, _ in Issue.record("row \(ref)") }) {
                found.append(String(decoding: $0, as: UTF8.self))
            }
            return found.sorted()
        }
        #expect(try states(try scratch.open()) == ["state of MRN-1", "state of MRN-2"])
        // The blob is not readable under the gateway key or as another patient's row.
        let db = try Connection(path: scratch.path)
        try db.execute("UPDATE patient_state SET value = (SELECT value FROM patient_state WHERE patient_ref = 2) WHERE patient_ref = 1")
        var errors = 0
        try scratch.open().forEachPatientState("detection", onError: { _, _ in errors += 1 }) { _ in }
        #expect(errors == 1)
        _ = try vault.erasePatient("MRN-2", by: "dpo", at: 5)
        #expect(try db.query("SELECT count(*) FROM patient_state WHERE patient_ref = 2").first?.first?.integerValue == 0)
        // A later save skips the erased patient (no new key, no row) and admits a newly paired one.
        asked = []
        try vault.setPatientStates("detection", patients: ["MRN-2", "MRN-3"], at: 6) {
            asked.append($0)
            return Array("state of \($0)".utf8)
        }
        #expect(asked == ["MRN-3"])
        #expect(try db.query("SELECT count(*) FROM patient_state WHERE patient_ref = 2").first?.first?.integerValue == 0)
        #expect(try db.query("SELECT wrapped_key IS NULL FROM patients WHERE id = 2").first?.first?.integerValue == 1)
        var found: [String] = []
        try scratch.open().forEachPatientState("detection", onError: { _, _ in }) {
            found.append(String(decoding: $0, as: UTF8.self))
        }
        #expect(found == ["state of MRN-3"])  // MRN-1's row was swapped above and fails; MRN-2 is erased
    }
}

@Suite struct VaultConcurrentErasureTests {
    /// `erase-patient` runs as another process while the agent holds the vault open: the agent
    /// picks the erasure up, and the patient's next reading is re-admitted under a new key.
    @Test func anErasureByAnotherConnectionIsPickedUp() throws {
        let scratch = try ScratchVault("vault-erase2")
        let agent = try scratch.openSealing(batchesOf: 4)
        _ = try agent.store([Sample.incoming(1), Sample.incoming(2)])
        #expect(try agent.refreshErasures().isEmpty)
        _ = try scratch.open().erasePatient("MRN-1", by: "dpo", at: 5)
        #expect(try agent.refreshErasures() == ["MRN-1"])
        #expect(try agent.refreshErasures().isEmpty)  // once
        _ = try agent.store([Sample.incoming(3)])
        var exported: [Int64] = []
        try scratch.open().export(ExportFilter(patient: "MRN-1"), onError: { id, _ in Issue.record("row \(id)") }) {
            exported.append($0.id)
        }
        #expect(exported == [4])  // only the reading stored after the erasure (id 3 is its record), under the new key
        let db = try Connection(path: scratch.path)
        // The erased row stays erased (its readings stay unreadable); the re-admission is a new row.
        #expect(try db.query("SELECT erased_at IS NULL FROM patients ORDER BY id").map { $0[0].integerValue } == [0, 1])
        // The other process's erasure record (id 3) is sealed by the agent's batches: 1, 2, 3, 4.
        #expect(try db.query("SELECT id FROM readings WHERE kind = 'event'").first?.first?.integerValue == 3)
        #expect(try db.query("SELECT last_id FROM batches").first?.first?.integerValue == 4)
        _ = try agent.store([Sample.incoming(4)])
        try agent.sealAll(now: 6)
        #expect(try db.query("SELECT max(last_id) FROM batches").first?.first?.integerValue == 5)
        let report = try agent.audit(gatewayID: "gw")
        #expect(report.passed && report.readingsErased == 2, "\(report.findings)")
    }
}

@Suite struct VaultErasureTests {
    /// A reading the agent stores after another process erased its patient, before the agent
    /// notices, is under the destroyed key: noticing the erasure scrubs its digest too.
    @Test func digestsOfReadingsStoredBeforeTheAgentNoticesAnErasureAreScrubbed() throws {
        let scratch = try ScratchVault("vault-erase3")
        let agent = try scratch.open()
        _ = try agent.store([Sample.incoming(1, patient: "MRN-1"), Sample.incoming(2, patient: "MRN-2")])
        #expect(try agent.refreshErasures().isEmpty)
        _ = try scratch.open().erasePatient("MRN-1", by: "dpo", at: 5)
        _ = try agent.store([Sample.incoming(3, patient: "MRN-1"), Sample.incoming(4, patient: "MRN-2")])  // MRN-1's under the destroyed key
        #expect(try agent.refreshErasures() == ["MRN-1"])
        let rows = try Connection(path: scratch.path).query("SELECT seq, digest FROM readings WHERE kind != 'event' ORDER BY id")
        #expect(rows.count == 4)
        for row in rows {
            let seq = UInt32(try #require(row[0].integerValue))
            // Rows of format 3 keep the digest's first 16 bytes.
            let contentDigest = scratch.keys.keyedDigest([1] + Sample.reading(seq: seq).canonicalBytes, domain: "reading-content-v1")
            #expect((row[1].blobValue == Array(contentDigest.prefix(16))) == (seq % 2 == 0), "reading \(seq)")
        }
    }

    @Test func erasedPatientIsUnreadableButEveryProofStillVerifies() throws {
        let scratch = try ScratchVault("vault-erase")
        let vault = try scratch.open()
        try vault.enableSealing(SealingConfiguration(gatewayID: "gw"), now: 0)
        let other = DeviceID("OXP-000002")!
        _ = try vault.store((1...6).map { seq in
            seq % 2 == 0 ? Sample.incoming(seq, patient: "MRN-ERASE-ME") : Sample.incoming(seq, patient: "MRN-KEEP", device: other)
        })
        try vault.sealAll(now: 2)
        let record = try vault.erasePatient("MRN-ERASE-ME", by: "dpo@hospital", at: 3)
        #expect(record.readings == 3)
        // The keyed content digests (dedupe) of the erased readings are gone; the others stay.
        let digests = try Connection(path: scratch.path).query("SELECT id, digest FROM readings WHERE kind != 'event' ORDER BY id")
        for row in digests {
            let seq = UInt32(try #require(row[0].integerValue))
            let reading = seq % 2 == 0 ? Sample.reading(seq: seq) : Sample.reading(seq: seq, device: other)
            let contentDigest = scratch.keys.keyedDigest([1] + reading.canonicalBytes, domain: "reading-content-v1")
            #expect((row[1].blobValue == Array(contentDigest.prefix(16))) == (seq % 2 == 1), "reading \(seq)")
        }

        var exported: [String?] = []
        try vault.export(ExportFilter(), onError: { id, error in Issue.record("row \(id): \(error)") }) {
            exported.append($0.patient)
        }
        #expect(exported == ["MRN-KEEP", "MRN-KEEP", "MRN-KEEP"])
        #expect(try vault.stats().eventsByType["patient_erased"] == 1)

        let trust = try vault.trustAnchors(gatewayID: "gw")
        for id in Int64(1)...6 {
            let bundle = try vault.proofBundle(readingID: id, gatewayID: "gw")
            #expect(bundle.reading.erased == (id % 2 == 0))
            #expect(bundle.reading.salt == nil || id % 2 == 1)
            #expect(BundleVerifier.verify(bundle, trust: trust).passed, "reading \(id)")
        }
        // The erasure itself is sealed and provable, and names the pseudonym, never the identifier.
        try vault.sealAll(now: 4)
        let sealedRecord = try vault.proofBundle(readingID: record.sealedRecordID, gatewayID: "gw")
        #expect(BundleVerifier.verify(sealedRecord, trust: trust).passed)
        let text = String(decoding: sealedRecord.reading.canonical ?? [], as: UTF8.self)
        #expect(text.contains("patient_erased") && text.contains(record.pseudonym) && text.contains("dpo@hospital"))
        #expect(!text.contains("MRN-ERASE-ME"))
        #expect(try vault.audit(gatewayID: "gw").passed)
        // Reopening (a new process) cannot read the erased patient either.
        let reopened = try scratch.open()
        var count = 0
        try reopened.export(ExportFilter(), onError: { _, _ in }) { _ in count += 1 }
        #expect(count == 3)
        #expect(throws: VaultError.self) { try reopened.erasePatient("MRN-ERASE-ME", by: "x", at: 4) }
    }
}

@Suite struct VaultWitnessTests {
    @Test func pinnedWitnessCosignaturesAreStoredAndUnknownOnesRejected() throws {
        let vault = try ScratchVault("vault-witness").open()
        try vault.enableSealing(SealingConfiguration(gatewayID: "gw"), now: 0)
        _ = try vault.store([Sample.incoming(1)])
        try vault.sealAll(now: 2)
        let witness = try CosignatureSigner(name: "witness.example/w1", privateKey: Ed25519.PrivateKey())
        let stranger = try CosignatureSigner(name: "witness.example/w2", privateKey: Ed25519.PrivateKey())
        let checkpoint = try #require(vault.latestCheckpoint)
        let quorum = try vault.trustAnchors(gatewayID: "gw", witnesses: [witness.verifierKey], minimumCosignatures: 1)

        // Before any cosignature, a trust policy that requires one fails at the cosignatures step.
        let before = BundleVerifier.verify(try vault.proofBundle(readingID: 1, gatewayID: "gw"), trust: quorum)
        #expect(!before.passed && before.failedSteps.map(\.rawValue) == ["cosignatures"], "\(before.text)")

        var byStranger = try SignedCheckpoint(parsing: Array(checkpoint.utf8))
        try byStranger.addCosignature(by: stranger, timestamp: 1_795_000_000)
        #expect(throws: VaultError.self) {
            try vault.acceptCosignedCheckpoint(byStranger.serialized, witnesses: [witness.verifierKey], gatewayID: "gw")
        }
        let forgedBody = Array(checkpoint.utf8).map { $0 == UInt8(ascii: "1") ? UInt8(ascii: "2") : $0 }
        #expect(throws: VaultError.self) {
            try vault.acceptCosignedCheckpoint(forgedBody, witnesses: [witness.verifierKey], gatewayID: "gw")
        }

        var cosigned = try SignedCheckpoint(parsing: Array(checkpoint.utf8))
        try cosigned.addCosignature(by: witness, timestamp: 1_795_000_000)
        let accepted = try vault.acceptCosignedCheckpoint(cosigned.serialized, witnesses: [witness.verifierKey],
                                                          gatewayID: "gw")
        #expect(accepted.witnesses == ["witness.example/w1"])
        let after = BundleVerifier.verify(try vault.proofBundle(readingID: 1, gatewayID: "gw"), trust: quorum)
        #expect(after.passed, "\(after.text)")
    }
}
