public import Consent
import Cryptography
import SQLite
import Telemetry

/// Disclosures aggregated over a window (issue 21, docs/CONSENT.md "Disclosure log"). A sink
/// that delivers every half second would seal a record per patient per delivery, never pruned:
/// about 100 sealed records a second for 50 beds. Instead each sink keeps one open aggregate per
/// patient, recipient, channel, purpose and consent basis in `disclosure_aggregates`, encrypted
/// under the patient's data key (its clear columns: the sink, the patient row, when it opened),
/// updated in the transaction that moves the sink's cursor, and sealed as one disclosure record
/// once its window ended: exactly once, and at most one record per patient and sink per window.
///
/// Until it is sealed an aggregate is listed as open (``openDisclosures(patient:)``); an erasure
/// seals the patient's open aggregates first, so the log shows them (as erased) and their proofs
/// verify. A row that does not authenticate is left where it is, for `audit` to name; the
/// deliveries after it start a new aggregate.
extension Vault {
    /// The open aggregate a window's deliveries of one patient to one recipient are adding to.
    public struct OpenDisclosure: Sendable, Equatable {
        /// The sink delivering.
        public var sink: String
        /// When the window opened (ms): it is sealed `window` after.
        public var openedAt: Int64
        /// The deliveries so far, as one disclosure.
        public var disclosure: Disclosure
    }

    /// Adds `disclosures` to `sink`'s open aggregates, inside the caller's write transaction:
    /// each joins the aggregate of its patient it belongs with (``Disclosure/aggregates(with:)``)
    /// or opens one.
    func accumulateDisclosures(_ disclosures: [Disclosure], sink: String) throws {
        for disclosure in disclosures {
            let entry = try liveEntry(for: disclosure.patient, at: disclosure.disclosedAt)
            guard let key = entry.key else { throw VaultError(.erased, "the patient's data key was erased") }
            var joined = false
            let rows = try db.cached("SELECT opened_at, content FROM disclosure_aggregates WHERE sink = ? AND patient_ref = ?")
                .allRows(.text(sink), .integer(entry.ref))
            for row in rows {
                guard let openedAt = row[0].integerValue, let content = row[1].blobValue,
                      let open = try? Self.openAggregate(content, sink: sink, openedAt: openedAt, key: key),
                      open.aggregates(with: disclosure) else { continue }
                try db.cached("UPDATE disclosure_aggregates SET content = ? WHERE sink = ? AND patient_ref = ? AND opened_at = ?")
                    .run(.blob(try Self.sealAggregate(open.merging(disclosure), sink: sink, openedAt: openedAt, key: key)),
                         .text(sink), .integer(entry.ref), .integer(openedAt))
                joined = true
                break
            }
            guard !joined else { continue }
            // Opened at the first confirmation's time; one per (sink, patient, time) at most, so a
            // second aggregate of the same patient opened in the same millisecond waits one more.
            var openedAt = disclosure.firstDisclosedAt
            while try db.cached("SELECT 1 FROM disclosure_aggregates WHERE sink = ? AND patient_ref = ? AND opened_at = ?")
                .firstRow(.text(sink), .integer(entry.ref), .integer(openedAt)) != nil { openedAt += 1 }
            try db.cached("INSERT INTO disclosure_aggregates (sink, patient_ref, opened_at, content) VALUES (?, ?, ?, ?)")
                .run(.text(sink), .integer(entry.ref), .integer(openedAt),
                     .blob(try Self.sealAggregate(disclosure, sink: sink, openedAt: openedAt, key: key)))
        }
    }

    /// Takes out of `disclosure_aggregates`, inside the caller's write transaction, the
    /// aggregates of `sink` (every sink: `nil`) opened at `cutoff` or before, or those of the
    /// patient row `patientRef`: their disclosures, for the caller to seal in the same transaction.
    func takeDisclosureAggregates(sink: String?, openedBy cutoff: Int64 = .max, patientRef: Int64? = nil) throws
        -> [Disclosure] {
        var clauses = ["opened_at <= ?"]
        var arguments: [SQLiteValue] = [.integer(cutoff)]
        if let sink { clauses.append("sink = ?"); arguments.append(.text(sink)) }
        if let patientRef { clauses.append("patient_ref = ?"); arguments.append(.integer(patientRef)) }
        let rows = try db.query("""
            SELECT id, sink, patient_ref, opened_at, content FROM disclosure_aggregates
            WHERE \(clauses.joined(separator: " AND ")) ORDER BY opened_at, id
            """, arguments)
        var taken: [Disclosure] = []
        for row in rows {
            guard let id = row[0].integerValue, let rowSink = row[1].textValue, let ref = row[2].integerValue,
                  let openedAt = row[3].integerValue, let content = row[4].blobValue else { continue }
            if patientsByRef[ref] == nil { try loadPatients() }  // admitted through another connection
            guard let key = patientsByRef[ref]?.key,
                  let disclosure = try? Self.openAggregate(content, sink: rowSink, openedAt: openedAt, key: key)
            else { continue }  // erased meanwhile, or altered: left for audit to name
            try db.cached("DELETE FROM disclosure_aggregates WHERE id = ?").run(.integer(id))
            taken.append(disclosure)
        }
        return taken
    }

    /// Seals `sink`'s aggregates whose window (`windowMs`) ended at `now`, in one transaction;
    /// without a write when none did. Returns their sealed records' ids.
    @discardableResult
    public func sealDueDisclosures(sink: String, now: Int64, windowMs: Int64) throws(VaultError) -> [Int64] {
        let due = try read {
            try db.cached("SELECT 1 FROM disclosure_aggregates WHERE sink = ? AND opened_at <= ? LIMIT 1")
                .firstRow(.text(sink), .integer(now - windowMs)) != nil
        }
        guard due else { return [] }
        return try recordDisclosures([]) { try takeDisclosureAggregates(sink: sink, openedBy: now - windowMs) }
    }

    /// Seals every open aggregate of the sinks not in `sinks` (a sink removed from the
    /// configuration: nothing will add to its aggregates again), whatever their age.
    @discardableResult
    public func sealDisclosures(ofSinksOtherThan sinks: Set<String>) throws(VaultError) -> [Int64] {
        let others = try read {
            try db.query("SELECT DISTINCT sink FROM disclosure_aggregates").compactMap { $0.first?.textValue }
        }.filter { !sinks.contains($0) }
        var ids: [Int64] = []
        for sink in others {
            ids += try recordDisclosures([]) { try takeDisclosureAggregates(sink: sink) }
        }
        return ids
    }

    /// The open aggregates of the patient `identifier` (none once erased: erasure seals them),
    /// oldest first.
    public func openDisclosures(patient identifier: String) throws(VaultError) -> [OpenDisclosure] {
        try forgetErasedPatients()
        if patientsByIdentifier[identifier] == nil { try loadPatients() }  // admitted through another connection
        guard let entry = patientsByIdentifier[identifier], let key = entry.key else { return [] }
        let rows = try read {
            try db.query("SELECT sink, opened_at, content FROM disclosure_aggregates WHERE patient_ref = ? ORDER BY opened_at, id",
                         [.integer(entry.ref)])
        }
        var open: [OpenDisclosure] = []
        for row in rows {
            guard let sink = row[0].textValue, let openedAt = row[1].integerValue, let content = row[2].blobValue else { continue }
            do {
                open.append(OpenDisclosure(sink: sink, openedAt: openedAt,
                                           disclosure: try Self.openAggregate(content, sink: sink, openedAt: openedAt, key: key)))
            } catch {
                throw VaultError(.corruptRow, "an open disclosure aggregate does not authenticate (see `vitalgate audit`)")
            }
        }
        return open
    }

    /// `disclosure_aggregates` (audit): each row must name a patient row and authenticate under
    /// its key, bound to its sink and opening time (rows of erased patients cannot be checked).
    func auditDisclosureAggregates(into report: inout AuditReport) throws(VaultError) {
        let rows = try read { try db.query("SELECT id, sink, patient_ref, opened_at, content FROM disclosure_aggregates ORDER BY id") }
        if rows.contains(where: { $0[2].integerValue.map { patientsByRef[$0] == nil } ?? false }) { try loadPatients() }
        for row in rows {
            let id = row[0].integerValue ?? 0
            report.disclosuresChecked += 1
            guard let ref = row[2].integerValue, let entry = patientsByRef[ref] else {
                report.add("disclosure_aggregates", id, "names no patient row")
                continue
            }
            guard let key = entry.key else { continue }
            guard let sink = row[1].textValue, let openedAt = row[3].integerValue, let content = row[4].blobValue,
                  (try? Self.openAggregate(content, sink: sink, openedAt: openedAt, key: key)) != nil else {
                report.add("disclosure_aggregates", id, "does not authenticate (altered or moved)")
                continue
            }
        }
    }

    /// An aggregate's content: its record JSON, encrypted under the patient's key, bound to the
    /// row's sink and opening time.
    static func sealAggregate(_ disclosure: Disclosure, sink: String, openedAt: Int64, key: [UInt8]) throws -> [UInt8] {
        try AES256GCM.encrypt(disclosure.recordBytes, key: key, associatedData: aggregateAAD(sink: sink, openedAt: openedAt))
            .combined
    }

    /// Reads an aggregate's content.
    /// - Throws: when it does not authenticate or read.
    static func openAggregate(_ content: [UInt8], sink: String, openedAt: Int64, key: [UInt8]) throws -> Disclosure {
        let plain = try AES256GCM.decrypt(try AES256GCM.EncryptedBox(combined: content), key: key,
                                          associatedData: aggregateAAD(sink: sink, openedAt: openedAt))
        return try Disclosure(recordJSON: try JSONParser().parse(plain))
    }

    private static func aggregateAAD(sink: String, openedAt: Int64) -> [UInt8] {
        var aad = Array("vg-disclosure-aggregate-v1".utf8)
        for shift in stride(from: 56, through: 0, by: -8) { aad.append(UInt8(truncatingIfNeeded: openedAt >> Int64(shift))) }
        return aad + Array(sink.utf8)
    }
}
