import Glibc
import SQLite
import Telemetry

/// The outcome of a fleet configuration document, as the vault records it.
public struct ConfigAuditRecord: Sendable, Equatable {
    /// `config_applied`, `config_rejected` or `config_rolled_back`.
    public var type: String
    /// The canonical JSON detail: version, hash, target, signer key ids, code, reason (never
    /// configuration values).
    public var detail: [UInt8]
    /// When (ms since the epoch).
    public var at: Int64

    /// Creates a record.
    public init(type: String, detail: [UInt8], at: Int64) {
        self.type = type
        self.detail = detail
        self.at = at
    }
}

extension Vault {
    static let fleetStateKey = "fleet"

    /// The persisted fleet state (opaque bytes owned by the `Fleet` module), if any.
    /// - Throws: ``VaultError`` `.corruptRow` if it does not authenticate.
    public func fleetState() throws(VaultError) -> [UInt8]? { try encryptedState(Self.fleetStateKey) }

    /// Records a configuration outcome in one transaction: an `events` row, a sealed record
    /// (kind `event`, batched and provable like a reading), and, for an applied document, the
    /// new fleet state. Either all of it is stored or none.
    /// - Returns: the id of the sealed record.
    @discardableResult
    public func recordConfigOutcome(_ record: ConfigAuditRecord, newFleetState: [UInt8]?) throws(VaultError) -> Int64 {
        let idBefore = nextReadingID
        var recordID: Int64 = 0
        var inserted = SealingLog.Pending()
        do { try write {
            let foreign = try syncReadingIDs()
            recordID = nextReadingID
            try db.cached("INSERT INTO events (at, device, type, detail, patient_ref) VALUES (?, ?, ?, ?, NULL)")
                .run(.integer(record.at), .text("-"), .text(record.type), .text(String(decoding: record.detail, as: UTF8.self)))
            var canonical = Array("{\"detail\":".utf8)
            canonical += record.detail
            canonical += Array(",\"type\":\"\(record.type)\",\"v\":1}".utf8)
            try insertSealedRecord(id: recordID, canonical: canonical, at: record.at)
            if let newFleetState { try storeEncryptedState(Self.fleetStateKey, newFleetState) }
            inserted = try sealingLog.recordsInserted(foreign + 1, at: record.at)
        } } catch {
            nextReadingID = idBefore
            throw error
        }
        nextReadingID += 1
        sealingLog.committed(inserted)
        return recordID
    }

    /// Configuration outcomes recorded so far, oldest first.
    public func configEvents() throws(VaultError) -> [ConfigAuditRecord] {
        try read {
            try db.query("SELECT type, detail, at FROM events WHERE type LIKE 'config_%' ORDER BY id").map {
                ConfigAuditRecord(type: $0[0].textValue ?? "", detail: Array(($0[1].textValue ?? "").utf8),
                                  at: $0[2].integerValue ?? 0)
            }
        }
    }
}

extension Vault {
    /// The vault's size on disk: the database file and its WAL, in bytes.
    public var fileBytes: Int64 {
        var total: Int64 = 0
        for suffix in ["", "-wal"] {
            var info = stat()
            if stat(path + suffix, &info) == 0 { total += Int64(info.st_size) }
        }
        return total
    }

    /// Records a gateway-level event (no patient, no device), e.g. `storage_cap_exceeded`.
    public func recordGatewayEvent(type: String, detail: [UInt8], at time: Int64) throws(VaultError) {
        try write {
            try db.cached("INSERT INTO events (at, device, type, detail, patient_ref) VALUES (?, ?, ?, ?, NULL)")
                .run(.integer(time), .text("-"), .text(type), .text(String(decoding: detail, as: UTF8.self)))
        }
    }
}
