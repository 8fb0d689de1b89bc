import Cryptography
import SQLite
import Telemetry

/// The highest version of a consent record this vault accepted, and the digest of that document.
public struct ConsentHighWater: Sendable, Equatable {
    /// The version.
    public var version: UInt64
    /// SHA-256 of the canonical document accepted at that version.
    public var digest: [UInt8]

    /// Creates a mark.
    public init(version: UInt64, digest: [UInt8]) {
        self.version = version
        self.digest = digest
    }
}

/// A stored consent document: the patient it is about and the signed envelope.
public struct StoredConsent: Sendable, Equatable {
    /// The patient identifier.
    public var patient: String
    /// The signed envelope, as accepted.
    public var envelope: [UInt8]

    /// Creates a stored document.
    public init(patient: String, envelope: [UInt8]) {
        self.patient = patient
        self.envelope = envelope
    }
}

/// What an accepted consent document makes the vault store.
public struct ConsentAcceptance: Sendable {
    /// The patient identifier (the MRN).
    public var patient: String
    /// The record's key (``Vault/consentRecordKey(patient:id:)``).
    public var recordKey: [UInt8]
    /// The record's version.
    public var version: UInt64
    /// SHA-256 of the canonical document.
    public var digest: [UInt8]
    /// The signed envelope.
    public var envelope: [UInt8]

    /// Creates an acceptance.
    public init(patient: String, recordKey: [UInt8], version: UInt64, digest: [UInt8], envelope: [UInt8]) {
        self.patient = patient
        self.recordKey = recordKey
        self.version = version
        self.digest = digest
        self.envelope = envelope
    }
}

extension Vault {
    static let consentRecordDomain = "consent-record-v1"

    /// The key of a patient's consent record: HMAC (gateway key) of the patient identifier and the
    /// record id. It names no patient, and it outlives an erasure (the record's high-water mark).
    public func consentRecordKey(patient: String, id: String) -> [UInt8] {
        keys.keyedDigest(Self.lengthPrefixed(patient) + Self.lengthPrefixed(id), domain: Self.consentRecordDomain)
    }

    /// The highest version accepted for `recordKey`, also for a patient erased since.
    public func consentHighWater(_ recordKey: [UInt8]) throws(VaultError) -> ConsentHighWater? {
        let rows = try read {
            try db.query("SELECT version, digest FROM consent_high_water WHERE record_key = ?", [.blob(recordKey)])
        }
        guard let row = rows.first, let version = row[0].integerValue, let digest = row[1].blobValue else { return nil }
        return ConsentHighWater(version: UInt64(clamping: version), digest: digest)
    }

    /// Stores an accepted consent document in one transaction: the envelope encrypted under the
    /// patient's data key (admitting the patient if new, or re-admitting one erased), the
    /// record's high-water mark, and a `consent_applied` event whose detail is `detail`.
    public func storeConsent(_ accepted: ConsentAcceptance, detail: [UInt8], at time: Int64) throws(VaultError) {
        guard let version = Int64(exactly: accepted.version) else {
            throw VaultError(.rejected, "consent version out of range")
        }
        try write {
            let entry = try patient(for: accepted.patient, at: time)
            guard let key = entry.key else { throw VaultError(.erased, "the patient's data key was erased") }
            let box = try AES256GCM.encrypt(accepted.envelope, key: key,
                                            associatedData: Self.consentAAD(accepted.recordKey, version: accepted.version))
            try db.cached("""
                INSERT INTO consent_records (record_key, patient_ref, version, document) VALUES (?, ?, ?, ?)
                ON CONFLICT(record_key) DO UPDATE SET patient_ref = excluded.patient_ref, version = excluded.version,
                                                      document = excluded.document
                """).run(.blob(accepted.recordKey), .integer(entry.ref), .integer(version), .blob(box.combined))
            try db.cached("""
                INSERT INTO consent_high_water (record_key, version, digest) VALUES (?, ?, ?)
                ON CONFLICT(record_key) DO UPDATE SET version = excluded.version, digest = excluded.digest
                """).run(.blob(accepted.recordKey), .integer(version), .blob(accepted.digest))
            try db.cached("INSERT INTO events (at, device, type, detail, patient_ref) VALUES (?, ?, ?, ?, NULL)")
                .run(.integer(time), .text("-"), .text("consent_applied"), .text(String(decoding: detail, as: UTF8.self)))
        }
    }

    /// Every stored consent document of the patients not erased (what the agent loads at start).
    /// - Throws: ``VaultError`` `.corruptRow` if a row does not authenticate.
    public func consentDocuments() throws(VaultError) -> [StoredConsent] {
        try consentDocuments(where: "", [])
    }

    /// The stored consent documents of `patient` (none once erased).
    public func consentDocuments(patient: String) throws(VaultError) -> [StoredConsent] {
        guard let entry = patientsByIdentifier[patient] else { return [] }
        return try consentDocuments(where: " WHERE patient_ref = ?", [.integer(entry.ref)])
    }

    private func consentDocuments(where clause: String, _ arguments: [SQLiteValue]) throws(VaultError) -> [StoredConsent] {
        let rows = try read {
            try db.query("SELECT record_key, patient_ref, version, document FROM consent_records\(clause) ORDER BY rowid",
                         arguments)
        }
        var result: [StoredConsent] = []
        for row in rows {
            guard let recordKey = row[0].blobValue, let ref = row[1].integerValue, let version = row[2].integerValue,
                  let blob = row[3].blobValue else { continue }
            guard let entry = patientsByRef[ref], let key = entry.key, let patient = entry.identifier else { continue }
            do {
                let plain = try AES256GCM.decrypt(try AES256GCM.EncryptedBox(combined: blob), key: key,
                                                  associatedData: Self.consentAAD(recordKey, version: UInt64(clamping: version)))
                result.append(StoredConsent(patient: patient, envelope: plain))
            } catch {
                throw VaultError(.corruptRow, "a consent record does not authenticate", underlying: error)
            }
        }
        return result
    }

    /// `consent_records` (audit): each stored document must authenticate under its patient's key
    /// bound to its record key and version, and must not be newer than its record's high-water
    /// mark. Rows of erased patients are skipped (their key is gone). Named by row id.
    func auditConsentRecords(into report: inout AuditReport) throws(VaultError) {
        try read {
            let rows = try db.prepare("""
                SELECT c.rowid, c.record_key, c.patient_ref, c.version, c.document, h.version
                FROM consent_records c LEFT JOIN consent_high_water h ON h.record_key = c.record_key ORDER BY c.rowid
                """)
            while try rows.step() {
                let row = rows.int64(0)
                guard let entry = patientsByRef[rows.int64(2)] else {
                    report.add("consent_records", row, "names no patient row")
                    continue
                }
                guard let key = entry.key else { continue }  // erased
                report.consentRecordsChecked += 1
                let version = UInt64(clamping: rows.int64(3))
                let opened = try? AES256GCM.decrypt(try AES256GCM.EncryptedBox(combined: rows.blob(4) ?? []), key: key,
                                                    associatedData: Self.consentAAD(rows.blob(1) ?? [], version: version))
                if opened == nil { report.add("consent_records", row, "document does not authenticate (altered or moved)") }
                if rows.isNull(5) || UInt64(clamping: rows.int64(5)) < version {
                    report.add("consent_records", row, "version above its record's high-water mark")
                }
            }
        }
    }

    /// Binds a stored document to its record and version.
    static func consentAAD(_ recordKey: [UInt8], version: UInt64) -> [UInt8] {
        var aad = Array("vg-consent-v1".utf8) + recordKey
        for shift in stride(from: 56, through: 0, by: -8) { aad.append(UInt8(truncatingIfNeeded: version >> UInt64(shift))) }
        return aad
    }

    private static func lengthPrefixed(_ text: String) -> [UInt8] {
        let bytes = Array(text.utf8)
        let count = UInt32(clamping: bytes.count)
        return [UInt8(count >> 24), UInt8((count >> 16) & 0xFF), UInt8((count >> 8) & 0xFF), UInt8(count & 0xFF)] + bytes
    }
}
