import Cryptography
import SQLite
import Telemetry

/// A reading row's clear columns that its content is read with: plaintext v3 rows (`format` 3)
/// leave these header fields out of the ciphertext and bind them through its associated data.
struct ReadingRowColumns {
    var device: String
    var kind: String
    var seq: Int64
    var deviceTime: Int64
    var model: String
    var schemaID: String
    /// `readings.format`: 3 for plaintext v3; NULL (`nil`) for the older rows, whose plaintext
    /// version is its first byte.
    var format: Int64?

    /// The columns, in this order, that ``init(_:at:)`` reads from a statement.
    static let select = "device, kind, seq, device_time, model, schema_id, format"

    /// ``select`` with each column qualified by `table` (an alias in a join).
    static func select(of table: String) -> String {
        select.split(separator: ", ").map { "\(table).\($0)" }.joined(separator: ", ")
    }

    /// Reads the columns of ``select`` from `statement`, starting at column `first`.
    init(_ statement: Statement, at first: Int) {
        device = statement.text(first) ?? ""
        kind = statement.text(first + 1) ?? ""
        seq = statement.int64(first + 2)
        deviceTime = statement.int64(first + 3)
        model = statement.text(first + 4) ?? ""
        schemaID = statement.text(first + 5) ?? ""
        format = statement.isNull(first + 6) ? nil : statement.int64(first + 6)
    }

    /// Reads the columns of ``select`` from a row, starting at column `first`.
    init(row: [SQLiteValue], at first: Int) {
        device = row[first].textValue ?? ""
        kind = row[first + 1].textValue ?? ""
        seq = row[first + 2].integerValue ?? 0
        deviceTime = row[first + 3].integerValue ?? 0
        model = row[first + 4].textValue ?? ""
        schemaID = row[first + 5].textValue ?? ""
        format = row[first + 6].integerValue
    }
}

/// What a reading row holds: its salt (absent in plaintext v1), its canonical bytes, and, for
/// plaintext v3, the reading they were rebuilt from.
struct ReadingRowContent {
    var salt: [UInt8]?
    var canonical: [UInt8]
    var reading: Reading?
}

extension Vault {
    /// `readings.format` of rows written in plaintext v3.
    static let compactFormat: Int64 = 3

    /// Associated data of a plaintext v3 row: the row id and every clear column its canonical
    /// bytes are rebuilt from, so that a changed column fails authentication like a changed
    /// ciphertext. `"vg-reading-v3" ‖ id (8 bytes, big-endian) ‖ seq (4) ‖ device time (8) ‖`
    /// then device, kind, model and schema id, each as a LEB128 length and its UTF-8 bytes.
    static func readingAADv3(id: Int64, device: String, kind: String, seq: UInt32, deviceTime: Int64,
                             model: String, schemaID: String) -> [UInt8] {
        var aad: [UInt8] = []
        aad.reserveCapacity(readingAADv3Prefix.count + 24 + device.utf8.count + kind.utf8.count + model.utf8.count
                            + schemaID.utf8.count)
        aad.append(contentsOf: readingAADv3Prefix)
        withUnsafeBytes(of: id.bigEndian) { aad.append(contentsOf: $0) }
        withUnsafeBytes(of: seq.bigEndian) { aad.append(contentsOf: $0) }
        withUnsafeBytes(of: deviceTime.bigEndian) { aad.append(contentsOf: $0) }
        CompactReading.writeString(device, into: &aad)  // one call each: no array of the four per reading
        CompactReading.writeString(kind, into: &aad)
        CompactReading.writeString(model, into: &aad)
        CompactReading.writeString(schemaID, into: &aad)
        return aad
    }

    private static let readingAADv3Prefix = Array("vg-reading-v3".utf8)

    /// Decrypts a reading row (under the key of its patient) into its salt, canonical bytes and,
    /// for plaintext v3, the reading. Throws `.erased` when the patient's key is gone, `.pruned`
    /// when retention removed the content, and `.corruptRow` when the row does not authenticate
    /// or decode.
    func readingContent(id: Int64, columns: ReadingRowColumns, patientRef: Int64?, ciphertext: [UInt8],
                        receivedAt: Int64) throws(VaultError) -> ReadingRowContent {
        // Retention: a pruned row keeps only its tombstone, whatever its format.
        if Self.isPrunedContent(ciphertext) { throw VaultError(.pruned, "reading \(id)'s content was pruned") }
        guard columns.format == Self.compactFormat else {
            let plaintext = try decryptedPlaintext(id: id, device: columns.device, patientRef: patientRef,
                                                   ciphertext: ciphertext)
            switch plaintext.first {
            case ReadingPlaintext.version1?: return ReadingRowContent(salt: nil, canonical: Array(plaintext.dropFirst()))
            case ReadingPlaintext.version2? where plaintext.count > 33:
                return ReadingRowContent(salt: Array(plaintext[1..<33]), canonical: Array(plaintext[33...]))
            default: throw VaultError(.corruptRow, "reading \(id) has an unknown plaintext version")
            }
        }
        guard let device = DeviceID(columns.device), let kind = MessageKind(rawValue: columns.kind),
              let seq = UInt32(exactly: columns.seq) else {
            throw VaultError(.corruptRow, "reading \(id) has malformed clear columns")
        }
        let key = try contentKey(patientRef: patientRef)
        let plaintext: [UInt8]
        do {
            plaintext = try AES256GCM.decrypt(
                try AES256GCM.EncryptedBox(combined: ciphertext), key: key,
                associatedData: Self.readingAADv3(id: id, device: columns.device, kind: columns.kind, seq: seq,
                                                  deviceTime: columns.deviceTime, model: columns.model,
                                                  schemaID: columns.schemaID))
        } catch {
            throw VaultError(.corruptRow, "reading \(id) does not authenticate", underlying: error)
        }
        guard plaintext.first == ReadingPlaintext.version3, plaintext.count >= 33 else {
            throw VaultError(.corruptRow, "reading \(id) of format 3 has plaintext version \(plaintext.first ?? 0)")
        }
        do {
            let reading = try CompactReading.reading(
                body: plaintext[33...], device: device, kind: kind, schemaID: columns.schemaID, model: columns.model,
                seq: seq, deviceTime: columns.deviceTime, receivedAt: receivedAt)
            return ReadingRowContent(salt: Array(plaintext[1..<33]), canonical: reading.canonicalBytes, reading: reading)
        } catch {
            throw VaultError(.corruptRow, "reading \(id) does not decode", underlying: error)
        }
    }
}
