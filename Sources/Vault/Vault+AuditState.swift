import Cryptography
import SQLite

extension Vault {
    /// `patient_state`: each row must authenticate under its patient's data key with its
    /// associated data (state name and pseudonym), so an altered, swapped or moved blob is named
    /// by its patient row. Rows of erased patients cannot be checked (their key is gone; a
    /// stale agent may still have saved one before it saw the erasure) and are skipped. Streamed.
    func auditPatientStates(into report: inout AuditReport) throws(VaultError) {
        try read {
            let states = try db.prepare("SELECT patient_ref, name, value FROM patient_state ORDER BY patient_ref, name")
            while try states.step() {
                let ref = states.int64(0)
                let name = states.text(1) ?? ""
                guard let entry = patientsByRef[ref] else {
                    report.add("patient_state", ref, "state \(name) names no patient row")
                    continue
                }
                guard let key = entry.key else { continue }  // erased
                report.patientStatesChecked += 1
                let opened = try? AES256GCM.decrypt(try AES256GCM.EncryptedBox(combined: states.blob(2) ?? []), key: key,
                                                    associatedData: Self.patientStateAAD(name, entry.pseudonym))
                if opened == nil {
                    report.add("patient_state", ref, "value (state \(name)) does not authenticate (altered or moved)")
                }
            }
        }
    }
}
