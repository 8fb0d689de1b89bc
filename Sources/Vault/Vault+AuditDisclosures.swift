import Consent
import SQLite

extension Vault {
    /// The disclosure log: each `disclosures` row must name a sealed record of schema
    /// `disclosure-v1` of the same patient, at the time the record states (and its clear time
    /// column), and each such record must have its row, so an index row that was altered,
    /// deleted, inserted or pointed elsewhere is named (row: the record id). The records
    /// themselves are checked with the readings (ciphertext, commitment, batch). Records of
    /// erased patients are checked as far as their clear columns go. Streamed.
    func auditDisclosures(into report: inout AuditReport) throws(VaultError) {
        try read {
            let rows = try db.prepare("""
                SELECT d.record_id, d.patient_ref, d.at, r.id, r.kind, r.schema_id, r.patient_ref, r.received_at,
                       r.device, r.ciphertext
                FROM disclosures d LEFT JOIN readings r ON r.id = d.record_id ORDER BY d.record_id
                """)
            while try rows.step() {
                let id = rows.int64(0)
                report.disclosuresChecked += 1
                guard !rows.isNull(3), rows.text(4) == "event", rows.text(5) == Disclosure.recordSchema else {
                    report.add("disclosures", id, "names no sealed disclosure record")
                    continue
                }
                let ref = rows.int64(1), at = rows.int64(2)
                if rows.isNull(6) || rows.int64(6) != ref {
                    report.add("disclosures", id, "names another patient row than its sealed record")
                    continue
                }
                if rows.int64(7) != at { report.add("disclosures", id, "time differs from its sealed record's") }
                // Erased (the content went with the key) or not authenticating (named with the readings): no time to compare.
                if let disclosure = try? disclosureRecord(id: id, patientRef: ref, device: rows.text(8), ciphertext: rows.blob(9),
                                                          schema: rows.text(5)),
                   disclosure.disclosedAt != at {
                    report.add("disclosures", id, "time differs from the time its sealed record states")
                }
            }
            let orphans = try db.prepare("""
                SELECT r.id FROM readings r LEFT JOIN disclosures d ON d.record_id = r.id
                WHERE r.schema_id = ? AND r.kind = 'event' AND d.record_id IS NULL ORDER BY r.id
                """)
            try orphans.bind(.text(Disclosure.recordSchema))
            while try orphans.step() {
                report.add("disclosures", orphans.int64(0), "sealed disclosure record has no row in the disclosure log")
            }
        }
    }
}
