public import Consent
import SQLite
import Telemetry

/// Consent at the sinks (issue 21, docs/CONSENT.md "Enforcement"): the records a sink may not
/// disclose now. Its cursor moves past them (they never block another patient's records); a
/// held one is kept here by record id until consent arrives (released: delivered, counted with
/// the sink's deliveries) or its window ends (skipped, with the reason), so a restart loses
/// nothing and memory does not grow with the holds.
extension Vault {
    /// A record a sink holds back for consent: its id, when its window ends, and why (no patient data).
    public struct ConsentHold: Sendable, Equatable {
        public var recordID: Int64
        public var until: Int64
        public var reason: String

        public init(recordID: Int64, until: Int64, reason: String) {
            self.recordID = recordID
            self.until = until
            self.reason = reason
        }
    }

    /// The consent counts of `sink_cursors` (and the holds pending), after its other columns.
    static let consentColumns = """
        consent_held, consent_released, consent_skipped,
        (SELECT count(*) FROM consent_holds h WHERE h.sink = sink_cursors.sink)
        """

    /// Records `held` and `skipped` records of `sink` (inside `advanceSinkCursor`'s transaction).
    func insertConsentOutcomes(_ sink: String, held: [ConsentHold], skipped: [(Int64, String)], at time: Int64) throws {
        guard !held.isEmpty || !skipped.isEmpty else { return }
        for hold in held {
            try db.cached("""
                INSERT INTO consent_holds (sink, record_id, held_at, until, reason) VALUES (?, ?, ?, ?, ?)
                ON CONFLICT(sink, record_id) DO NOTHING
                """).run(.text(sink), .integer(hold.recordID), .integer(time), .integer(hold.until), .text(hold.reason))
        }
        try insertConsentSkips(sink, skipped, at: time)
        try db.cached("""
            UPDATE sink_cursors SET consent_held = consent_held + ?, consent_skipped = consent_skipped + ? WHERE sink = ?
            """).run(.integer(Int64(held.count)), .integer(Int64(skipped.count)), .text(sink))
    }

    private func insertConsentSkips(_ sink: String, _ skipped: [(Int64, String)], at time: Int64) throws {
        for (record, reason) in skipped {
            try db.cached("INSERT INTO consent_skips (sink, record_id, at, reason) VALUES (?, ?, ?, ?)")
                .run(.text(sink), .integer(record), .integer(time), .text(reason))
        }
    }

    /// Up to `limit` record ids `sink` holds after `recordID`, in id order.
    public func consentHolds(_ sink: String, after recordID: Int64, limit: Int) throws(VaultError) -> [Int64] {
        try read {
            try db.cached("SELECT record_id FROM consent_holds WHERE sink = ? AND record_id > ? ORDER BY record_id LIMIT ?")
                .allRows(.text(sink), .integer(recordID), .integer(Int64(limit))).compactMap { $0[0].integerValue }
        }
    }

    /// Up to `limit` holds of `sink` whose window ended at `now`, the oldest window first.
    public func expiredConsentHolds(_ sink: String, now: Int64, limit: Int) throws(VaultError) -> [ConsentHold] {
        try read {
            try db.cached("SELECT record_id, until, reason FROM consent_holds WHERE sink = ? AND until <= ? ORDER BY until LIMIT ?")
                .allRows(.text(sink), .integer(now), .integer(Int64(limit))).map {
                    ConsentHold(recordID: $0[0].integerValue ?? 0, until: $0[1].integerValue ?? 0, reason: $0[2].textValue ?? "")
                }
        }
    }

    /// Ends holds of `sink` in one transaction: `released` went to the receiver (its
    /// `deadLetters` refused for good), `skipped` are passed over for good with their reasons.
    /// The released records' `disclosures` are accounted in the same transaction, as
    /// ``advanceSinkCursor(_:to:delivered:deadLetters:held:skipped:at:disclosures:windowMs:)`` does.
    /// - Returns: the ids of the disclosure records sealed.
    @discardableResult
    public func settleConsentHolds(_ sink: String, released: [Int64], deadLetters: [(Int64, String)],
                                   skipped: [(Int64, String)], at time: Int64, disclosures: [Disclosure] = [],
                                   windowMs: Int64 = 0) throws(VaultError) -> [Int64] {
        guard !released.isEmpty || !skipped.isEmpty else { return [] }
        guard !disclosures.isEmpty else {
            try write { try settleConsentHoldRows(sink, released: released, deadLetters: deadLetters, skipped: skipped, at: time) }
            return []
        }
        return try recordDisclosures(windowMs > 0 ? [] : disclosures) {
            try settleConsentHoldRows(sink, released: released, deadLetters: deadLetters, skipped: skipped, at: time)
            guard windowMs > 0 else { return [] }
            // The windows that ended are sealed first: this delivery opens the next.
            let due = try takeDisclosureAggregates(sink: sink, openedBy: time - windowMs)
            try accumulateDisclosures(disclosures, sink: sink)
            return due
        }
    }

    /// The rows of ``settleConsentHolds(_:released:deadLetters:skipped:at:disclosures:windowMs:)``,
    /// inside the caller's write transaction.
    private func settleConsentHoldRows(_ sink: String, released: [Int64], deadLetters: [(Int64, String)],
                                       skipped: [(Int64, String)], at time: Int64) throws {
        for id in released + skipped.map(\.0) {
            try db.cached("DELETE FROM consent_holds WHERE sink = ? AND record_id = ?").run(.text(sink), .integer(id))
        }
        for (record, reason) in deadLetters {
            try db.cached("INSERT INTO dead_letters (sink, record_id, at, reason) VALUES (?, ?, ?, ?)")
                .run(.text(sink), .integer(record), .integer(time), .text(reason))
        }
        try insertConsentSkips(sink, skipped, at: time)
        let delivered = released.count - deadLetters.count
        try db.cached("""
            UPDATE sink_cursors SET consent_released = consent_released + ?, consent_skipped = consent_skipped + ?,
                delivered = delivered + ?, dead_letters = dead_letters + ?,
                last_success_at = CASE WHEN ? > 0 THEN ? ELSE last_success_at END
            WHERE sink = ?
            """).run(.integer(Int64(delivered)), .integer(Int64(skipped.count)), .integer(Int64(delivered)),
                     .integer(Int64(deadLetters.count)), .integer(Int64(delivered)), .integer(time), .text(sink))
    }

    /// The records of `sink` passed over for consent, oldest first: record id, when, and why.
    public func consentSkips(_ sink: String) throws(VaultError) -> [(recordID: Int64, at: Int64, reason: String)] {
        try read {
            try db.cached("SELECT record_id, at, reason FROM consent_skips WHERE sink = ? ORDER BY id")
                .allRows(.text(sink)).map { ($0[0].integerValue ?? 0, $0[1].integerValue ?? 0, $0[2].textValue ?? "") }
        }
    }

    /// The outbox entries of `ids` (held records read again), and those that can no longer go,
    /// with the reason: erased, pruned, gone, or no longer readable.
    public func outboxEntries(ids: [Int64]) throws(VaultError) -> (entries: [OutboxEntry], gone: [(Int64, String)]) {
        var entries: [OutboxEntry] = []
        var gone: [(Int64, String)] = []
        for id in ids {
            let row = try read {
                try db.cached("""
                    SELECT id, device, kind, schema_id, patient_ref, ciphertext, received_at, \(ReadingRowColumns.select)
                    FROM readings WHERE id = ?
                    """).firstRow(.integer(id))
            }
            do throws(VaultError) {
                guard let row, let entry = try outboxEntry(row) else {
                    gone.append((id, "the record is gone"))
                    continue
                }
                entries.append(entry)
            } catch {
                let why = switch error.code {
                case .erased: "the patient was erased"
                case .pruned: "the record's content was pruned"
                default: "the record cannot be read: \(error.code)"
                }
                gone.append((id, why))
            }
        }
        try annotateReadings(&entries)
        try annotateBeds(&entries)
        return (entries, gone)
    }

    /// Adds the bed of each alert's device (the local alerts topic names the bed, not the patient):
    /// the device's current pairing.
    func annotateBeds(_ entries: inout [OutboxEntry]) throws(VaultError) {
        for index in entries.indices {
            guard case .alert = entries[index].content, entries[index].device != "-" else { continue }
            let device = entries[index].device
            entries[index].bed = try read {
                try db.cached("SELECT bed FROM devices WHERE device = ? AND patient_ref IS NOT NULL").firstRow(.text(device))
            }?[0].textValue
        }
    }
}

extension SinkCursor {
    /// Reads ``Vault/consentColumns`` from `row`, starting at column `first`.
    mutating func readConsentCounts(_ row: [SQLiteValue], at first: Int) {
        consentHeld = row[first].integerValue ?? 0
        consentReleased = row[first + 1].integerValue ?? 0
        consentSkipped = row[first + 2].integerValue ?? 0
        consentHeldNow = row[first + 3].integerValue ?? 0
    }
}
