import Cryptography
import Sealing
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
    /// A running agent picks the erasure up within seconds (`refreshErasures`); readings it
    /// stores for the patient in between are under the destroyed key, so they are erased too,
    /// and their digests are scrubbed when it notices, or, if it stops first, when the next agent
    /// opens the vault (`settleErasures`, from the marker this leaves).
    public func erasePatient(_ identifier: String, by operatorName: String, at time: Int64) throws(VaultError)
        -> ErasureRecord {
        guard let entry = patientsByIdentifier[identifier] else {
            throw VaultError(.notFound, "no patient with that identifier (already erased, or never seen)")
        }
        let pseudonymHex = entry.pseudonym.hexString
        let idBefore = nextReadingID
        var recordID: Int64 = 0
        var inserted = SealingLog.Pending()
        let count: Int
        do { count = try write { () throws -> Int in
            let foreign = try syncReadingIDs()
            // The patient's open disclosure aggregates are sealed first, under the key about to
            // go: the log then lists them (as erased), and their proofs verify.
            let aggregates = try insertDisclosureRecords(try takeDisclosureAggregates(sink: nil, patientRef: entry.ref)).count
            recordID = nextReadingID
            // The row gives up its pseudonym: a later re-admission gets a new row (DECISIONS 16).
            try db.cached("""
                UPDATE patients SET wrapped_key = NULL, identifier_ct = NULL, erased_at = ?,
                                    erased_pseudonym = pseudonym, pseudonym = randomblob(32)
                WHERE id = ?
                """).run(.integer(time), .integer(entry.ref))
            try db.cached("DELETE FROM patient_state WHERE patient_ref = ?").run(.integer(entry.ref))
            try db.cached("DELETE FROM consent_records WHERE patient_ref = ?").run(.integer(entry.ref))
            try scrubContentDigests(patientRef: entry.ref)
            if !isExclusiveWriter {
                // The agent may hold the patient's key and store under it until it notices; should
                // it stop first, its next start scrubs the rows from this record on.
                try db.cached("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)")
                    .run(.text(Self.unsettledErasureKey(entry.ref)), .integer(recordID))
            }
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
            // Sealed by the batch policy; otherwise at the next tick or stop.
            inserted = try sealingLog.recordsInserted(foreign + aggregates + 1, at: time)
            return Int(try db.query("SELECT count(*) FROM readings WHERE patient_ref = ? AND kind != 'event'",
                                    [.integer(entry.ref)])
                .first?.first?.integerValue ?? 0)
        } } catch {
            nextReadingID = idBefore
            throw error
        }
        nextReadingID += 1
        patientsByIdentifier[identifier] = nil
        patientsByRef[entry.ref] = PatientEntry(ref: entry.ref, pseudonym: entry.pseudonym, key: nil, identifier: nil)
        sealers.removeAll()
        sealingLog.committed(inserted)
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
        let encrypted = try AES256GCM.encrypt(plaintext, key: key ?? gatewayKey, nonce: nonces.bytes(AES256GCM.nonceByteCount),
                                        associatedData: Self.readingAAD(id: id, device: device))
        try db.cached("""
            INSERT INTO readings (id, device, kind, seq, device_time, received_at, model, schema_id, patient_ref,
                                  digest, conflict, ciphertext, commitment)
            VALUES (?, ?, 'event', 0, ?, ?, '-', ?, ?, ?, 0, ?, ?)
            """).run(.integer(id), .text(device), .integer(time), .integer(time), .text(schema),
                     patientRef.map { .integer($0) } ?? .null, .blob(contentDigest(kind: "event", canonical: canonical)),
                     .blob(encrypted.combined), .blob(commitment))
        sealingLog.recordInserted(id: id, commitment: try Commitment(bytes: commitment), receivedAt: time)
    }
}

extension Vault {
    /// Picks up erasures made through another connection (`vitalgate erase-patient` while the
    /// agent runs): forgets those patients' data keys and identifiers, so their next reading
    /// re-admits them under a new key instead of using the destroyed one. Returns the
    /// identifiers this vault knew them by (to drop their detector state).
    public func refreshErasures() throws(VaultError) -> [String] {
        if isExclusiveWriter && !erasuresSettled {
            try settleErasures()  // failed when the vault was opened: retried here
        }
        // Rows this vault stored under a key destroyed since the last check are at or after the
        // mark (the erasure itself scrubbed every row committed before it).
        let since = erasureCheckMark
        let next = nextReadingID
        guard patientsByRef.values.contains(where: { $0.key != nil }) else {
            erasureCheckMark = next
            return []
        }
        let erased = try read { try db.query("SELECT id FROM patients WHERE erased_at IS NOT NULL") }
        let refs = erased.compactMap { row -> Int64? in
            guard let ref = row.first?.integerValue, patientsByRef[ref]?.key != nil else { return nil }
            return ref
        }
        guard !refs.isEmpty else {
            erasureCheckMark = next
            return []
        }
        // Readings this vault stored for them after the erasure (under the destroyed key) got
        // real content digests: scrub those too, before the patients are forgotten here (so a
        // failure is retried at the next check). Only rows from the mark on: a range of the
        // primary key, not a scan of the table.
        // Their state saved since under the destroyed key goes too, and (as the agent) their
        // erasures are settled: nothing of theirs is left for the next start to scrub.
        try write {
            for ref in refs {
                try scrubContentDigests(patientRef: ref, fromID: since)
                try db.cached("DELETE FROM patient_state WHERE patient_ref = ?").run(.integer(ref))
                try db.cached("DELETE FROM consent_records WHERE patient_ref = ?").run(.integer(ref))
                if isExclusiveWriter { try db.cached("DELETE FROM meta WHERE key = ?").run(.text(Self.unsettledErasureKey(ref))) }
            }
        }
        erasureCheckMark = next
        var forgotten: [String] = []
        for ref in refs {
            guard let entry = patientsByRef[ref] else { continue }
            if let identifier = entry.identifier {
                patientsByIdentifier[identifier] = nil
                forgotten.append(identifier)
            }
            patientsByRef[ref] = PatientEntry(ref: ref, pseudonym: entry.pseudonym, key: nil, identifier: nil)
        }
        sealers.removeAll()
        return forgotten
    }

    /// Replaces the dedupe digests of a patient's rows with zeros (inside the caller's write
    /// transaction). A digest is a keyed hash of the reading's content under the pseudonym key,
    /// which outlives the patient's data key: whoever holds the key file could test guesses of
    /// low-entropy vitals against it, so an erasure takes the digests too. A copy of an erased
    /// reading redelivered later no longer matches; it is stored (under the patient's new key,
    /// if re-admitted) and flagged as a conflict.
    func scrubContentDigests(patientRef: Int64, fromID: Int64 = 0) throws {
        try db.cached("UPDATE readings SET digest = ? WHERE id >= ? AND patient_ref = ?")
            .run(.blob(Self.scrubbedDigest), .integer(fromID), .integer(patientRef))
    }
}

extension Vault {
    /// The `meta` key that marks an erasure made beside the agent as not yet settled; its value
    /// is the id of the erasure's sealed record. Every row of the patient below that id was
    /// scrubbed by the erasure; the agent may have stored more under the destroyed key after it.
    static func unsettledErasureKey(_ patientRef: Int64) -> String { "\(unsettledErasurePrefix)\(patientRef)" }
    static let unsettledErasurePrefix = "erasure_unsettled:"

    /// Run by the agent (the exclusive writer) when it opens the vault: scrubs what a previous
    /// agent left of erasures made beside it. That agent stored readings, alerts and state for the
    /// patient under the destroyed key until it noticed the erasure (within 5 s), with real
    /// digests; if it crashed or stopped before noticing, they were never scrubbed, and `audit`
    /// flags every such digest. Bounded: only rows from the oldest unsettled erasure's record on
    /// (a range of the primary key), which the marker from `erasePatient` names.
    ///
    /// An erasure of a patient whose key this vault holds (it was committed after the patients
    /// were loaded) stays unsettled: `refreshErasures` scrubs what this vault stores meanwhile.
    /// Returns the number of digests scrubbed.
    @discardableResult
    func settleErasures() throws(VaultError) -> Int {
        let marked = try read { try unsettledErasures() }
        guard !marked.isEmpty else {
            erasuresSettled = true
            return 0
        }
        let scrubbed = try write { () throws -> Int in
            let marked = try unsettledErasures()  // under the write lock
            guard let from = marked.map(\.from).min() else { return 0 }
            try db.cached("""
                UPDATE readings SET digest = ?
                WHERE id >= ? AND digest != ? AND patient_ref IN (SELECT id FROM patients WHERE erased_at IS NOT NULL)
                """).run(.blob(Self.scrubbedDigest), .integer(from), .blob(Self.scrubbedDigest))
            let scrubbed = db.changes
            for (ref, _) in marked where patientsByRef[ref]?.key == nil {
                try db.cached("DELETE FROM patient_state WHERE patient_ref = ?").run(.integer(ref))
                try db.cached("DELETE FROM meta WHERE key = ?").run(.text(Self.unsettledErasureKey(ref)))
            }
            return scrubbed
        }
        erasuresSettled = true
        return scrubbed
    }

    /// The unsettled erasures: patient row and the id of the erasure's sealed record.
    private func unsettledErasures() throws -> [(ref: Int64, from: Int64)] {
        let prefix = Self.unsettledErasurePrefix
        // A range of meta's primary key: ';' follows ':' in ASCII.
        return try db.query("SELECT key, value FROM meta WHERE key > ? AND key < ?",
                            [.text(prefix), .text(String(prefix.dropLast()) + ";")]).compactMap { row in
            guard let key = row[0].textValue, let ref = Int64(key.dropFirst(prefix.count)),
                  let from = row[1].integerValue else { return nil }
            return (ref, from)
        }
    }
}
