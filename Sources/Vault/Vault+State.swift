import Cryptography
import SQLite

extension Vault {
    /// Stores an opaque state blob (e.g. detector state, which names patients) encrypted
    /// under the gateway key in the `meta` table.
    public func setEncryptedState(_ name: String, _ value: [UInt8]) throws(VaultError) {
        try write { try storeEncryptedState(name, value) }
    }

    /// Encrypts and upserts a state blob; call inside a write transaction.
    func storeEncryptedState(_ name: String, _ value: [UInt8]) throws {
        let encrypted = try AES256GCM.encrypt(value, key: gatewayKey, associatedData: Array("vg-state-v1:\(name)".utf8))
        try db.cached("INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value")
            .run(.text("state:\(name)"), .blob(encrypted.combined))
    }

    /// The state blob stored under `name`, or `nil`; throws if it does not authenticate.
    public func encryptedState(_ name: String) throws(VaultError) -> [UInt8]? {
        let rows = try read { try db.query("SELECT value FROM meta WHERE key = ?", [.text("state:\(name)")]) }
        guard let blob = rows.first?.first?.blobValue else { return nil }
        do {
            return try AES256GCM.decrypt(try AES256GCM.EncryptedBox(combined: blob), key: gatewayKey,
                                      associatedData: Array("vg-state-v1:\(name)".utf8))
        } catch {
            throw VaultError(.corruptRow, "state \(name) does not authenticate", underlying: error)
        }
    }

    /// Deletes the state blob stored under `name` (nothing if there is none).
    public func removeEncryptedState(_ name: String) throws(VaultError) {
        try write { try db.cached("DELETE FROM meta WHERE key = ?").run(.text("state:\(name)")) }
    }

    /// Stores, in one transaction, a state blob per patient under that patient's data key, so
    /// that erasing the patient erases it. `state` is asked for one patient at a time (memory
    /// stays at one patient's blob). A patient the vault has not seen yet (paired, no reading
    /// stored) is admitted; an erased one is skipped and never re-admitted by a state save.
    public func setPatientStates(_ name: String, patients: [String], at time: Int64,
                                 _ state: (String) -> [UInt8]?) throws(VaultError) {
        try write {
            for identifier in patients {
                let entry: PatientEntry
                if let known = patientsByIdentifier[identifier] {
                    entry = known
                } else if try db.cached("SELECT id FROM patients WHERE erased_pseudonym = ?")
                            .query1([.blob(pseudonym(of: identifier))]) != nil {
                    continue  // erased: a state save does not re-admit
                } else {
                    entry = try patient(for: identifier, at: time)
                }
                guard let key = entry.key, let value = state(identifier) else { continue }
                let encrypted = try AES256GCM.encrypt(value, key: key, associatedData: Self.patientStateAAD(name, entry.pseudonym))
                try db.cached("""
                    INSERT INTO patient_state (patient_ref, name, value) VALUES (?, ?, ?)
                    ON CONFLICT(patient_ref, name) DO UPDATE SET value = excluded.value
                    """).run(.integer(entry.ref), .text(name), .blob(encrypted.combined))
            }
        }
    }

    /// Calls `body` with each patient's state blob stored under `name` (patients whose key was
    /// erased are skipped); a row that does not authenticate goes to `onError` with its patient row.
    public func forEachPatientState(_ name: String, onError: (Int64, VaultError) -> Void,
                                    _ body: ([UInt8]) -> Void) throws(VaultError) {
        let rows = try read {
            try db.query("SELECT patient_ref, value FROM patient_state WHERE name = ? ORDER BY patient_ref", [.text(name)])
        }
        for row in rows {
            let ref = row[0].integerValue ?? -1
            guard let entry = patientsByRef[ref] else {
                onError(ref, VaultError(.corruptRow, "patient state names unknown patient row \(ref)"))
                continue
            }
            guard let key = entry.key else { continue }  // erased
            do {
                body(try AES256GCM.decrypt(try AES256GCM.EncryptedBox(combined: row[1].blobValue ?? []), key: key,
                                        associatedData: Self.patientStateAAD(name, entry.pseudonym)))
            } catch {
                onError(ref, VaultError(.corruptRow, "patient state \(name) does not authenticate", underlying: error))
            }
        }
    }

    static func patientStateAAD(_ name: String, _ pseudonym: [UInt8]) -> [UInt8] {
        Array("vg-patient-state-v1:\(name):".utf8) + pseudonym
    }
}
