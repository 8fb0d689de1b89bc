import Cryptography
import SQLite
public import Telemetry

/// Filters for `export`. Times are device times in ms since the epoch, `to` exclusive.
public struct ExportFilter: Sendable {
    public var patient: String?
    public var device: String?
    public var from: Int64?
    public var to: Int64?

    public init(patient: String? = nil, device: String? = nil, from: Int64? = nil, to: Int64? = nil) {
        self.patient = patient
        self.device = device
        self.from = from
        self.to = to
    }
}

/// A decrypted reading with its vault metadata.
public struct ExportedReading: Sendable {
    public var id: Int64
    public var patient: String?
    public var reading: Reading
    public var conflict: Bool
    public var duplicates: Int
    /// The patient's keyed pseudonym (hex), `nil` when unpaired.
    public var patientPseudonym: String? = nil

    /// The canonical reading JSON plus `id`, `patient` (null when unpaired, or when consent
    /// withheld the identity: then `patient_pseudonym` names the patient), `conflict`, `duplicates`.
    public var json: JSONValue {
        guard case .object(var members) = reading.canonicalJSON else { return reading.canonicalJSON }
        members.append(("id", .number(Double(id))))
        members.append(("received_at", .number(Double(reading.receivedAt))))
        members.append(("patient", patient.map { .string($0) } ?? .null))
        if patient == nil, let patientPseudonym { members.append(("patient_pseudonym", .string(patientPseudonym))) }
        members.append(("conflict", .bool(conflict)))
        members.append(("duplicates", .number(Double(duplicates))))
        return .object(members)
    }
}

extension Vault {
    /// Decrypts matching readings in id order. Readings of erased patients are skipped (they can
    /// no longer be read, by design); a row that fails to decrypt or decode is passed to `onError`
    /// (with its id) and skipped: one corrupt row never hides the others.
    public func export(_ filter: ExportFilter, onError: (Int64, VaultError) -> Void,
                       _ body: (ExportedReading) throws -> Void) throws {
        guard let (conditions, args) = conditions(filter, time: "device_time") else { return }
        let statement = try db.prepare("""
            SELECT id, patient_ref, conflict, duplicates, ciphertext, received_at, \(ReadingRowColumns.select)
            FROM readings WHERE kind != 'event'\(conditions) ORDER BY id
            """)
        try statement.bind(args)
        while try statement.step() {
            let id = statement.int64(0)
            let ref: Int64? = statement.isNull(1) ? nil : statement.int64(1)
            do {
                let reading = try decryptReading(id: id, columns: ReadingRowColumns(statement, at: 6), patientRef: ref,
                                                 ciphertext: statement.blob(4) ?? [], receivedAt: statement.int64(5))
                try body(ExportedReading(id: id, patient: ref.flatMap { patientsByRef[$0]?.identifier },
                                         reading: reading, conflict: statement.int64(2) != 0,
                                         duplicates: statement.int(3),
                                         patientPseudonym: ref.flatMap { patientsByRef[$0]?.pseudonym.hexString }))
            } catch let error as VaultError where error.code == .erased || error.code == .pruned {
                continue
            } catch let error as VaultError {
                onError(id, error)
            }
        }
    }

    /// A reading row's plaintext (versioned: see `ReadingPlaintext`), under the key of its patient.
    func decryptedPlaintext(id: Int64, device: String, patientRef: Int64?, ciphertext: [UInt8]) throws(VaultError)
        -> [UInt8] {
        if Self.isPrunedContent(ciphertext) { throw VaultError(.pruned, "reading \(id)'s content was pruned") }
        let key = try contentKey(patientRef: patientRef)
        do {
            return try AES256GCM.decrypt(try AES256GCM.EncryptedBox(combined: ciphertext), key: key,
                                         associatedData: Self.readingAAD(id: id, device: device))
        } catch {
            throw VaultError(.corruptRow, "reading \(id) does not authenticate", underlying: error)
        }
    }

    /// The reading a row holds (any plaintext version), under the key of its patient.
    func decryptReading(id: Int64, columns: ReadingRowColumns, patientRef: Int64?, ciphertext: [UInt8],
                        receivedAt: Int64) throws(VaultError) -> Reading {
        let content = try readingContent(id: id, columns: columns, patientRef: patientRef, ciphertext: ciphertext,
                                         receivedAt: receivedAt)
        if let reading = content.reading { return reading }
        do {
            return try Reading(canonical: content.canonical, receivedAt: receivedAt)
        } catch {
            throw VaultError(.corruptRow, "reading \(id) does not decode", underlying: error)
        }
    }
}

extension Vault {
    /// Decrypts stored alerts in id order (the alert's JSON line plus `id`, `record_id`, the
    /// sealed record to `prove`, and `patient_pseudonym`, the local alerts topic's name for the
    /// patient), optionally for one patient and from/to an alert time. Alerts of erased
    /// patients are skipped; a row that does not authenticate goes to `onError`.
    public func exportAlerts(_ filter: ExportFilter, onError: (Int64, VaultError) -> Void,
                             _ body: (JSONValue) throws -> Void) throws {
        guard let (conditions, args) = conditions(filter, time: "at") else { return }
        let statement = try db.prepare("SELECT id, patient_ref, body_ct, record_id FROM alerts WHERE 1 = 1\(conditions) ORDER BY id")
        try statement.bind(args)
        while try statement.step() {
            let id = statement.int64(0)
            do {
                let key = try contentKey(patientRef: statement.isNull(1) ? nil : statement.int64(1))
                let plaintext: [UInt8]
                do {
                    plaintext = try AES256GCM.decrypt(try AES256GCM.EncryptedBox(combined: statement.blob(2) ?? []), key: key,
                                                   associatedData: Self.alertAAD(id: id))
                } catch {
                    throw VaultError(.corruptRow, "alert \(id) does not authenticate", underlying: error)
                }
                guard case .object(var members) = try? JSONParser().parse(plaintext) else {
                    throw VaultError(.corruptRow, "alert \(id) is not a JSON object")
                }
                members.append(("id", .number(Double(id))))
                members.append(("record_id", statement.isNull(3) ? .null : .number(Double(statement.int64(3)))))
                // The name the local alerts topic gives the patient, to look it up here.
                let pseudonym = statement.isNull(1) ? nil : patientsByRef[statement.int64(1)]?.pseudonym.hexString
                members.append(("patient_pseudonym", pseudonym.map { .string($0) } ?? .null))
                try body(.object(members))
            } catch let error as VaultError where error.code == .erased || error.code == .pruned {
                continue
            } catch let error as VaultError {
                onError(id, error)
            }
        }
    }
}

extension Vault {
    /// `AND ...` conditions and their arguments for `filter` on a table with `patient_ref`,
    /// `device` and the time column `time`; `nil` when the patient is unknown (nothing matches).
    fileprivate func conditions(_ filter: ExportFilter, time: String) -> (String, [SQLiteValue])? {
        var sql = ""
        var args: [SQLiteValue] = []
        if let patient = filter.patient {
            guard let entry = patientsByIdentifier[patient] else { return nil }
            sql += " AND patient_ref = ?"
            args.append(.integer(entry.ref))
        }
        if let device = filter.device {
            sql += " AND device = ?"
            args.append(.text(device))
        }
        if let from = filter.from {
            sql += " AND \(time) >= ?"
            args.append(.integer(from))
        }
        if let to = filter.to {
            sql += " AND \(time) < ?"
            args.append(.integer(to))
        }
        return (sql, args)
    }
}
