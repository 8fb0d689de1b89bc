import Cryptography
import SQLite
import Telemetry

/// What an erasure did.
public struct ErasureRecord: Sendable, Equatable {
    /// Hex of the patient's keyed pseudonym (what the event records; never the identifier).
    public var pseudonym: String
    /// Readings whose content became unreadable.
    public var readings: Int
    public var at: Int64
}

extension Vault {
    /// Crypto-erases a patient: destroys their wrapped data key and encrypted identifier, so their
    /// readings, salts and alerts can no longer be decrypted, while commitments, batches and
    /// checkpoints (which never held content) keep verifying. Recorded as a `patient_erased`
    /// event naming the operator and the pseudonym.
    ///
    /// Run it with the agent stopped: a running agent keeps the data key it already unwrapped in
    /// memory until it restarts.
    public func erasePatient(_ identifier: String, by operatorName: String, at time: Int64) throws(VaultError)
        -> ErasureRecord {
        guard let entry = patientsByIdentifier[identifier] else {
            throw VaultError(.notFound, "no patient with that identifier (already erased, or never seen)")
        }
        let pseudonymHex = entry.pseudonym.hexString
        let count = try write { () throws -> Int in
            try db.cached("UPDATE patients SET wrapped_key = NULL, identifier_ct = NULL, erased_at = ? WHERE id = ?")
                .run(.integer(time), .integer(entry.ref))
            let detail = JSONWriter.canonicalString(.object([
                ("by", .string(operatorName)), ("pseudonym", .string(pseudonymHex)),
            ]))
            try db.cached("INSERT INTO events (at, device, type, detail, patient_ref) VALUES (?, ?, ?, ?, ?)")
                .run(.integer(time), .text("-"), .text("patient_erased"), .text(detail), .integer(entry.ref))
            return Int(try db.query("SELECT count(*) FROM readings WHERE patient_ref = ?", [.integer(entry.ref)])
                .first?.first?.integerValue ?? 0)
        }
        patientsByIdentifier[identifier] = nil
        patientsByRef[entry.ref] = PatientEntry(ref: entry.ref, pseudonym: entry.pseudonym, key: nil, identifier: nil)
        return ErasureRecord(pseudonym: pseudonymHex, readings: count, at: time)
    }
}
