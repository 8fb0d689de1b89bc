public import SQLite
import Cryptography
import Sealing
import Telemetry

/// The encrypted reading store: SQLite in WAL mode, reading contents under AES-256-GCM with
/// per-patient data keys wrapped by the key store, patients known only by keyed pseudonyms.
///
/// Not thread-safe: one `Vault` is owned by one thread (the ingest pipeline, or a CLI command).
public final class Vault {
    public let path: String
    let db: Connection
    let keys: any KeyStore
    /// Data key for content that belongs to no patient (quarantined payloads, unpaired readings).
    let gatewayKey: [UInt8]
    var patientsByIdentifier: [String: PatientEntry] = [:]
    var patientsByRef: [Int64: PatientEntry] = [:]
    var nextReadingID: Int64
    var nextQuarantineID: Int64
    var nextAlertID: Int64
    /// Device times of stored readings (DECISIONS 24): every row stored before is at or below
    /// `storedDeviceTimeFloor`, every reading this connection stored since at or below its
    /// device's high-water mark. A reading above both cannot be a copy of a stored one, so
    /// its dedupe lookup is skipped.
    var storedDeviceTimeFloor: Int64
    var deviceTimeHighWater: [String: Int64] = [:]
    /// Dedupe lookups made (for tests).
    var identityLookups = 0
    /// The first reading id not yet covered by `refreshErasures()`.
    var erasureCheckMark: Int64 = 0
    /// Per-vault (single-thread) helpers for the per-reading hot path.
    let contentDigester: KeyedDigester
    let nonces = RandomPool()
    /// AES-GCM contexts with their key set up, by patient row (or the gateway key's slot), for
    /// readings' ciphertexts. Dropped whenever a patient is erased, so no erased key's schedule
    /// outlives the erasure.
    var sealers: [Int64: (key: [UInt8], sealer: AES256GCM.KeyedEncryptor)] = [:]
    /// Whether readings are stored in plaintext v3 (`format` 3) when their body allows; off only
    /// in tests, which write the rows of older vaults (plaintext v2) this way.
    var storesCompactRows = true
    /// Whether `log_nodes` was checked against the leaves since the vault was opened.
    var logNodesChecked = false
    /// Batches, the log and checkpoints, and the deferred sync (the store only reports the
    /// records it inserts).
    let sealingLog: SealingLog
    /// The `synchronous` level the vault was opened with.
    let synchronous: Connection.SynchronousMode
    /// Held for the vault's lifetime when opened as the agent's (`exclusiveWriter`).
    private let writerLock: WriterLock?
    /// Whether this vault was opened as the agent's, the one process that stores readings.
    var isExclusiveWriter: Bool { writerLock != nil }
    /// Whether `settleErasures()` has run since the vault was opened (the agent's only).
    var erasuresSettled = false

    /// Opens (creating and migrating if needed) the vault database at `path`. With `synchronous`
    /// `.full` (the default) a committed transaction survives a power cut; `.normal` only a
    /// crash of the process.
    ///
    /// With `exclusiveWriter` (the agent) the vault is first locked against other agents
    /// (`<path>.lock`, see `WriterLock`), or this throws `inUse`. Commands that read, and
    /// `erase-patient`, open it without the lock and may run beside the agent.
    public init(path: String, keys: any KeyStore, synchronous: Connection.SynchronousMode = .full,
                exclusiveWriter: Bool = false) throws(VaultError) {
        writerLock = exclusiveWriter ? try WriterLock(path: path + ".lock") : nil
        self.path = path
        self.keys = keys
        self.synchronous = synchronous
        do {
            db = try Connection(path: path)
            try db.busyTimeout(ms: 5000)
            // A new file returns the space pruning frees in steps (`reclaimFreePages`); this only
            // takes effect before its first table, or at a VACUUM (`convertToIncrementalVacuum`).
            try db.execute("PRAGMA auto_vacuum = INCREMENTAL")
            try db.journalModeWAL()
            try db.setSynchronous(synchronous)
            try db.execute("PRAGMA foreign_keys = ON")
            // Checkpoints normally run on a `WALCheckpointer`; this is the safety net (~40 MB).
            let pageSize = try db.query("PRAGMA page_size").first?.first?.integerValue ?? 4096
            try db.execute("PRAGMA wal_autocheckpoint = \(40 << 20 / max(pageSize, 512))")
            // A WAL that grew during a burst (a checkpoint held back by a long read) is cut back
            // to 4 MiB when it next restarts, instead of keeping its high-water size: the byte
            // budget counts the WAL (the soak measured 40-43 MiB kept for good).
            try db.execute("PRAGMA journal_size_limit = \(4 << 20)")
        } catch {
            throw VaultError(.storage, "cannot open the vault database \(path)" + Self.fullDiskHint(path), underlying: error)
        }
        sealingLog = SealingLog(db: db, synchronous: synchronous)
        try VaultSchema.migrate(db)
        gatewayKey = try Self.loadOrCreateGatewayKey(db, keys: keys)
        contentDigester = keys.makeDigester(domain: "reading-content-v1")
        nextReadingID = try Self.highestReadingID(db) + 1
        nextQuarantineID = try Self.maxID(db, "quarantine") + 1
        nextAlertID = try Self.maxID(db, "alerts") + 1
        storedDeviceTimeFloor = try Self.maxDeviceTime(db)
        erasureCheckMark = nextReadingID
        try loadPatients()
        if exclusiveWriter {
            // Not fatal here: the agent starts, and `refreshErasures` retries within 5 s.
            _ = try? settleErasures()
        }
    }

    private static func maxID(_ db: Connection, _ table: String) throws(VaultError) -> Int64 {
        do {
            return try db.query("SELECT coalesce(max(id), 0) FROM \(table)").first?.first?.integerValue ?? 0
        } catch {
            throw VaultError(.storage, "cannot read \(table)", underlying: error)
        }
    }

    private static func highestReadingID(_ db: Connection) throws(VaultError) -> Int64 {
        do {
            return try db.query(highestReadingIDQuery).first?.first?.integerValue ?? 0
        } catch {
            throw VaultError(.storage, "cannot read readings", underlying: error)
        }
    }

    /// The largest device time stored (through the identity index, whose first column it is).
    static func maxDeviceTime(_ db: Connection) throws(VaultError) -> Int64 {
        do {
            return try db.query("SELECT max(device_time) FROM readings").first?.first?.integerValue ?? Int64.min
        } catch {
            throw VaultError(.storage, "cannot read readings", underlying: error)
        }
    }

    private static func loadOrCreateGatewayKey(_ db: Connection, keys: any KeyStore) throws(VaultError) -> [UInt8] {
        let context = Array("gateway-data-key".utf8)
        let select = "SELECT value FROM meta WHERE key = 'gateway_key'"
        do {
            if let wrapped = try db.query(select).first?.first?.blobValue {
                return try keys.unwrap(wrapped, context: context)
            }
            // A new vault: the key is made under the write lock, after looking again, since another
            // opener of the new file may have made it meanwhile (both must use the same key).
            return try db.transaction(.immediate) { () throws -> [UInt8] in
                if let wrapped = try db.query(select).first?.first?.blobValue {
                    return try keys.unwrap(wrapped, context: context)
                }
                let key = SecureRandom.bytes(32)
                try db.run("INSERT INTO meta (key, value) VALUES ('gateway_key', ?)", [.blob(try keys.wrap(key, context: context))])
                return key
            }
        } catch let error as VaultError {
            throw error
        } catch {
            throw VaultError(.storage, "cannot load the gateway data key", underlying: error)
        }
    }

    /// Takes the next reading id from the table. Call inside the write transaction that inserts:
    /// another connection (`erase-patient` while the agent runs) may have added a sealed record
    /// since this vault last looked, and reusing its id would fail every later store. Returns how
    /// many such rows there are: they are sealable records, and the caller's batch counts them.
    func syncReadingIDs() throws -> Int {
        let maxID = try db.cached(Self.highestReadingIDQuery).firstRow()?.first?.integerValue ?? 0
        guard maxID >= nextReadingID else { return 0 }
        // Nor are their device times. Only readings' count: a sealed record (kind `event`) never
        // matches a reading's lookup, and a disclosure's time (now) would raise the floor past
        // every device's readings, costing each a lookup.
        // NOT INDEXED: with the identity index SQLite walks device times down from the top, past
        // every row below the range when the foreign rows are all sealed records (measured: the
        // store path 1.45x with a disclosure per batch); the primary key's range holds a few rows.
        if let foreignTime = try db.cached("SELECT max(device_time) FROM readings NOT INDEXED WHERE id >= ? AND kind != 'event'")
            .firstRow(.integer(nextReadingID))?.first?.integerValue {
            storedDeviceTimeFloor = max(storedDeviceTimeFloor, foreignTime)
        }
        // A connection that does not seal (a delivery worker's disclosure recorder) has no cache
        // to keep: reading the commitments of every row the agent stored since its last record
        // cost it the peak memory of all of them at once (+9 MiB of the agent's RSS at 5,000 msg/s).
        guard sealingLog.isEnabled else {
            nextReadingID = maxID + 1
            return 0
        }
        // Another connection's sealable rows (disclosures, an erasure) all follow this vault's own:
        // they join its commitment cache, which so stays complete and keeps sealing from memory.
        let foreign = try db.cached("SELECT id, commitment, received_at FROM readings WHERE id >= ? AND commitment IS NOT NULL ORDER BY id")
            .allRows(.integer(nextReadingID))
        for row in foreign {
            guard let id = row[0].integerValue, let commitment = try? Commitment(bytes: row[1].blobValue ?? []) else {
                sealingLog.forgetInsertedRecords()  // read back when sealed, which reports a bad one
                break
            }
            sealingLog.recordInserted(id: id, commitment: commitment, receivedAt: row[2].integerValue ?? 0)
        }
        nextReadingID = maxID + 1
        return foreign.count
    }

    /// Runs `body` in an immediate transaction, mapping storage errors.
    func write<T>(_ body: () throws -> T) throws(VaultError) -> T {
        do {
            return try db.transaction(.immediate, body)
        } catch let error as VaultError {
            sealingLog.forgetInsertedRecords()  // it may name rows that were rolled back
            throw error
        } catch {
            sealingLog.forgetInsertedRecords()
            throw VaultError(.storage, "write transaction failed", underlying: error)
        }
    }

    /// Runs a read, mapping storage errors.
    func read<T>(_ body: () throws -> T) throws(VaultError) -> T {
        do {
            return try body()
        } catch let error as VaultError {
            throw error
        } catch {
            throw VaultError(.storage, "read failed", underlying: error)
        }
    }

    /// Associated data binding a reading's ciphertext to its row id and device.
    static func readingAAD(id: Int64, device: String) -> [UInt8] {
        var aad: [UInt8] = []  // built once per reading: one allocation
        aad.reserveCapacity(readingAADPrefix.count + 8 + device.utf8.count)
        aad.append(contentsOf: readingAADPrefix)
        withUnsafeBytes(of: id.bigEndian) { aad.append(contentsOf: $0) }
        aad.append(contentsOf: device.utf8)
        return aad
    }

    private static let readingAADPrefix = Array("vg-reading-v1".utf8)

    static func quarantineAAD(id: Int64) -> [UInt8] {
        var aad = Array("vg-quarantine-v1".utf8)
        withUnsafeBytes(of: id.bigEndian) { aad.append(contentsOf: $0) }
        return aad
    }

    static func alertAAD(id: Int64) -> [UInt8] {
        var aad = Array("vg-alert-v1".utf8)
        withUnsafeBytes(of: id.bigEndian) { aad.append(contentsOf: $0) }
        return aad
    }

    /// Caps this connection's page cache (SQLite's default is 2,000 KiB per connection): a
    /// reader that scans forward, such as a delivery worker, needs little of it.
    public func limitPageCache(kibibytes: Int) throws(VaultError) {
        do { try db.execute("PRAGMA cache_size = -\(max(64, kibibytes))") } catch {
            throw VaultError(.storage, "cannot set the page cache size", underlying: error)
        }
    }

    /// Re-preparations of this connection's cached statements so far (diagnostics and tests:
    /// on the store path it must stay 0, or a plan depends on its bindings and every change of
    /// them costs a parse).
    public var statementReprepares: Int { db.cachedStatementReprepares }

    /// Flushes the WAL into the main database file (e.g. before a backup).
    public func walCheckpoint() throws(VaultError) {
        do { _ = try db.walCheckpoint(.truncate) } catch {
            throw VaultError(.storage, "WAL checkpoint failed", underlying: error)
        }
    }
}
