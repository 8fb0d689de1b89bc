import SQLite
public import Telemetry

/// One record the outbox delivers: a reading, or an alert (its sealed record). Quarantined
/// messages and the gateway's own events are never delivered.
public struct OutboxEntry: Sendable {
    /// What the record holds.
    public enum Content: Sendable {
        case reading(Reading)
        /// The alert's JSON line, as published on the local broker.
        case alert(JSONValue)
    }

    /// The record's id in the vault (`readings.id`): the outbox's order, and a sink's cursor.
    public var id: Int64
    /// The patient's identifier (the MRN), `nil` when the device was unpaired.
    public var patient: String?
    /// The patient's keyed pseudonym (hex), the vault's name for the patient: for receivers that
    /// must not see the MRN (the local alerts topic, a recipient consent denies identity).
    /// `nil` when the device was unpaired.
    public var patientPseudonym: String? = nil
    /// The device that produced it (`-` for an alert that names none).
    public var device: String
    /// When the gateway received it (ms since the epoch).
    public var receivedAt: Int64
    public var content: Content
    /// The device's serial number, from its `info` message (readings only).
    public var deviceSerial: String? = nil
    /// The value checks this reading failed: the kinds of the fault alerts its arrival raised
    /// for its device (`spike_spo2`, `implausible_heart_rate`, `flatline`…). A receiver must not
    /// chart it as a clean value.
    public var questionedBy: [String] = []
    /// The readings an alert rests on (alerts only): its device's readings that arrived within
    /// its evidence window, the most recent first, at most ``Vault/implicatedReadingsLimit``.
    public var implicated: [Reading] = []
    /// The bed of the alert's device, from its pairing (alerts only): what the local alerts
    /// topic names instead of the patient.
    public var bed: String? = nil

    /// Whether the patient's identity was withheld from this entry (consent denied it): the
    /// sink names the patient by ``patientPseudonym`` instead of the MRN.
    public var identityWithheld: Bool { patient == nil && patientPseudonym != nil }
}

/// The fault alerts that question a reading's values (rather than its timing or the device's
/// state): ``OutboxEntry/questionedBy``.
public enum ValueCheck {
    /// Whether an alert of `kind` (category fault) says a reading's values are not to be trusted.
    public static func questionsValues(_ kind: String) -> Bool {
        ["implausible_", "spike_", "stuck_"].contains { kind.hasPrefix($0) }
            || ["diastolic_not_below_systolic", "flatline", "replayed_segment", "pulse_sources_disagree"].contains(kind)
    }
}

/// A device and an arrival time: where a value check's alert points.
public struct ValueFaultKey: Hashable, Sendable {
    public var device: String
    public var at: Int64

    public init(device: String, at: Int64) {
        self.device = device
        self.at = at
    }
}

/// Which records a sink takes from the outbox.
public enum OutboxSelection: String, Sendable, Equatable {
    /// Readings and alerts (FHIR, upstream, NDJSON).
    case all
    /// Alerts only (the local broker's alerts topic), found through the alerts table.
    case alerts
}

/// Where one sink stands (`vitalgate egress status`).
public struct SinkCursor: Sendable, Equatable {
    /// The sink's name (`fhir`, `mqtt`, `ndjson`, or a configured name).
    public var sink: String
    /// Which records it takes.
    public var selection: OutboxSelection = .all
    /// Every record up to this id was delivered or dead-lettered (0: none yet).
    public var lastID: Int64 = 0
    /// Records delivered so far.
    public var delivered: Int64 = 0
    /// Records the receiver refused for good (dead letters).
    public var deadLetters: Int64 = 0
    /// The last successful delivery (ms since the epoch), if any.
    public var lastSuccessAt: Int64?
    /// The last error, as a reason without content, if the last attempt failed.
    public var lastError: String?
    /// Records consent held back so far (issue 21), released later (`consentReleased`),
    /// passed over (`consentSkipped`, with a reason each), or held now (`consentHeldNow`).
    public var consentHeld: Int64 = 0
    public var consentReleased: Int64 = 0
    public var consentSkipped: Int64 = 0
    public var consentHeldNow: Int64 = 0
}

/// A sink's cursor and its backlog (`stats`).
public struct SinkStatus: Sendable, Equatable {
    public var cursor: SinkCursor
    /// Deliverable records after the cursor.
    public var backlog: Int
    /// When the oldest of them arrived (ms since the epoch), if any.
    public var oldestPendingAt: Int64?

    /// As `stats --json` prints it.
    public var json: JSONValue {
        .object([
            ("sink", .string(cursor.sink)), ("selection", .string(cursor.selection.rawValue)), ("last_id", .number(Double(cursor.lastID))),
            ("delivered", .number(Double(cursor.delivered))), ("dead_letters", .number(Double(cursor.deadLetters))),
            ("backlog", .number(Double(backlog))),
            ("oldest_pending_at", oldestPendingAt.map { .number(Double($0)) } ?? .null),
            ("last_success_at", cursor.lastSuccessAt.map { .number(Double($0)) } ?? .null),
            ("last_error", cursor.lastError.map { .string($0) } ?? .null),
            ("consent", .object([
                ("held", .number(Double(cursor.consentHeld))), ("held_now", .number(Double(cursor.consentHeldNow))),
                ("released", .number(Double(cursor.consentReleased))), ("skipped", .number(Double(cursor.consentSkipped))),
            ])),
        ])
    }
}

/// The outbox: the vault's records in id order, read by each sink from its own cursor, which
/// advances only once the receiver confirmed (or refused for good) everything up to it. The
/// delivery worker reads through its own `Vault` (its own connection) beside the agent's.
extension Vault {
    /// Up to `limit` deliverable records after `id` (and about `maxBytes` of stored content, but
    /// at least one record), in id order, and the id the scan reached
    /// (records skipped on the way, such as gateway events or erased patients' readings, are
    /// passed over: the cursor may move past them).
    /// - Throws: `VaultError` `.corruptRow` for a record that does not authenticate or decode
    ///   (the caller dead-letters it: it will never succeed).
    public func outbox(after id: Int64, limit: Int, maxBytes: Int = .max, selection: OutboxSelection = .all,
                       onCorrupt: (Int64, VaultError) -> Void) throws(VaultError) -> (entries: [OutboxEntry], scannedTo: Int64) {
        try forgetErasedPatients()
        let rows = try read {
            try db.cached(Self.outboxQuery(selection)).allRows(.integer(id), .integer(Int64(limit)))
        }
        var entries: [OutboxEntry] = []
        var scanned = id
        var bytes = 0
        for row in rows {
            // Bounded in bytes too (ECG chunks are large): the first record always goes.
            bytes += row[5].blobValue?.count ?? 0
            if bytes > maxBytes, scanned > id { break }
            let rowID = row[0].integerValue ?? 0
            scanned = rowID
            do {
                if let entry = try outboxEntry(row) { entries.append(entry) }
            } catch where error.code == .erased || error.code == .pruned {
                continue  // erased or pruned (evicted): never delivered again
            } catch {
                onCorrupt(rowID, error)
            }
        }
        try annotateReadings(&entries)
        try annotateBeds(&entries)
        return (entries, scanned)
    }

    /// The entry of one row of ``outboxQuery(_:)``'s columns; `nil` for a record that is never
    /// delivered (a gateway event).
    /// - Throws: `VaultError` `.erased` or `.pruned` (never delivered), `.corruptRow`.
    func outboxEntry(_ row: [SQLiteValue]) throws(VaultError) -> OutboxEntry? {
        let rowID = row[0].integerValue ?? 0
        let kind = row[2].textValue ?? ""
        let schema = row[3].textValue ?? ""
        guard kind != "event" || schema == "alert-v1" else { return nil }
        let ref = row[4].integerValue
        if let ref, patientsByRef[ref] == nil { try loadPatients() }
        let device = row[1].textValue ?? "-"
        let ciphertext = row[5].blobValue ?? []
        let receivedAt = row[6].integerValue ?? 0
        let patient = ref.flatMap { patientsByRef[$0]?.identifier }
        let content: OutboxEntry.Content
        var implicated: [Reading] = []
        if kind == "event" {
            let alert = try alertRecord(id: rowID, device: device, patientRef: ref, ciphertext: ciphertext)
            implicated = try implicatedReadings(of: alert, record: rowID)
            content = .alert(alert)
        } else {
            content = .reading(try decryptReading(id: rowID, columns: ReadingRowColumns(row: row, at: 7),
                                                  patientRef: ref, ciphertext: ciphertext, receivedAt: receivedAt))
        }
        var entry = OutboxEntry(id: rowID, patient: patient, device: device, receivedAt: receivedAt, content: content)
        entry.patientPseudonym = ref.flatMap { patientsByRef[$0]?.pseudonym.hexString }
        entry.implicated = implicated
        return entry
    }

    /// The most readings an alert's entry lists.
    public static let implicatedReadingsLimit = 20

    /// How far before its record an alert's readings are looked for: they arrived before it,
    /// in its batch or the batches of its evidence window. A window longer than this many
    /// records lists only what lies inside it (the most recent readings).
    static let implicatedSearchRecords: Int64 = 50_000

    /// The readings of the alert's device that arrived within its evidence window, found by
    /// record id (they were stored before the alert's record) rather than by arrival time,
    /// which has no index; undecryptable ones are left out.
    private func implicatedReadings(of alert: JSONValue, record: Int64) throws(VaultError) -> [Reading] {
        guard let device = alert["device"]?.stringValue, let raised = alert["t"]?.numberValue else { return [] }
        let start = Int64(alert["evidence_start"]?.numberValue ?? raised)
        let end = Int64(max(alert["evidence_end"]?.numberValue ?? raised, raised))
        let rows = try read {
            try db.cached("""
                SELECT id, patient_ref, ciphertext, received_at, \(ReadingRowColumns.select) FROM readings
                WHERE id >= ? AND id < ? AND device = ? AND received_at BETWEEN ? AND ? AND kind != 'event'
                ORDER BY id DESC LIMIT ?
                """).allRows(.integer(record - Self.implicatedSearchRecords), .integer(record), .text(device),
                             .integer(min(start, end)), .integer(end), .integer(Int64(Self.implicatedReadingsLimit)))
        }
        return rows.compactMap { row in
            try? decryptReading(id: row[0].integerValue ?? 0, columns: ReadingRowColumns(row: row, at: 4),
                                patientRef: row[1].integerValue, ciphertext: row[2].blobValue ?? [],
                                receivedAt: row[3].integerValue ?? 0)
        }
    }

    /// Adds each reading's device serial and the value checks it failed (two small queries per
    /// delivery: the devices table, and the fault alerts raised when these readings arrived).
    func annotateReadings(_ entries: inout [OutboxEntry]) throws(VaultError) {
        let readingTimes = entries.compactMap { entry -> Int64? in
            if case .reading = entry.content { return entry.receivedAt }
            return nil
        }
        guard let first = readingTimes.min(), let last = readingTimes.max() else { return }
        let serials = try read {
            try db.cached("SELECT device, serial FROM devices WHERE serial IS NOT NULL").allRows()
        }.reduce(into: [String: String]()) { map, row in
            if let device = row[0].textValue, let serial = row[1].textValue { map[device] = serial }
        }
        let questions = try valueFaults(from: first, to: last)
        for index in entries.indices {
            guard case .reading = entries[index].content else { continue }
            entries[index].deviceSerial = serials[entries[index].device]
            entries[index].questionedBy = questions[ValueFaultKey(device: entries[index].device, at: entries[index].receivedAt)] ?? []
        }
    }

    /// The fault alerts questioning values raised from `from` to `to` (arrival times), by device
    /// and time: a reading is questioned by those of its device raised at its arrival.
    public func valueFaults(from: Int64, to: Int64) throws(VaultError) -> [ValueFaultKey: [String]] {
        let rows = try read {
            try db.cached("""
                SELECT device, at, kind FROM alerts WHERE at BETWEEN ? AND ? AND category = 'fault' AND device IS NOT NULL
                """).allRows(.integer(from), .integer(to))
        }
        var faults: [ValueFaultKey: [String]] = [:]
        for row in rows {
            guard let device = row[0].textValue, let at = row[1].integerValue, let kind = row[2].textValue,
                  ValueCheck.questionsValues(kind) else { continue }
            faults[ValueFaultKey(device: device, at: at), default: []].append(kind)
        }
        return faults
    }

    /// The records `selection` takes after a cursor (`?`), at most a limit (`?`), in id order:
    /// all readings and alert records, or the alert records only, through the alerts table's
    /// indexed `record_id`.
    static func outboxQuery(_ selection: OutboxSelection) -> String {
        switch selection {
        case .all:
            """
            SELECT id, device, kind, schema_id, patient_ref, ciphertext, received_at, \(ReadingRowColumns.select)
            FROM readings WHERE id > ? AND (kind != 'event' OR schema_id = 'alert-v1') ORDER BY id LIMIT ?
            """
        case .alerts:
            """
            SELECT r.id, r.device, r.kind, r.schema_id, r.patient_ref, r.ciphertext, r.received_at,
                   \(ReadingRowColumns.select(of: "r"))
            FROM alerts a JOIN readings r ON r.id = a.record_id WHERE a.record_id > ? ORDER BY a.record_id LIMIT ?
            """
        }
    }

    /// The count and oldest arrival of the records `selection` takes after a cursor (`?`).
    static func backlogQuery(_ selection: OutboxSelection) -> String {
        switch selection {
        case .all:
            "SELECT count(*), min(received_at) FROM readings WHERE id > ? AND (kind != 'event' OR schema_id = 'alert-v1')"
        case .alerts:
            "SELECT count(*), min(r.received_at) FROM alerts a JOIN readings r ON r.id = a.record_id WHERE a.record_id > ?"
        }
    }

    /// Every sink's cursor with its backlog: the deliverable records after it.
    func sinkStatuses() throws -> [SinkStatus] { try Self.sinkStatuses(db) }

    /// Every sink's cursor with its backlog, read on `db` (the vault's or a monitor's connection).
    static func sinkStatuses(_ db: Connection) throws -> [SinkStatus] {
        let rows = try db.query("""
            SELECT sink, last_id, delivered, dead_letters, last_success_at, last_error, selection, \(consentColumns)
            FROM sink_cursors ORDER BY sink
            """)
        return try rows.map { row in
            var cursor = SinkCursor(sink: row[0].textValue ?? "", selection: OutboxSelection(rawValue: row[6].textValue ?? "") ?? .all,
                                    lastID: row[1].integerValue ?? 0, delivered: row[2].integerValue ?? 0,
                                    deadLetters: row[3].integerValue ?? 0, lastSuccessAt: row[4].integerValue,
                                    lastError: row[5].textValue)
            cursor.readConsentCounts(row, at: 7)
            let backlog = try db.cached(backlogQuery(cursor.selection)).firstRow(.integer(cursor.lastID))
            return SinkStatus(cursor: cursor, backlog: Int(backlog?[0].integerValue ?? 0), oldestPendingAt: backlog?[1].integerValue)
        }
    }

    /// The newest record id (the end of every sink's backlog).
    public func newestRecordID() throws(VaultError) -> Int64 {
        try read { try db.query(Self.highestReadingIDQuery).first?.first?.integerValue ?? 0 }
    }

    /// Where `sink` stands (a new sink starts at 0: everything in the vault is its backlog).
    public func sinkCursor(_ sink: String) throws(VaultError) -> SinkCursor {
        let row = try read {
            try db.cached("""
                SELECT last_id, delivered, dead_letters, last_success_at, last_error, selection, \(Self.consentColumns)
                FROM sink_cursors WHERE sink = ?
                """).firstRow(.text(sink))
        }
        guard let row else { return SinkCursor(sink: sink) }
        var cursor = SinkCursor(sink: sink, selection: OutboxSelection(rawValue: row[5].textValue ?? "") ?? .all,
                                lastID: row[0].integerValue ?? 0, delivered: row[1].integerValue ?? 0,
                                deadLetters: row[2].integerValue ?? 0, lastSuccessAt: row[3].integerValue,
                                lastError: row[4].textValue)
        cursor.readConsentCounts(row, at: 6)
        return cursor
    }

    /// Records that `sink` takes `selection` (its backlog is counted accordingly); a new sink
    /// starts at 0, so everything already in the vault is its backlog.
    public func registerSink(_ sink: String, selection: OutboxSelection) throws(VaultError) {
        try write {
            try db.cached("""
                INSERT INTO sink_cursors (sink, last_id, selection) VALUES (?, 0, ?)
                ON CONFLICT(sink) DO UPDATE SET selection = excluded.selection
                """).run(.text(sink), .text(selection.rawValue))
        }
    }

    /// Every sink's cursor, by name.
    public func sinkCursors() throws(VaultError) -> [SinkCursor] {
        let names = try read { try db.query("SELECT sink FROM sink_cursors ORDER BY sink") }
        var cursors: [SinkCursor] = []
        for name in names.compactMap({ $0.first?.textValue }) { cursors.append(try sinkCursor(name)) }
        return cursors
    }

    /// Moves `sink`'s cursor to `lastID` once the receiver confirmed `delivered` records up to it,
    /// recording `deadLetters` (record id, reason) the receiver refused for good, in one transaction.
    /// Records consent `held` back or `skipped` (issue 21) go in the same transaction.
    public func advanceSinkCursor(_ sink: String, to lastID: Int64, delivered: Int, deadLetters: [(Int64, String)],
                                  held: [ConsentHold] = [], skipped: [(Int64, String)] = [], at time: Int64) throws(VaultError) {
        try write {
            try advanceSinkCursorRows(sink, to: lastID, delivered: delivered, deadLetters: deadLetters, held: held,
                                      skipped: skipped, at: time)
        }
    }

    /// The rows of ``advanceSinkCursor(_:to:delivered:deadLetters:held:skipped:at:)``, inside the caller's write transaction.
    func advanceSinkCursorRows(_ sink: String, to lastID: Int64, delivered: Int, deadLetters: [(Int64, String)],
                               held: [ConsentHold] = [], skipped: [(Int64, String)] = [], at time: Int64) throws {
        for (record, reason) in deadLetters {
            try db.cached("INSERT INTO dead_letters (sink, record_id, at, reason) VALUES (?, ?, ?, ?)")
                .run(.text(sink), .integer(record), .integer(time), .text(reason))
        }
        try db.cached("""
            INSERT INTO sink_cursors (sink, last_id, delivered, dead_letters, last_success_at, last_error)
            VALUES (?, ?, ?, ?, ?, NULL)
            ON CONFLICT(sink) DO UPDATE SET last_id = max(last_id, excluded.last_id),
                delivered = delivered + excluded.delivered, dead_letters = dead_letters + excluded.dead_letters,
                last_success_at = excluded.last_success_at, last_error = NULL
            """).run(.text(sink), .integer(lastID), .integer(Int64(delivered)), .integer(Int64(deadLetters.count)),
                     .integer(time))
        try insertConsentOutcomes(sink, held: held, skipped: skipped, at: time)
    }

    /// Records why `sink`'s last attempt failed (a reason without content); the cursor stays.
    public func recordSinkError(_ sink: String, _ reason: String) throws(VaultError) {
        try write {
            try db.cached("""
                INSERT INTO sink_cursors (sink, last_id, last_error) VALUES (?, 0, ?)
                ON CONFLICT(sink) DO UPDATE SET last_error = excluded.last_error
                """).run(.text(sink), .text(reason))
        }
    }

    /// The dead letters of `sink`, oldest first: record id, when, and the receiver's reason.
    public func deadLetters(_ sink: String) throws(VaultError) -> [(recordID: Int64, at: Int64, reason: String)] {
        try read {
            try db.cached("SELECT record_id, at, reason FROM dead_letters WHERE sink = ? ORDER BY id")
                .allRows(.text(sink)).map { ($0[0].integerValue ?? 0, $0[1].integerValue ?? 0, $0[2].textValue ?? "") }
        }
    }

    /// An alert's sealed record: its JSON line.
    private func alertRecord(id: Int64, device: String, patientRef: Int64?, ciphertext: [UInt8]) throws(VaultError)
        -> JSONValue {
        let plaintext = try decryptedPlaintext(id: id, device: device, patientRef: patientRef, ciphertext: ciphertext)
        guard plaintext.first == ReadingPlaintext.version2, plaintext.count > 33 else {
            throw VaultError(.corruptRow, "alert record \(id) has an unknown plaintext version")
        }
        do { return try JSONParser().parse(Array(plaintext[33...])) } catch {
            throw VaultError(.corruptRow, "alert record \(id) is not JSON", underlying: error)
        }
    }

    /// Drops the keys of patients erased through another connection (read only: the agent's
    /// own vault scrubs their digests, `refreshErasures`).
    func forgetErasedPatients() throws(VaultError) {
        guard patientsByRef.values.contains(where: { $0.key != nil }) else { return }
        let erased = try read { try db.query("SELECT id FROM patients WHERE erased_at IS NOT NULL") }
        for ref in erased.compactMap({ $0.first?.integerValue }) {
            guard let entry = patientsByRef[ref], entry.key != nil else { continue }
            if let identifier = entry.identifier { patientsByIdentifier[identifier] = nil }
            patientsByRef[ref] = PatientEntry(ref: ref, pseudonym: entry.pseudonym, key: nil, identifier: nil)
            sealers.removeAll()
        }
    }
}
