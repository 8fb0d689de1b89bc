public import Consent
import Cryptography
import SQLite
public import Telemetry

/// One entry of a patient's disclosure log, as `vitalgate disclosures` lists it.
public struct DisclosureEntry: Sendable, Equatable {
    /// The id of the disclosure's sealed record (`vitalgate prove --disclosure ID`).
    public var recordID: Int64
    /// When it was disclosed (ms since the epoch; kept in clear, so listed after erasure too).
    public var at: Int64
    /// What was disclosed; `nil` once the patient was erased (the record's content went with
    /// their key; its commitment stays in its batch, and its proof still verifies).
    public var disclosure: Disclosure?
    /// Whether its batch is sealed (until then it is recorded but not yet provable).
    public var sealed: Bool

    /// Creates an entry.
    public init(recordID: Int64, at: Int64, disclosure: Disclosure? = nil, sealed: Bool) {
        self.recordID = recordID
        self.at = at
        self.disclosure = disclosure
        self.sealed = sealed
    }

    /// Whether the patient was erased since.
    public var erased: Bool { disclosure == nil }

    /// As `vitalgate disclosures --json` prints it: the record's members (or `erased`), with
    /// `record_id`, `sealed` and `break_glass`.
    public var json: JSONValue {
        var members: [(key: String, value: JSONValue)] = [
            ("record_id", .number(Double(recordID))), ("at", .number(Double(at))), ("sealed", .bool(sealed)),
            ("erased", .bool(erased)),
        ]
        if let disclosure {
            members.append(("break_glass", .bool(disclosure.isBreakGlass)))
            for member in disclosure.recordJSON.objectValue ?? [] where !["type", "v", "patient"].contains(member.key) {
                members.append(member)
            }
        }
        return .object(members)
    }
}

/// The disclosure log (issue 21; docs/CONSENT.md, "Disclosure log"): every delivery and export
/// of a patient's data is a sealed record, provable like a reading.
///
/// **Who writes, who seals.** Any connection records disclosures (a delivery worker on its
/// thread, `vitalgate export`): the records are committed rows of `readings` (kind `event`,
/// schema `disclosure-v1`, under the patient's data key) and of `disclosures`. Only the agent's
/// vault seals them, as it seals the sealed records `erase-patient` writes beside it: its next
/// store (`syncReadingIDs`), or its next sealing tick or stop (``adoptForeignRecords(at:)``),
/// counts them into the open batch. One sealing path: nothing but `SealingLog` closes batches.
extension Vault {
    /// Records `disclosures` in one transaction: for each, a sealed record under the patient's
    /// data key (the patient is admitted under a new key if unknown, or erased since the data
    /// left) and its `disclosures` row. The agent's vault counts them into its open batch at
    /// once; any other connection leaves them for the agent (see the extension's notes).
    /// - Returns: the ids of the sealed records, in the order given.
    @discardableResult
    public func recordDisclosures(_ disclosures: [Disclosure]) throws(VaultError) -> [Int64] {
        guard !disclosures.isEmpty else { return [] }
        return try recordDisclosures(disclosures) { [] }
    }

    /// Moves `sink`'s cursor and accounts the delivery's `disclosures` in one transaction (the
    /// delivery path's exactly-once accounting): a crash before it commits leaves both as they
    /// were, so the records are delivered again and accounted then, once; a crash after it leaves
    /// both done. With `windowMs` 0 each disclosure is sealed at once; otherwise it joins the
    /// sink's open aggregate for its patient (``accumulateDisclosures(_:sink:)``), and the
    /// aggregates opened `windowMs` or more ago are sealed. See
    /// ``advanceSinkCursor(_:to:delivered:deadLetters:held:skipped:at:)``.
    /// - Returns: the ids of the sealed records.
    @discardableResult
    public func advanceSinkCursor(_ sink: String, to lastID: Int64, delivered: Int, deadLetters: [(Int64, String)],
                                  held: [ConsentHold] = [], skipped: [(Int64, String)] = [], at time: Int64,
                                  disclosures: [Disclosure], windowMs: Int64 = 0) throws(VaultError) -> [Int64] {
        guard !disclosures.isEmpty else {
            try advanceSinkCursor(sink, to: lastID, delivered: delivered, deadLetters: deadLetters, held: held, skipped: skipped,
                                  at: time)
            return []
        }
        return try recordDisclosures(windowMs > 0 ? [] : disclosures) {
            try advanceSinkCursorRows(sink, to: lastID, delivered: delivered, deadLetters: deadLetters, held: held,
                                      skipped: skipped, at: time)
            guard windowMs > 0 else { return [] }
            // The windows that ended are sealed first: this delivery opens the next.
            let due = try takeDisclosureAggregates(sink: sink, openedBy: time - windowMs)
            try accumulateDisclosures(disclosures, sink: sink)
            return due
        }
    }

    /// Records `disclosures` after running `alongside` in the same write transaction, and seals
    /// the disclosures `alongside` returns (aggregates whose window ended) after them.
    func recordDisclosures(_ disclosures: [Disclosure], alongside: () throws -> [Disclosure]) throws(VaultError)
        -> [Int64] {
        try forgetErasedPatients()  // never write under a key erased through another connection
        let patientsBefore = (patientsByIdentifier, patientsByRef)
        let idBefore = nextReadingID
        var ids: [Int64] = []
        var inserted = SealingLog.Pending()
        do {
            try write {
                let sealing = disclosures + (try alongside())
                guard let latest = sealing.map(\.disclosedAt).max() else { return }
                let foreign = try syncReadingIDs()
                ids = try insertDisclosureRecords(sealing)
                inserted = try sealingLog.recordsInserted(foreign + sealing.count, at: latest)
            }
        } catch {
            (patientsByIdentifier, patientsByRef) = patientsBefore
            nextReadingID = idBefore
            throw error
        }
        sealingLog.committed(inserted)
        return ids
    }

    /// The sealed records of `disclosures` and their `disclosures` rows, inside the caller's
    /// write transaction (``syncReadingIDs()`` done): the ids they took, in the order given.
    func insertDisclosureRecords(_ disclosures: [Disclosure]) throws -> [Int64] {
        var ids: [Int64] = []
        for disclosure in disclosures {
            let entry = try liveEntry(for: disclosure.patient, at: disclosure.disclosedAt)
            let id = nextReadingID
            try insertSealedRecord(id: id, canonical: disclosure.recordBytes, at: disclosure.disclosedAt,
                                   schema: Disclosure.recordSchema, patientRef: entry.ref, key: entry.key)
            try db.cached("INSERT INTO disclosures (record_id, patient_ref, at) VALUES (?, ?, ?)")
                .run(.integer(id), .integer(entry.ref), .integer(disclosure.disclosedAt))
            nextReadingID += 1
            ids.append(id)
        }
        return ids
    }

    /// The patient's entry, checked under the write lock: an erasure committed through another
    /// connection since ``forgetErasedPatients()`` looked must not be written under (the patient
    /// is then admitted under a new row and key, as a later reading would be).
    func liveEntry(for identifier: String, at time: Int64) throws -> PatientEntry {
        let entry = try patient(for: identifier, at: time)
        let erased = try db.cached("SELECT wrapped_key IS NULL FROM patients WHERE id = ?").firstRow(.integer(entry.ref))?
            .first?.integerValue ?? 1
        guard erased != 0 else { return entry }
        patientsByIdentifier[identifier] = nil
        patientsByRef[entry.ref] = PatientEntry(ref: entry.ref, pseudonym: entry.pseudonym, key: nil, identifier: nil)
        sealers.removeAll()
        return try patient(for: identifier, at: time)
    }

    /// The agent's vault (sealing on) counts into its open batch the sealed records other
    /// connections committed since it last wrote (disclosures, an erasure): the batch policy
    /// then closes them as any other. A no-op, without the write lock, when there are none.
    /// Returns how many it adopted.
    @discardableResult
    func adoptForeignRecords(at now: Int64) throws(VaultError) -> Int {
        guard sealingLog.isEnabled else { return 0 }
        let newest = try read {
            try db.cached(Self.highestReadingIDQuery).firstRow()?.first?.integerValue ?? 0
        }
        guard newest >= nextReadingID else { return 0 }
        var adopted = 0
        var inserted = SealingLog.Pending()
        try write {
            adopted = try syncReadingIDs()
            inserted = try sealingLog.recordsInserted(adopted, at: now)
        }
        sealingLog.committed(inserted)
        return adopted
    }

    /// The disclosure log of the patient `identifier` (including what was recorded under rows of
    /// theirs that were erased since: listed as erased), oldest first, from `since` (ms) on.
    /// - Throws: ``VaultError`` `.notFound` when the vault never held that patient;
    ///   `.corruptRow` for a record that does not authenticate or read.
    public func disclosures(patient identifier: String, since: Int64? = nil) throws(VaultError) -> [DisclosureEntry] {
        try forgetErasedPatients()
        let pseudonym = self.pseudonym(of: identifier)
        let refs = try read {
            try db.query("SELECT id FROM patients WHERE pseudonym = ? OR erased_pseudonym = ?",
                         [.blob(pseudonym), .blob(pseudonym)]).compactMap { $0.first?.integerValue }
        }
        guard !refs.isEmpty else { throw VaultError(.notFound, "no patient with that identifier in this vault") }
        if refs.contains(where: { patientsByRef[$0] == nil }) { try loadPatients() }  // admitted through another connection
        let placeholders = refs.map { _ in "?" }.joined(separator: ", ")
        let (rows, sealedThrough) = try read { () throws -> ([[SQLiteValue]], Int64) in
            let rows = try db.query("""
                SELECT d.record_id, d.at, r.patient_ref, r.device, r.ciphertext, r.schema_id FROM disclosures d
                LEFT JOIN readings r ON r.id = d.record_id
                WHERE d.patient_ref IN (\(placeholders)) AND d.at >= ? ORDER BY d.at, d.record_id
                """, refs.map { .integer($0) } + [.integer(since ?? .min)])
            let sealed = try db.query("SELECT coalesce(max(last_id), 0) FROM batches").first?.first?.integerValue ?? 0
            return (rows, sealed)
        }
        var entries: [DisclosureEntry] = []
        for row in rows {
            let id = row[0].integerValue ?? 0
            var entry = DisclosureEntry(recordID: id, at: row[1].integerValue ?? 0, sealed: id <= sealedThrough)
            do {
                entry.disclosure = try disclosureRecord(id: id, patientRef: row[2].integerValue, device: row[3].textValue,
                                                        ciphertext: row[4].blobValue, schema: row[5].textValue)
            } catch where error.code == .erased {}  // listed as erased
            entries.append(entry)
        }
        return entries
    }

    /// Throws ``VaultError`` `.notFound` unless `id` is a disclosure's sealed record (erased or not).
    public func requireDisclosureRecord(_ id: Int64) throws(VaultError) {
        let schema = try read {
            try db.query("SELECT schema_id FROM readings WHERE id = ? AND kind = 'event'", [.integer(id)]).first?.first?.textValue
        }
        guard schema == Disclosure.recordSchema else {
            throw VaultError(.notFound, "record \(id) is not a disclosure (see `vitalgate disclosures --patient`)")
        }
    }

    /// The disclosure that sealed record `id` holds.
    /// - Throws: ``VaultError`` `.notFound` when `id` is not a disclosure's record; `.erased`
    ///   when its patient was erased; `.corruptRow` when it does not authenticate or read.
    public func disclosure(recordID id: Int64) throws(VaultError) -> Disclosure {
        let row = try read {
            try db.query("SELECT patient_ref, device, ciphertext, schema_id FROM readings WHERE id = ?", [.integer(id)]).first
        }
        guard let row, row[3].textValue == Disclosure.recordSchema else {
            throw VaultError(.notFound, "record \(id) is not a disclosure (see `vitalgate disclosures --patient`)")
        }
        if let ref = row[0].integerValue, patientsByRef[ref] == nil { try loadPatients() }
        return try disclosureRecord(id: id, patientRef: row[0].integerValue, device: row[1].textValue,
                                    ciphertext: row[2].blobValue, schema: row[3].textValue)
    }

    /// Decrypts and reads a disclosure's sealed record (a row of `readings`).
    func disclosureRecord(id: Int64, patientRef: Int64?, device: String?, ciphertext: [UInt8]?, schema: String?)
        throws(VaultError) -> Disclosure {
        guard let device, let ciphertext, schema == Disclosure.recordSchema else {
            throw VaultError(.corruptRow, "disclosure \(id) has no sealed record of schema \(Disclosure.recordSchema)")
        }
        let plaintext = try decryptedPlaintext(id: id, device: device, patientRef: patientRef, ciphertext: ciphertext)
        guard plaintext.first == ReadingPlaintext.version2, plaintext.count > 33 else {
            throw VaultError(.corruptRow, "disclosure \(id) has an unknown plaintext version")
        }
        do {
            return try Disclosure(recordJSON: try JSONParser().parse(Array(plaintext[33...])))
        } catch let error as VaultError {
            throw VaultError(.corruptRow, "disclosure \(id) does not read: \(error.reason)")
        } catch {
            throw VaultError(.corruptRow, "disclosure \(id) is not JSON", underlying: error)
        }
    }
}
