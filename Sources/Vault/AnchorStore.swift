import FoundationEssentials
import SQLite

/// A stored checkpoint of the embedded log, as the anchoring worker reads it.
public struct StoredCheckpoint: Sendable, Equatable {
    /// The tree size.
    public var size: UInt64
    /// The signed note (C2SP).
    public var note: String
    /// When it was signed (ms since the epoch).
    public var createdAt: Int64
}

/// A submission to a ledger backend.
public struct AnchorRecord: Sendable, Equatable {
    /// `pending` or `anchored`.
    public enum Status: String, Sendable { case pending, anchored }
    /// The anchored checkpoint's tree size.
    public var size: UInt64
    /// The backend's name.
    public var backend: String
    public var status: Status
    /// The backend's ticket (pending).
    public var ticket: [UInt8]?
    public var submittedAt: Int64?
    public var attempts: Int
    /// The last failure, if any (no secrets: ledger errors carry none).
    public var lastError: String?
    /// The evidence as a bundle `anchors` entry, canonical JSON (anchored).
    public var evidence: [UInt8]?
    public var anchoredAt: Int64?
}

/// How far anchoring lags behind the log.
public struct AnchorLag: Sendable, Equatable {
    /// The latest checkpoint's tree size (0: none yet).
    public var latestCheckpoint: UInt64 = 0
    /// The largest anchored tree size (0: none yet).
    public var anchored: UInt64 = 0
    /// Log leaves (batches) not yet covered by an anchor.
    public var unanchoredBatches: UInt64 { latestCheckpoint - min(anchored, latestCheckpoint) }
    /// When the oldest unanchored checkpoint was signed (ms since the epoch), if any.
    public var oldestUnanchoredAt: Int64?
    /// A submission in flight, if any.
    public var pending: AnchorRecord?
    /// The last failed anchoring round (reason, ms since the epoch), until a round succeeds.
    public var lastFailure: (reason: String, at: Int64)?
    /// What the submission in flight waits for (confirmations, a witness, a newer pinned block),
    /// until it is anchored or posted again.
    public var waiting: String?
    /// How the running anchoring worker shows anchors final (`local`, `qbft`, `witnesses`,
    /// `pinned`, `witnesses+pinned`, `single-node`), as it recorded at start.
    public var trust: String?

    public static func == (lhs: AnchorLag, rhs: AnchorLag) -> Bool {
        lhs.latestCheckpoint == rhs.latestCheckpoint && lhs.anchored == rhs.anchored
            && lhs.oldestUnanchoredAt == rhs.oldestUnanchoredAt && lhs.pending == rhs.pending
            && lhs.lastFailure?.reason == rhs.lastFailure?.reason && lhs.lastFailure?.at == rhs.lastFailure?.at
            && lhs.waiting == rhs.waiting && lhs.trust == rhs.trust
    }
}

/// The anchor queue on its own connection to the vault file, for the anchoring worker's thread
/// (the ingest thread keeps the `Vault`). The `checkpoints` table is the queue; the `anchors`
/// table records submissions. Holds only public data: sizes, notes, tickets, evidence.
///
/// Not `Sendable`: one thread owns it.
public final class AnchorStore {
    private let db: Connection

    /// Opens the anchor tables of an existing vault (the agent opens `Vault` first, which migrates).
    /// - Throws: ``VaultError`` `.migration` if the vault predates anchoring.
    public init(vaultPath: String) throws(VaultError) {
        do {
            db = try Connection(path: vaultPath)
            try db.busyTimeout(ms: 5000)
            guard try db.userVersion >= 3 else {
                throw VaultError(.migration, "the vault predates anchoring; open it with the agent first")
            }
        } catch let error as VaultError {
            throw error
        } catch {
            throw VaultError(.storage, "cannot open the vault for anchoring", underlying: error)
        }
    }

    private func run<T>(_ what: String, _ body: () throws -> T) throws(VaultError) -> T {
        do { return try body() } catch {
            throw VaultError(.storage, "anchor store: \(what)", underlying: error)
        }
    }

    /// The newest checkpoint, if any.
    public func latestCheckpoint() throws(VaultError) -> StoredCheckpoint? {
        try run("read checkpoints") {
            try db.query("SELECT size, note, created_at FROM checkpoints ORDER BY size DESC LIMIT 1").first.map(Self.checkpoint)
        }
    }

    /// The checkpoint of `size`, if stored.
    public func checkpoint(size: UInt64) throws(VaultError) -> StoredCheckpoint? {
        try run("read checkpoints") {
            try db.query("SELECT size, note, created_at FROM checkpoints WHERE size = ?", [.integer(Int64(size))])
                .first.map(Self.checkpoint)
        }
    }

    /// The submission in flight, if any (at most one at a time).
    public func pending() throws(VaultError) -> AnchorRecord? {
        try run("read anchors") {
            try db.query("\(Self.select) WHERE status = 'pending' ORDER BY size DESC LIMIT 1").first.map(Self.record)
        }
    }

    /// The largest anchored submission, if any.
    public func latestAnchored() throws(VaultError) -> AnchorRecord? {
        try run("read anchors") {
            try db.query("\(Self.select) WHERE status = 'anchored' ORDER BY size DESC LIMIT 1").first.map(Self.record)
        }
    }

    /// Records a (re)submission of checkpoint `size` with its ticket.
    public func submitted(size: UInt64, backend: String, ticket: [UInt8], at time: Int64) throws(VaultError) {
        try run("record a submission") {
            try db.run("""
                INSERT INTO anchors (size, backend, status, ticket, submitted_at, attempts) VALUES (?, ?, 'pending', ?, ?, 1)
                ON CONFLICT(size) DO UPDATE SET ticket = excluded.ticket, submitted_at = excluded.submitted_at,
                    attempts = attempts + 1, last_error = NULL, backend = excluded.backend
                """, [.integer(Int64(size)), .text(backend), .blob(ticket), .integer(time)])
        }
    }

    /// Replaces the ticket of a pending submission (e.g. after a fee bump).
    public func updateTicket(size: UInt64, ticket: [UInt8]) throws(VaultError) {
        try run("update a ticket") {
            try db.run("UPDATE anchors SET ticket = ? WHERE size = ? AND status = 'pending'",
                       [.blob(ticket), .integer(Int64(size))])
        }
    }

    /// Records a failed round (on the pending submission for `size`, if there is one), so that
    /// `stats` can say why anchoring lags.
    public func failed(size: UInt64?, reason: String, at time: Int64) throws(VaultError) {
        let text = String(reason.prefix(500))
        try run("record a failure") {
            if let size {
                try db.run("UPDATE anchors SET last_error = ? WHERE size = ?", [.text(text), .integer(Int64(size))])
            }
            try db.run("INSERT INTO meta (key, value) VALUES ('anchor_last_failure', ?) "
                       + "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                       [.blob(Array("\(time) \(text)".utf8))])
        }
    }

    /// Clears the last failure after a round that moved.
    public func succeeded() throws(VaultError) {
        try run("clear the last failure") { try db.run("DELETE FROM meta WHERE key = 'anchor_last_failure'") }
    }

    /// Records what the submission in flight waits for (`nil`: nothing), so that `stats` can say
    /// it (e.g. "block 120 is newer than the newest pinned block (100)").
    public func waiting(_ detail: String?) throws(VaultError) {
        try run("record what anchoring waits for") {
            if let detail {
                try db.run("INSERT INTO meta (key, value) VALUES ('anchor_waiting', ?) "
                           + "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                           [.blob(Array(String(detail.prefix(500)).utf8))])
            } else {
                try db.run("DELETE FROM meta WHERE key = 'anchor_waiting'")
            }
        }
    }

    /// Records how anchors are shown final (the worker does at start), for `stats`.
    public func recordTrust(_ mode: String) throws(VaultError) {
        try run("record the anchoring trust") {
            try db.run("INSERT INTO meta (key, value) VALUES ('anchor_trust', ?) "
                       + "ON CONFLICT(key) DO UPDATE SET value = excluded.value", [.blob(Array(mode.prefix(40).utf8))])
        }
    }

    /// Marks `size` anchored with its verified evidence (a bundle `anchors` entry).
    public func anchored(size: UInt64, evidence: [UInt8], at time: Int64) throws(VaultError) {
        try run("record an anchor") {
            try db.run("""
                UPDATE anchors SET status = 'anchored', evidence = ?, anchored_at = ?, ticket = NULL, last_error = NULL
                WHERE size = ?
                """, [.blob(evidence), .integer(time), .integer(Int64(size))])
        }
    }

    /// Drops a pending submission that will not be pursued (a newer checkpoint is anchored instead).
    public func abandon(size: UInt64) throws(VaultError) {
        try run("abandon a submission") {
            try db.run("DELETE FROM anchors WHERE size = ? AND status = 'pending'", [.integer(Int64(size))])
        }
    }

    /// The lag between the log and its anchors.
    public func lag() throws(VaultError) -> AnchorLag { try run("read the lag") { try Self.lag(db) } }

    static func lag(_ db: Connection) throws -> AnchorLag {
        var lag = AnchorLag()
        lag.latestCheckpoint = UInt64(try db.query("SELECT coalesce(max(size), 0) FROM checkpoints").first?.first?.integerValue ?? 0)
        lag.anchored = UInt64(try db.query("SELECT coalesce(max(size), 0) FROM anchors WHERE status = 'anchored'")
            .first?.first?.integerValue ?? 0)
        lag.oldestUnanchoredAt = try db.query("SELECT min(created_at) FROM checkpoints WHERE size > ?",
                                              [.integer(Int64(lag.anchored))]).first?.first?.integerValue
        lag.pending = try db.query("\(select) WHERE status = 'pending' ORDER BY size DESC LIMIT 1").first.map(record)
        if let blob = try db.query("SELECT value FROM meta WHERE key = 'anchor_last_failure'").first?.first?.blobValue {
            let text = String(decoding: blob, as: UTF8.self)
            let parts = text.split(separator: " ", maxSplits: 1)
            lag.lastFailure = (parts.count > 1 ? String(parts[1]) : "", Int64(parts.first ?? "") ?? 0)
        }
        if let blob = try db.query("SELECT value FROM meta WHERE key = 'anchor_waiting'").first?.first?.blobValue {
            lag.waiting = String(decoding: blob, as: UTF8.self)
        }
        if let blob = try db.query("SELECT value FROM meta WHERE key = 'anchor_trust'").first?.first?.blobValue {
            lag.trust = String(decoding: blob, as: UTF8.self)
        }
        return lag
    }

    static let select = """
        SELECT size, backend, status, ticket, submitted_at, attempts, last_error, evidence, anchored_at FROM anchors
        """

    static func record(_ row: [SQLiteValue]) -> AnchorRecord {
        AnchorRecord(size: UInt64(row[0].integerValue ?? 0), backend: row[1].textValue ?? "",
                     status: AnchorRecord.Status(rawValue: row[2].textValue ?? "") ?? .pending, ticket: row[3].blobValue,
                     submittedAt: row[4].integerValue, attempts: Int(row[5].integerValue ?? 0), lastError: row[6].textValue,
                     evidence: row[7].blobValue, anchoredAt: row[8].integerValue)
    }

    private static func checkpoint(_ row: [SQLiteValue]) -> StoredCheckpoint {
        StoredCheckpoint(size: UInt64(row[0].integerValue ?? 0), note: row[1].textValue ?? "", createdAt: row[2].integerValue ?? 0)
    }
}
