import Foundation
import SQLite
import Telemetry
import Testing
import Vault

/// Consent documents in the vault: encrypted under the patient's key, a high-water mark per
/// record that names no patient and outlives an erasure, rows gone with the patient.
@Suite struct VaultConsentTests {
    static let envelope = Array(#"{"document":{"consent":"MRN-CONSENT-1 permits research"},"signatures":[]}"#.utf8)

    func accept(_ vault: Vault, patient: String = "MRN-CONSENT-1", id: String = "c-1", version: UInt64,
                envelope: [UInt8] = envelope) throws {
        try vault.storeConsent(ConsentAcceptance(patient: patient, recordKey: vault.consentRecordKey(patient: patient, id: id),
                                                 version: version, digest: [UInt8](repeating: UInt8(version), count: 32),
                                                 envelope: envelope),
                               detail: Array(#"{"status":"applied"}"#.utf8), at: 1_800_000_000_000)
    }

    @Test func storedDocumentsAreEncryptedReloadAndReplaceOlderVersions() throws {
        let scratch = try ScratchVault("consent")
        do {
            let vault = try scratch.open()
            try accept(vault, version: 1)
            try accept(vault, version: 2, envelope: Self.envelope + [0x20])
            try accept(vault, patient: "MRN-CONSENT-2", id: "c-1", version: 1)
            #expect(try vault.consentDocuments(patient: "MRN-CONSENT-1") == [StoredConsent(patient: "MRN-CONSENT-1",
                                                                                             envelope: Self.envelope + [0x20])])
            #expect(try vault.consentDocuments().count == 2)
            let key = vault.consentRecordKey(patient: "MRN-CONSENT-1", id: "c-1")
            #expect(try vault.consentHighWater(key)?.version == 2)
            // Keyed: neither the identifier nor the id appears in the key, and another record's key differs.
            #expect(key != vault.consentRecordKey(patient: "MRN-CONSENT-1", id: "c-2"))
            #expect(key != vault.consentRecordKey(patient: "MRN-CONSENT-1c-", id: ""))
        }
        // Nothing of the document is stored in clear.
        let file = try Data(contentsOf: URL(fileURLWithPath: scratch.path))
        let wal = (try? Data(contentsOf: URL(fileURLWithPath: scratch.path + "-wal"))) ?? Data()
        for bytes in [file, wal] { #expect(bytes.range(of: Data("permits research".utf8)) == nil) }
        let reopened = try scratch.open()
        #expect(try reopened.consentDocuments().count == 2)
        #expect(try reopened.consentHighWater(reopened.consentRecordKey(patient: "MRN-CONSENT-1", id: "c-1"))?.version == 2)
    }

    @Test func erasureRemovesTheRecordsAndKeepsTheHighWaterMark() throws {
        let scratch = try ScratchVault("consent-erase")
        let vault = try scratch.open()
        try accept(vault, version: 3)
        try accept(vault, patient: "MRN-CONSENT-2", version: 1)
        let key = vault.consentRecordKey(patient: "MRN-CONSENT-1", id: "c-1")
        _ = try vault.erasePatient("MRN-CONSENT-1", by: "test", at: 1_800_000_000_001)
        #expect(try vault.consentDocuments(patient: "MRN-CONSENT-1").isEmpty)
        #expect(try vault.consentDocuments().map(\.patient) == ["MRN-CONSENT-2"])
        #expect(try vault.consentHighWater(key)?.version == 3)
        let db = try Connection(path: scratch.path)
        #expect(try db.query("SELECT count(*) FROM consent_records").first?.first?.integerValue == 1)
        let reopened = try scratch.open()
        #expect(try reopened.consentDocuments(patient: "MRN-CONSENT-1").isEmpty)
        #expect(try reopened.consentHighWater(key)?.version == 3)
        // Re-admitted by a newer version: a new key, the old documents stay gone.
        try accept(reopened, version: 4)
        #expect(try reopened.consentDocuments(patient: "MRN-CONSENT-1").count == 1)
    }

    @Test func auditNamesAnAlteredOrMovedDocument() throws {
        let scratch = try ScratchVault("consent-audit")
        let vault = try scratch.open()
        try accept(vault, version: 1)
        try accept(vault, patient: "MRN-CONSENT-2", version: 1)
        var report = try vault.audit(gatewayID: "gw")
        #expect(report.passed, "\(report.findings)")
        #expect(report.consentRecordsChecked == 2)
        let db = try Connection(path: scratch.path)
        // A byte of one document flipped; the other's version raised above its mark.
        try db.execute("UPDATE consent_records SET document = substr(document, 1, 20) || x'00' || substr(document, 22) WHERE rowid = 1")
        try db.execute("UPDATE consent_records SET version = 2 WHERE rowid = 2")
        report = try vault.audit(gatewayID: "gw")
        let findings = report.findings.filter { $0.table == "consent_records" }.map { "\($0.row) \($0.problem)" }
        #expect(findings.contains("1 document does not authenticate (altered or moved)"), "\(findings)")
        #expect(findings.contains("2 version above its record's high-water mark"), "\(findings)")
        #expect(findings.contains("2 document does not authenticate (altered or moved)"), "\(findings)")
        #expect(!findings.joined().contains("MRN"))
    }
}
