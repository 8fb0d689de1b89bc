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
    /// Id of the sealed record of this erasure (provable with `prove` once its batch closes).
    public var sealedRecordID: Int64
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
        let recordID = nextReadingID
        var sealed: SealingState?
        let count = try write { () throws -> Int in
            try db.cached("UPDATE patients SET wrapped_key = NULL, identifier_ct = NULL, erased_at = ? WHERE id = ?")
                .run(.integer(time), .integer(entry.ref))
            try db.cached("DELETE FROM patient_state WHERE patient_ref = ?").run(.integer(entry.ref))
            let detail = JSONWriter.canonicalString(.object([
                ("by", .string(operatorName)), ("pseudonym", .string(pseudonymHex)),
            ]))
            try db.cached("INSERT INTO events (at, device, type, detail, patient_ref) VALUES (?, ?, ?, ?, ?)")
                .run(.integer(time), .text("-"), .text("patient_erased"), .text(detail), .integer(entry.ref))
            // The erasure is also sealed: a vault row of kind `event` with a salted commitment over
            // its canonical JSON (who, when, which pseudonym; never the identifier), batched and
            // provable like a reading.
            let record = JSONWriter.canonicalBytes(.object([
                ("type", .string("patient_erased")), ("by", .string(operatorName)),
                ("pseudonym", .string(pseudonymHex)), ("at", .number(Double(time))), ("v", .number(1)),
            ]))
            try insertSealedRecord(id: recordID, canonical: record, at: time)
            sealed = try sealWithinStore(1, at: time)  // sealed by the batch policy; otherwise at the next tick or stop
            return Int(try db.query("SELECT count(*) FROM readings WHERE patient_ref = ? AND kind != 'event'",
                                    [.integer(entry.ref)])
                .first?.first?.integerValue ?? 0)
        }
        nextReadingID += 1
        patientsByIdentifier[identifier] = nil
        patientsByRef[entry.ref] = PatientEntry(ref: entry.ref, pseudonym: entry.pseudonym, key: nil, identifier: nil)
        if let sealed { sealing = sealed }
        return ErasureRecord(pseudonym: pseudonymHex, readings: count, at: time, sealedRecordID: recordID)
    }
}

extension Vault {
    /// Inserts a sealed non-reading record (kind `event`, provable like a reading): under the
    /// gateway key, or under a patient's data key when it concerns a patient (an alert), so that
    /// erasing the patient erases it too.
    func insertSealedRecord(id: Int64, canonical: [UInt8], at time: Int64, schema: String = "event-v1",
                            device: String = "-", patientRef: Int64? = nil, key: [UInt8]? = nil) throws {
        var plaintext = [ReadingPlaintext.version2]
        plaintext.append(contentsOf: nonces.bytes(32))
        plaintext.append(contentsOf: canonical)
        let commitment = SHA256.hash(plaintext.dropFirst())
        let sealed = try AES256GCM.seal(plaintext, key: key ?? gatewayKey, nonce: nonces.bytes(AES256GCM.nonceByteCount),
                                        associatedData: Self.readingAAD(id: id, device: device))
        try db.cached("""
            INSERT INTO readings (id, device, kind, seq, device_time, received_at, model, schema_id, patient_ref,
                                  digest, conflict, ciphertext, commitment)
            VALUES (?, ?, 'event', 0, ?, ?, '-', ?, ?, ?, 0, ?, ?)
            """).run(.integer(id), .text(device), .integer(time), .integer(time), .text(schema),
                     patientRef.map { .integer($0) } ?? .null, .blob(contentDigester.digest(canonical)),
                     .blob(sealed.combined), .blob(commitment))
    }
}
