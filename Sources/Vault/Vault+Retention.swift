import Cryptography
import Glibc
import SQLite
public import Telemetry

/// When a reading's content may be pruned (issue 20): every configured sink confirmed it, the
/// checkpoint covering its batch is anchored, and it is older than `keepMs`.
public struct RetentionPolicy: Sendable, Equatable {
    /// How long content is kept after it arrived (ms), once delivered and anchored.
    public var keepMs: Int64
    /// The sinks that must have confirmed a reading (by name, as their cursors are); empty: none
    /// is configured, and this condition holds. A sink that takes only alerts never holds
    /// readings back; a configured sink without a cursor yet holds everything back.
    public var sinks: [String]

    /// The gateway default: 7 days.
    public static let defaultKeepDays = 7

    public init(keepDays: Int = Self.defaultKeepDays, sinks: [String] = []) {
        keepMs = Int64(max(keepDays, 0)) * 86_400_000
        self.sinks = sinks
    }
}

/// What one pruning (or eviction) step did.
public struct PruneOutcome: Sendable, Equatable {
    /// Readings whose content was removed by this step.
    public var pruned = 0
    /// Ciphertext bytes removed (before the tombstones that replace them).
    public var bytesRemoved = 0
    /// The first and last reading id pruned, if any.
    public var firstID: Int64?
    public var lastID: Int64?
    /// The sealed record of an eviction (`readings_evicted`), if this step evicted.
    public var eventRecordID: Int64?

    public init() {}
}

/// The vault's retention figures, for `stats` and the metrics (read from `meta`: no scan).
public struct RetentionStatus: Sendable, Equatable {
    /// Readings pruned since the vault was made (by age, or early near the budget).
    public var pruned: Int64 = 0
    /// Readings evicted under `when_full = "evict-oldest"` (undelivered or unanchored content).
    public var evicted: Int64 = 0
    /// Pruned or evicted readings whose rows were compacted into their batch's archive.
    public var compacted: Int64 = 0
    /// Every reading at or below this id is pruned, evicted, or never prunable (a sealed record).
    public var scannedThrough: Int64 = 0
    /// Bytes in the file's free pages (returned by the incremental vacuum).
    public var freeBytes: Int64 = 0
    /// The file's SQLite `auto_vacuum` mode: `none`, `full` or `incremental`.
    public var autoVacuum = "none"

    public init() {}

    public var json: JSONValue {
        .object([
            ("pruned", .number(Double(pruned))), ("evicted", .number(Double(evicted))),
            ("compacted", .number(Double(compacted))),
            ("scanned_through", .number(Double(scannedThrough))), ("free_bytes", .number(Double(freeBytes))),
            ("auto_vacuum", .string(autoVacuum)),
        ])
    }
}

extension Vault {
    /// The `meta` keys of retention: the scan's watermark and the two counters.
    static let retentionScannedKey = "retention_scanned_through"
    static let retentionPrunedKey = "retention_pruned"
    static let retentionEvictedKey = "retention_evicted"

    /// The largest stored content that counts as pruned: an AES-GCM box of nothing (nonce and
    /// tag, 28 bytes) or, for an erased patient's reading, no bytes. Every stored reading's box
    /// holds at least a version byte and a 32-byte salt.
    static let prunedContentMaxBytes = AES256GCM.nonceByteCount + AES256GCM.tagByteCount

    /// Whether a reading's stored content is a pruning's tombstone.
    static func isPrunedContent(_ ciphertext: [UInt8]) -> Bool { ciphertext.count <= prunedContentMaxBytes }

    /// Prunes, in one transaction, the content of at most `limit` readings that `policy` allows,
    /// oldest first (by id, from where the last step stopped). With `ignoringAge` (the vault nears
    /// its byte budget) readings are pruned as soon as they are delivered and anchored.
    ///
    /// Pruning replaces the ciphertext (salt and canonical bytes) with a tombstone: an AES-GCM box
    /// of nothing under the reading's key, whose associated data binds every column the row keeps
    /// (id, device, kind, seq, device time, arrival, patient, model, schema, digest, commitment), so `audit`
    /// still detects a change to any of them, and content removed without the key. Commitments,
    /// batches, the log and checkpoints stay: every proof still verifies (`pruned`). Sealed
    /// records (alerts, erasures, configuration outcomes, evictions) and rows older than sealing
    /// are never pruned; quarantine rows are another table.
    @discardableResult
    public func pruneStep(_ policy: RetentionPolicy, now: Int64, limit: Int, ignoringAge: Bool = false)
        throws(VaultError) -> PruneOutcome {
        let bound = try pruneBound(policy)
        let cutoff = ignoringAge ? Int64.max : now - policy.keepMs
        return try removeContent(through: bound, arrivedBefore: cutoff, limit: limit, counter: Self.retentionPrunedKey)
    }

    /// Evicts (under `when_full = "evict-oldest"`) the content of at most `limit` of the oldest
    /// sealed readings not yet pruned, delivered or not, anchored or not, and records the eviction
    /// as a sealed gateway event naming the id range (`readings_evicted`), in the same transaction.
    /// Sealed records are kept, as by `pruneStep`.
    @discardableResult
    public func evictOldest(limit: Int, now: Int64) throws(VaultError) -> PruneOutcome {
        let sealed = try read {
            try db.cached("SELECT coalesce(max(last_id), 0) FROM batches").firstRow()?.first?.integerValue ?? 0
        }
        let idBefore = nextReadingID
        var pending = SealingLog.Pending()
        let outcome: PruneOutcome
        do {
            outcome = try write { () throws -> PruneOutcome in
                let outcome = try removeContentInTransaction(through: sealed, arrivedBefore: .max, limit: limit,
                                                            counter: Self.retentionEvictedKey)
                guard let first = outcome.firstID, let last = outcome.lastID else { return outcome }
                let foreign = try syncReadingIDs()
                let recordID = nextReadingID
                let detail = JSONWriter.canonicalBytes(.object([
                    ("first_id", .number(Double(first))), ("last_id", .number(Double(last))),
                    ("readings", .number(Double(outcome.pruned))),
                ]))
                try db.cached("INSERT INTO events (at, device, type, detail, patient_ref) VALUES (?, ?, ?, ?, NULL)")
                    .run(.integer(now), .text("-"), .text("readings_evicted"), .text(String(decoding: detail, as: UTF8.self)))
                let record = JSONWriter.canonicalBytes(.object([
                    ("type", .string("readings_evicted")), ("first_id", .number(Double(first))),
                    ("last_id", .number(Double(last))), ("readings", .number(Double(outcome.pruned))),
                    ("at", .number(Double(now))), ("v", .number(1)),
                ]))
                try insertSealedRecord(id: recordID, canonical: record, at: now)
                pending = try sealingLog.recordsInserted(foreign + 1, at: now)
                var recorded = outcome
                recorded.eventRecordID = recordID
                return recorded
            }
        } catch {
            nextReadingID = idBefore
            throw error
        }
        if outcome.eventRecordID != nil {
            nextReadingID += 1
            sealingLog.committed(pending)
        }
        return outcome
    }

    /// The retention figures kept in `meta`, and the file's free space and vacuum mode.
    public func retentionStatus() throws(VaultError) -> RetentionStatus {
        try read {
            var status = RetentionStatus()
            status.pruned = try metaInteger(Self.retentionPrunedKey)
            status.evicted = try metaInteger(Self.retentionEvictedKey)
            status.compacted = try metaInteger(Self.retentionCompactedKey)
            status.scannedThrough = try metaInteger(Self.retentionScannedKey)
            let pageSize = try db.query("PRAGMA page_size").first?.first?.integerValue ?? 4096
            let free = try db.query("PRAGMA freelist_count").first?.first?.integerValue ?? 0
            status.freeBytes = free * pageSize
            let mode = try db.query("PRAGMA auto_vacuum").first?.first?.integerValue ?? 0
            status.autoVacuum = mode == 2 ? "incremental" : mode == 1 ? "full" : "none"
            return status
        }
    }

    /// The highest id `policy` lets go: the last reading of the newest batch an anchored
    /// checkpoint covers, and no further than every configured sink's cursor.
    func pruneBound(_ policy: RetentionPolicy) throws(VaultError) -> Int64 {
        try read {
            let anchored = try db.cached("SELECT coalesce(max(size), 0) FROM anchors WHERE status = 'anchored'")
                .firstRow()?.first?.integerValue ?? 0
            guard anchored > 0 else { return 0 }  // a checkpoint of size n covers batches 0…n-1
            var bound = try db.cached("SELECT last_id FROM batches WHERE seq = ?").firstRow(.integer(anchored - 1))?
                .first?.integerValue ?? 0
            for sink in policy.sinks {
                guard let row = try db.cached("SELECT last_id, selection FROM sink_cursors WHERE sink = ?")
                    .firstRow(.text(sink)) else { return 0 }  // configured, never started: nothing confirmed
                if row[1].textValue == OutboxSelection.alerts.rawValue { continue }  // takes no readings
                bound = min(bound, row[0].integerValue ?? 0)
            }
            return bound
        }
    }

    private func removeContent(through bound: Int64, arrivedBefore cutoff: Int64, limit: Int, counter: String)
        throws(VaultError) -> PruneOutcome {
        guard bound > 0, limit > 0 else { return PruneOutcome() }
        // Most steps find nothing to do (the next reading is still too young): seen without
        // taking the write lock, which a delivery worker may be holding.
        let idle = try read { () throws -> Bool in
            let start = try metaInteger(Self.retentionScannedKey)
            guard bound > start else { return true }
            let next = try db.cached("SELECT received_at FROM readings WHERE id > ? ORDER BY id LIMIT 1")
                .firstRow(.integer(start))?.first?.integerValue
            return next.map { $0 >= cutoff } ?? true
        }
        if idle { return PruneOutcome() }
        return try write { try removeContentInTransaction(through: bound, arrivedBefore: cutoff, limit: limit, counter: counter) }
    }

    /// Inside a write transaction: replaces the content of the readings after the watermark, up
    /// to `bound`, that arrived before `cutoff`, with tombstones; stops at the first younger one
    /// (arrival follows the id closely, so what comes after is younger too) or after `limit`.
    private func removeContentInTransaction(through bound: Int64, arrivedBefore cutoff: Int64, limit: Int,
                                            counter: String) throws -> PruneOutcome {
        var outcome = PruneOutcome()
        let start = try metaInteger(Self.retentionScannedKey)
        guard bound > start else { return outcome }
        let rows = try db.cached("""
            SELECT id, device, kind, seq, device_time, received_at, patient_ref, digest, commitment, length(ciphertext),
                   model, schema_id
            FROM readings WHERE id > ? AND id <= ? ORDER BY id LIMIT ?
            """).allRows(.integer(start), .integer(bound), .integer(Int64(limit)))
        var scanned = start
        var tombstones: [(id: Int64, content: [UInt8])] = []
        for row in rows {
            let id = row[0].integerValue ?? 0
            let kind = row[2].textValue ?? ""
            let length = row[9].integerValue ?? 0
            let commitment = row[8].blobValue
            if kind != "event", commitment != nil, length > Int64(Self.prunedContentMaxBytes) {
                guard (row[5].integerValue ?? .max) < cutoff else { break }
                let fields = PrunedFields(id: id, device: row[1].textValue ?? "", kind: kind, seq: row[3].integerValue ?? 0,
                                          deviceTime: row[4].integerValue ?? 0, receivedAt: row[5].integerValue ?? 0,
                                          patientRef: row[6].integerValue, model: row[10].textValue ?? "",
                                          schemaID: row[11].textValue ?? "", digest: row[7].blobValue ?? [],
                                          commitment: commitment ?? [])
                tombstones.append((id, try tombstone(fields)))
                outcome.pruned += 1
                outcome.bytesRemoved += Int(length)
                outcome.firstID = outcome.firstID ?? id
                outcome.lastID = id
            }
            scanned = id
        }
        guard scanned > start else { return outcome }
        try rewrite(tombstones)
        try setMetaInteger(Self.retentionScannedKey, scanned)
        if outcome.pruned > 0 { try setMetaInteger(counter, try metaInteger(counter) + Int64(outcome.pruned)) }
        return outcome
    }

    /// Writes the tombstones by taking the rows out and putting them back, rather than updating
    /// them in place. A row updated in place shrinks inside its page, and SQLite merges a page
    /// with its neighbours only once it is less than a third full: a vitals row keeps about half
    /// its bytes, so its pages would stay where they are, half empty, and new rows (appended at
    /// the end of the table) never reuse that space. Deleted, a run of rows frees whole pages
    /// (which the incremental vacuum returns); put back, they fill fewer pages. Rows are copied
    /// whole (`SELECT *`), so columns added by later migrations are kept; foreign keys (alerts,
    /// dead letters) are checked at commit, when the ids are back.
    private func rewrite(_ tombstones: [(id: Int64, content: [UInt8])]) throws {
        guard let first = tombstones.first?.id, let last = tombstones.last?.id else { return }
        try db.execute("""
            PRAGMA defer_foreign_keys = ON;
            CREATE TEMP TABLE IF NOT EXISTS pruning AS SELECT * FROM main.readings WHERE 0;
            DELETE FROM temp.pruning;
            """)
        let copy = try db.cached("INSERT INTO temp.pruning SELECT * FROM main.readings WHERE id = ?")
        let update = try db.cached("UPDATE temp.pruning SET ciphertext = ? WHERE id = ?")
        for (id, content) in tombstones {
            try copy.run(.integer(id))
            try update.run(.blob(content), .integer(id))
        }
        try db.cached("DELETE FROM main.readings WHERE id BETWEEN ? AND ? AND id IN (SELECT id FROM temp.pruning)")
            .run(.integer(first), .integer(last))
        try db.cached("INSERT INTO main.readings SELECT * FROM temp.pruning ORDER BY id").run()
        try db.cached("DELETE FROM temp.pruning").run()
    }

    /// The columns a pruned reading keeps, which its tombstone authenticates.
    struct PrunedFields {
        var id: Int64
        var device: String
        var kind: String
        var seq: Int64
        var deviceTime: Int64
        var receivedAt: Int64
        var patientRef: Int64?
        var model: String
        var schemaID: String
        var digest: [UInt8]
        var commitment: [UInt8]

        /// `vg-pruned-v1 ‖ id ‖ seq ‖ device time ‖ arrival ‖ patient (−1: none) ‖ each of device,
        /// kind, model, schema, digest, commitment with a 4-byte length`, integers 8 bytes
        /// big-endian. Not `conflict` and `duplicates`: copies that arrive later still update them.
        var associatedData: [UInt8] {
            var aad = Array("vg-pruned-v1".utf8)
            for value in [id, seq, deviceTime, receivedAt, patientRef ?? -1] {
                withUnsafeBytes(of: value.bigEndian) { aad.append(contentsOf: $0) }
            }
            for part in [Array(device.utf8), Array(kind.utf8), Array(model.utf8), Array(schemaID.utf8), digest, commitment] {
                withUnsafeBytes(of: UInt32(part.count).bigEndian) { aad.append(contentsOf: $0) }
                aad.append(contentsOf: part)
            }
            return aad
        }
    }

    /// The tombstone of a pruned reading: an AES-GCM box of nothing under the reading's key;
    /// no bytes when that key was erased (nothing of the row can be checked any more).
    private func tombstone(_ fields: PrunedFields) throws -> [UInt8] {
        let key: [UInt8]
        do { key = try contentKey(patientRef: fields.patientRef) } catch where error.code == .erased { return [] }
        return try AES256GCM.encrypt([], key: key, nonce: nonces.bytes(AES256GCM.nonceByteCount),
                                     associatedData: fields.associatedData).combined
    }

    /// Whether a pruned reading's tombstone authenticates its kept columns (`nil`: its patient
    /// was erased, nothing can be checked).
    func prunedRowAuthenticates(_ fields: PrunedFields, tombstone: [UInt8]) throws(VaultError) -> Bool? {
        let key: [UInt8]
        do { key = try contentKey(patientRef: fields.patientRef) } catch where error.code == .erased { return nil }
        guard tombstone.count == Self.prunedContentMaxBytes,
              let box = try? AES256GCM.EncryptedBox(combined: tombstone) else { return false }
        return (try? AES256GCM.decrypt(box, key: key, associatedData: fields.associatedData)) != nil
    }

    func metaInteger(_ key: String) throws -> Int64 {
        try db.cached("SELECT value FROM meta WHERE key = ?").firstRow(.text(key))?.first?.integerValue ?? 0
    }

    func setMetaInteger(_ key: String, _ value: Int64) throws {
        try db.cached("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)").run(.text(key), .integer(value))
    }
}

extension Vault {
    /// Returns up to `pages` free pages to the file system (`PRAGMA incremental_vacuum(N)`), in a
    /// vault whose `auto_vacuum` is incremental; returns the pages freed (0 otherwise). In WAL
    /// mode the file shrinks at the next checkpoint.
    @discardableResult
    public func reclaimFreePages(_ pages: Int) throws(VaultError) -> Int {
        do {
            guard try db.query("PRAGMA auto_vacuum").first?.first?.integerValue == 2 else { return 0 }
            let before = try db.query("PRAGMA freelist_count").first?.first?.integerValue ?? 0
            guard before > 0 else { return 0 }
            _ = try db.query("PRAGMA incremental_vacuum(\(max(pages, 1)))")
            let after = try db.query("PRAGMA freelist_count").first?.first?.integerValue ?? 0
            return Int(before - after)
        } catch {
            throw VaultError(.storage, "incremental vacuum failed", underlying: error)
        }
    }

    /// Bytes the vault's content takes: the pages in use (not the free ones the vacuum has yet to
    /// return) plus the WAL.
    public var usedBytes: Int64 {
        let space = space
        return space.contentBytes + space.walBytes
    }

    /// The file, its free pages and the WAL (`VaultSpace`). Uses this connection: call it from
    /// the thread that owns the vault at the moment (the store worker after a batch, the ingest
    /// thread between batches).
    public var space: VaultSpace {
        let free = (try? db.cached("PRAGMA freelist_count").firstRow()?.first?.integerValue) ?? 0
        let pageSize = (try? db.cached("PRAGMA page_size").firstRow()?.first?.integerValue) ?? 4096
        var info = stat()
        let file = stat(path, &info) == 0 ? Int64(info.st_size) : 0
        let wal = stat(path + "-wal", &info) == 0 ? Int64(info.st_size) : 0
        return VaultSpace(fileBytes: file, freeBytes: free * pageSize, walBytes: wal)
    }

    /// Converts an existing vault to incremental auto-vacuum: `VACUUM` rewrites the whole file
    /// (it needs the vault to itself and as much free disk again as the file). Returns whether it
    /// converted (false: already incremental, or larger than `maxBytes`).
    @discardableResult
    public func convertToIncrementalVacuum(maxBytes: Int64) throws(VaultError) -> Bool {
        do {
            guard try db.query("PRAGMA auto_vacuum").first?.first?.integerValue != 2 else { return false }
            guard fileBytes <= maxBytes else { return false }
            try db.execute("PRAGMA auto_vacuum = INCREMENTAL")
            try db.execute("VACUUM")
            return try db.query("PRAGMA auto_vacuum").first?.first?.integerValue == 2
        } catch {
            throw VaultError(.storage, "cannot convert the vault to incremental vacuum", underlying: error)
        }
    }
}
