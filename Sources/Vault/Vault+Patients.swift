import Cryptography
import SQLite
import Telemetry

/// A patient known to the vault: the row id, the keyed pseudonym, and (unless erased) the
/// unwrapped data key and the identifier.
struct PatientEntry {
    var ref: Int64
    var pseudonym: [UInt8]
    var key: [UInt8]?
    var identifier: String?
}

extension Vault {
    static let pseudonymDomain = "patient-pseudonym-v1"

    /// The keyed pseudonym for a patient identifier (hex in events and exports).
    public func pseudonym(of identifier: String) -> [UInt8] {
        keys.keyedDigest(Array(identifier.utf8), domain: Self.pseudonymDomain)
    }

    func loadPatients() throws(VaultError) {
        let rows = try read { try db.query("SELECT id, pseudonym, wrapped_key, identifier_ct FROM patients") }
        for row in rows {
            guard let entry = try patientEntry(row) else { continue }
            patientsByRef[entry.ref] = entry
            if let identifier = entry.identifier { patientsByIdentifier[identifier] = entry }
        }
    }

    /// The entry of a `patients` row (`id, pseudonym, wrapped_key, identifier_ct`): its key
    /// unwrapped and its identifier decrypted unless erased; `nil` for a row missing its id.
    func patientEntry(_ row: [SQLiteValue]) throws(VaultError) -> PatientEntry? {
        guard let ref = row[0].integerValue, let pseudonym = row[1].blobValue else { return nil }
        var entry = PatientEntry(ref: ref, pseudonym: pseudonym)
        if let wrapped = row[2].blobValue, let identifierCT = row[3].blobValue {
            let key = try keys.unwrap(wrapped, context: Array("patient-data-key".utf8) + pseudonym)
            entry.key = key
            do {
                let plain = try AES256GCM.decrypt(try AES256GCM.EncryptedBox(combined: identifierCT), key: key,
                                                  associatedData: Array("vg-patient-id-v1".utf8) + pseudonym)
                entry.identifier = String(decoding: plain, as: UTF8.self)
            } catch {
                throw VaultError(.corruptRow, "patient row \(ref) does not authenticate", underlying: error)
            }
        }
        return entry
    }

    /// The patient entry for `identifier`, creating the row and a fresh data key on first sight.
    /// Must run inside a write transaction.
    func patient(for identifier: String, at time: Int64) throws -> PatientEntry {
        if let entry = patientsByIdentifier[identifier] { return entry }
        let pseudonym = self.pseudonym(of: identifier)
        // A live row this vault has not loaded (written through another connection): use its key.
        if let row = try db.cached("SELECT id, wrapped_key FROM patients WHERE pseudonym = ?").firstRow(.blob(pseudonym)),
           let ref = row[0].integerValue, let existingWrapped = row[1].blobValue {
            let entry = PatientEntry(ref: ref, pseudonym: pseudonym,
                                     key: try keys.unwrap(existingWrapped, context: Array("patient-data-key".utf8) + pseudonym),
                                     identifier: identifier)
            patientsByIdentifier[identifier] = entry
            patientsByRef[ref] = entry
            return entry
        }
        // New, or re-admitted after an erasure (the erased row gave up its pseudonym): a new row and key.
        let key = SecureRandom.bytes(32)
        let wrapped = try keys.wrap(key, context: Array("patient-data-key".utf8) + pseudonym)
        let identifierCT = try AES256GCM.encrypt(Array(identifier.utf8), key: key,
                                              associatedData: Array("vg-patient-id-v1".utf8) + pseudonym).combined
        try db.cached("INSERT INTO patients (pseudonym, wrapped_key, identifier_ct, created_at) VALUES (?, ?, ?, ?)")
            .run(.blob(pseudonym), .blob(wrapped), .blob(identifierCT), .integer(time))
        let entry = PatientEntry(ref: db.lastInsertRowID, pseudonym: pseudonym, key: key, identifier: identifier)
        patientsByIdentifier[identifier] = entry
        patientsByRef[entry.ref] = entry
        return entry
    }

    /// The key and identifier under which `patientRef`'s content is stored (`nil` ref = gateway key).
    func contentKey(patientRef: Int64?) throws(VaultError) -> [UInt8] {
        guard let ref = patientRef else { return gatewayKey }
        guard let entry = patientsByRef[ref] else { throw VaultError(.corruptRow, "reading names unknown patient row \(ref)") }
        guard let key = entry.key else { throw VaultError(.erased, "the patient's data key was erased") }
        return key
    }
}

extension Statement {
    /// Binds, steps once, and returns the first column of the first row as an integer.
    func query1(_ values: [SQLiteValue]) throws -> Int64? {
        try bind(values)
        defer { reset() }
        return try step() ? int64(0) : nil
    }
}
