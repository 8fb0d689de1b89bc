import Anchoring
import Foundation
import Ledger
import Sealing
import SQLite
import Telemetry
import Testing
import Vault

/// Retention (issue 20): a reading's content is pruned once every configured sink confirmed it,
/// the checkpoint covering it is anchored, and it is older than `keep_days`; proofs, audit and
/// the log keep working. Evictions at the byte budget are sealed events; the file shrinks.
@Suite struct VaultRetentionTests {
    static let day: Int64 = 86_400_000
    /// When the fixture's readings arrived (`Sample.reading`).
    static let arrival: Int64 = 1_763_884_800_500
    /// Long after.
    static let later: Int64 = arrival + 30 * day

    /// Three batches of six readings (ids 1-18), a quarantined message, an alert (its sealed
    /// record, id 19, is in the open batch); the third checkpoint anchored when `anchored`.
    private func fixture(_ scratch: ScratchVault, anchored: Bool = true) throws -> Vault {
        let vault = try scratch.openSealing(batchesOf: 6)
        for first: UInt32 in [1, 7] {
            _ = try vault.store((first..<first + 6).map { Sample.incoming($0) })
        }
        _ = try vault.store((13...18).map { Sample.incoming($0) } + [IncomingMessage(topic: "t", payload: Array("{bad".utf8), receivedAt: 1,
                             outcome: .quarantined(device: nil, kind: nil, QuarantineVerdict(.invalidJSON, "syntax")))],
            alerts: [AlertRecord(at: 1, device: "OXP-7F31A2", patient: "MRN-1", category: "fault", kind: "probe_off",
                                 score: 0.95, body: Array("{}".utf8))])
        if anchored { try anchor(scratch, vault) }
        return vault
    }

    /// Anchors the latest checkpoint as the agent's anchoring worker does with the local ledger.
    private func anchor(_ scratch: ScratchVault, _ vault: Vault) throws {
        try scratch.anchorLatestCheckpoint(vault)
    }

    /// The ids whose content is a tombstone.
    private func prunedIDs(_ scratch: ScratchVault) throws -> [Int64] {
        try Connection(path: scratch.path).query("SELECT id FROM readings WHERE length(ciphertext) <= 28 ORDER BY id")
            .compactMap { $0.first?.integerValue }
    }

    @Test func deliveredAnchoredAndOldReadingsArePrunedOldestFirstInBoundedSteps() throws {
        let scratch = try ScratchVault("retention")
        defer { scratch.remove() }
        let vault = try fixture(scratch)
        let first = try vault.pruneStep(RetentionPolicy(), now: Self.later, limit: 10)
        #expect(first.pruned == 10 && first.firstID == 1 && first.lastID == 10)
        let second = try vault.pruneStep(RetentionPolicy(), now: Self.later, limit: 10)
        #expect(second.pruned == 8 && second.firstID == 11 && second.lastID == 18)
        #expect(try vault.pruneStep(RetentionPolicy(), now: Self.later, limit: 10).pruned == 0)
        #expect(try prunedIDs(scratch) == Array(1...18))
        let stats = try vault.stats()
        #expect(stats.retention.pruned == 18 && stats.retention.evicted == 0 && stats.retention.scannedThrough == 18)
        #expect(stats.readings == 18)  // the rows stay: only their content goes
        #expect(stats.retention.autoVacuum == "incremental")
    }

    @Test func unanchoredReadingsAreKept() throws {
        let scratch = try ScratchVault("retention")
        defer { scratch.remove() }
        let vault = try fixture(scratch, anchored: false)
        #expect(try vault.pruneStep(RetentionPolicy(), now: Self.later, limit: 100).pruned == 0)
        #expect(try prunedIDs(scratch).isEmpty)
    }

    @Test func undeliveredReadingsAreKept() throws {
        let scratch = try ScratchVault("retention")
        defer { scratch.remove() }
        let vault = try fixture(scratch)
        try vault.registerSink("fhir", selection: .all)
        try vault.registerSink("local-alerts", selection: .alerts)  // takes no readings: holds nothing back
        // A configured sink that never confirmed anything holds everything back.
        #expect(try vault.pruneStep(RetentionPolicy(sinks: ["fhir", "local-alerts"]), now: Self.later, limit: 100).pruned == 0)
        try vault.advanceSinkCursor("fhir", to: 12, delivered: 12, deadLetters: [], at: 2)
        // So does one configured but without a cursor yet.
        #expect(try vault.pruneStep(RetentionPolicy(sinks: ["fhir", "upstream"]), now: Self.later, limit: 100).pruned == 0)
        #expect(try vault.pruneStep(RetentionPolicy(sinks: ["fhir", "local-alerts"]), now: Self.later, limit: 100).pruned == 12)
        #expect(try prunedIDs(scratch) == Array(1...12))
    }

    @Test func readingsYoungerThanKeepDaysAreKeptUntilTheBudgetNears() throws {
        let scratch = try ScratchVault("retention")
        defer { scratch.remove() }
        let vault = try fixture(scratch)
        let policy = RetentionPolicy(keepDays: 7)
        #expect(try vault.pruneStep(policy, now: Self.arrival + 7 * Self.day, limit: 100).pruned == 0)  // 7 days old, not older
        #expect(try prunedIDs(scratch).isEmpty)
        #expect(try vault.pruneStep(policy, now: Self.arrival + 7 * Self.day + 1, limit: 5).pruned == 5)  // older
        // Near the budget, delivered and anchored readings go early.
        #expect(try vault.pruneStep(policy, now: Self.arrival, limit: 100, ignoringAge: true).pruned == 13)
    }

    @Test func alertsSealedRecordsAndQuarantineAreNeverPruned() throws {
        let scratch = try ScratchVault("retention")
        defer { scratch.remove() }
        let vault = try fixture(scratch, anchored: false)
        try vault.sealAll(now: 2)  // the alert's record (19) is sealed and anchored too
        try anchor(scratch, vault)
        let db = try Connection(path: scratch.path)
        let before = try db.query("SELECT length(payload_ct) FROM quarantine").first?.first?.integerValue
        #expect(try vault.pruneStep(RetentionPolicy(), now: Self.later, limit: 100).pruned == 18)
        #expect(try vault.evictOldest(limit: 100, now: Self.later).pruned == 0)  // nothing left but records
        #expect(try prunedIDs(scratch) == Array(1...18))
        #expect(try db.query("SELECT length(ciphertext) FROM readings WHERE id = 19").first?.first?.integerValue ?? 0 > 28)
        #expect(try db.query("SELECT length(payload_ct) FROM quarantine").first?.first?.integerValue == before)
        var alerts = 0
        try vault.exportAlerts(ExportFilter(), onError: { id, error in Issue.record("alert \(id): \(error)") }) { _ in alerts += 1 }
        #expect(alerts == 1)
    }

    @Test func proofsOfPrunedReadingsVerifyAndSayPruned() throws {
        let scratch = try ScratchVault("retention")
        defer { scratch.remove() }
        let vault = try fixture(scratch)
        try vault.pruneStep(RetentionPolicy(), now: Self.later, limit: 100)
        let trust = try vault.trustAnchors(gatewayID: "gw")
        for id in Int64(1)...18 {
            let bundle = try vault.proofBundle(readingID: id, gatewayID: "gw")
            #expect(bundle.reading.pruned && !bundle.reading.erased && bundle.reading.salt == nil && bundle.reading.canonical == nil)
            #expect(String(decoding: bundle.json, as: UTF8.self).contains(#""pruned":true"#))
            let report = try BundleVerifier.verify(json: bundle.json, trust: trust)  // through the JSON form
            #expect(report.passed && report.pruned, "reading \(id): \(report.text)")
            #expect(report.step(.commitment)?.status == .skip)
            #expect(report.text.contains("(content pruned)"))
            #expect(!bundle.anchors.isEmpty)
        }
        // Pruned rows are left out of export and the outbox, never reported as corrupt.
        var exported = 0
        try vault.export(ExportFilter(), onError: { id, error in Issue.record("row \(id): \(error)") }) { _ in exported += 1 }
        #expect(exported == 0)
        let (entries, scannedTo) = try vault.outbox(after: 0, limit: 100, onCorrupt: { id, _ in Issue.record("row \(id)") })
        #expect(entries.count == 1 && scannedTo == 19)  // the alert's record
    }

    @Test func aBundleMarkedPrunedWithContentIsRefused() throws {
        let scratch = try ScratchVault("retention")
        defer { scratch.remove() }
        let vault = try fixture(scratch)
        var bundle = try vault.proofBundle(readingID: 3, gatewayID: "gw")
        bundle.reading.pruned = true
        #expect(throws: SealingError.self) { _ = try ProofBundle(json: bundle.json) }
    }

    @Test func auditPassesOnAPrunedVault() throws {
        let scratch = try ScratchVault("retention")
        defer { scratch.remove() }
        let vault = try fixture(scratch)
        try vault.pruneStep(RetentionPolicy(), now: Self.later, limit: 12)
        let report = try vault.audit(gatewayID: "gw")
        #expect(report.passed, "\(report.findings)")
        #expect(report.readingsChecked == 18 && report.readingsPruned == 12)
    }

    static let flip = "substr(%1$@, 1, 10) || CASE WHEN substr(%1$@, 11, 1) = x'A5' THEN x'5A' ELSE x'A5' END || substr(%1$@, 12)"

    /// Each alters one kept column of pruned reading 5 (or prunes reading 15, which is live, without the key).
    static let tampers: [(String, String)] = [
        ("commitment", "UPDATE readings SET commitment = \(String(format: flip, "commitment")) WHERE id = 5"),
        ("digest", "UPDATE readings SET digest = \(String(format: flip, "digest")) WHERE id = 5"),
        ("tombstone", "UPDATE readings SET ciphertext = \(String(format: flip, "ciphertext")) WHERE id = 5"),
        ("seq", "UPDATE readings SET seq = seq + 1 WHERE id = 5"),
        ("device time", "UPDATE readings SET device_time = device_time + 1 WHERE id = 5"),
        ("received at", "UPDATE readings SET received_at = received_at + 1 WHERE id = 5"),
        ("model", "UPDATE readings SET model = 'OxiPatcH' WHERE id = 5"),
        ("schema", "UPDATE readings SET schema_id = 'oxipatch-fw2' WHERE id = 5"),
        ("content removed without the key", "UPDATE readings SET ciphertext = x'' WHERE id = 15"),
        ("tombstone copied from another row", "UPDATE readings SET ciphertext = (SELECT ciphertext FROM readings WHERE id = 4) WHERE id = 15"),
    ]

    @Test(arguments: tampers)
    func auditCatchesAFlippedByteInAPrunedRowsRemainingFields(_ tamper: (String, String)) throws {
        let scratch = try ScratchVault("retention")
        defer { scratch.remove() }
        let vault = try fixture(scratch)
        try vault.pruneStep(RetentionPolicy(), now: Self.later, limit: 12)
        try Connection(path: scratch.path).execute(tamper.1)
        let report = try vault.audit(gatewayID: "gw")
        let row: Int64 = tamper.0.hasPrefix("content") || tamper.0.hasPrefix("tombstone copied") ? 15 : 5
        #expect(report.findings.contains { $0.table == "readings" && $0.row == row }, "\(tamper.0): \(report.findings)")
    }

    @Test func anErasedPatientsPrunedRowsPassAudit() throws {
        let scratch = try ScratchVault("retention")
        defer { scratch.remove() }
        let vault = try fixture(scratch)
        try vault.pruneStep(RetentionPolicy(), now: Self.later, limit: 6)
        _ = try vault.erasePatient("MRN-1", by: "dpo", at: 3)
        try vault.pruneStep(RetentionPolicy(), now: Self.later, limit: 6)  // after the erasure: no key, no tombstone
        let report = try vault.audit(gatewayID: "gw")
        #expect(report.passed, "\(report.findings)")
        #expect(report.readingsPruned == 12 && report.readingsErased == 18)
        let bundle = try vault.proofBundle(readingID: 8, gatewayID: "gw")
        #expect(bundle.reading.pruned)
    }

    @Test func evictionTakesTheOldestContentAndIsASealedEventNamingTheRange() throws {
        let scratch = try ScratchVault("retention")
        defer { scratch.remove() }
        let vault = try fixture(scratch, anchored: false)  // undelivered, unanchored, young: still evicted
        let outcome = try vault.evictOldest(limit: 10, now: 5)
        #expect(outcome.pruned == 10 && outcome.firstID == 1 && outcome.lastID == 10)
        let record = try #require(outcome.eventRecordID)
        #expect(record == 20)  // after the alert's record (19)
        #expect(try prunedIDs(scratch) == Array(1...10))
        let stats = try vault.stats()
        #expect(stats.retention.evicted == 10 && stats.eventsByType["readings_evicted"] == 1)
        try vault.sealAll(now: 6)
        let bundle = try vault.proofBundle(readingID: record, gatewayID: "gw")
        let trust = try vault.trustAnchors(gatewayID: "gw")
        #expect(BundleVerifier.verify(bundle, trust: trust).passed)
        let text = String(decoding: bundle.canonicalOrEmpty, as: UTF8.self)
        #expect(text.contains(#""type":"readings_evicted""#) && text.contains(#""first_id":1"#) && text.contains(#""last_id":10"#))
        #expect(try vault.audit(gatewayID: "gw").passed)
        // The next eviction goes on from there.
        let next = try vault.evictOldest(limit: 100, now: 7)
        #expect(next.firstID == 11 && next.lastID == 18 && next.pruned == 8)
    }

    @Test func aNewVaultUsesIncrementalVacuumAndAnOldOneIsConverted() throws {
        let fresh = try ScratchVault("retention")
        defer { fresh.remove() }
        #expect(try fresh.open().retentionStatus().autoVacuum == "incremental")

        let old = try ScratchVault("retention")
        defer { old.remove() }
        do {  // a vault made before this change: auto_vacuum none, set when its first table was made
            let db = try Connection(path: old.path)
            try db.execute("PRAGMA auto_vacuum = NONE; CREATE TABLE first (a); DROP TABLE first;")
        }
        let vault = try old.open()
        try Sample.store(vault, seqs: 1...20)
        #expect(try vault.retentionStatus().autoVacuum == "none")
        #expect(try vault.convertToIncrementalVacuum(maxBytes: 1) == false)  // too large for the limit: left
        #expect(try vault.convertToIncrementalVacuum(maxBytes: 64 << 20))
        #expect(try vault.retentionStatus().autoVacuum == "incremental")
        #expect(try vault.convertToIncrementalVacuum(maxBytes: 64 << 20) == false)  // once
        var count = 0
        try vault.export(ExportFilter(), onError: { _, _ in }) { _ in count += 1 }
        #expect(count == 20)
    }

    /// The file shrinks once pruned pages are returned in small steps; prints the figures.
    @Test func theFileShrinksAfterPruningAndIncrementalVacuum() throws {
        let scratch = try ScratchVault("retention")
        defer { scratch.remove() }
        let vault = try scratch.openSealing(batchesOf: 256)
        for first in stride(from: UInt32(1), through: 5000, by: 500) {
            _ = try vault.store((first..<first + 500).map { Sample.incoming($0) })
        }
        try vault.sealAll(now: 2)
        try anchor(scratch, vault)
        try vault.walCheckpoint()
        let before = vault.fileBytes
        var steps: [Double] = []
        while true {
            let start = ContinuousClock.now
            let outcome = try vault.pruneStep(RetentionPolicy(), now: Self.later, limit: 1000)
            guard outcome.pruned > 0 else { break }
            steps.append(Double((ContinuousClock.now - start).components.attoseconds) / 1e15
                         + Double((ContinuousClock.now - start).components.seconds) * 1000)
        }
        #expect(try vault.retentionStatus().pruned == 5000)
        try vault.walCheckpoint()
        let prunedOnly = vault.fileBytes
        let free = try vault.retentionStatus().freeBytes
        // What the byte budget is checked with: the same file, its free pages, the WAL just truncated.
        let space = vault.space
        #expect(space.fileBytes + space.walBytes == prunedOnly && space.walBytes == 0)
        #expect(space.freeBytes == free && space.contentBytes == prunedOnly - free && vault.usedBytes == space.contentBytes)
        var vacuumSteps = 0
        while try vault.reclaimFreePages(256) > 0 { vacuumSteps += 1 }
        try vault.walCheckpoint()
        let after = vault.fileBytes
        print("retention figures: 5000 readings, file \(before) B; pruned in \(steps.count) steps of 1000 "
              + "(ms: \(steps.map { String(format: "%.1f", $0) }.joined(separator: ", "))); "
              + "file \(prunedOnly) B with \(free) B free; \(vacuumSteps) vacuum steps of 256 pages; file \(after) B")
        #expect(free > 0)
        // Every free page goes back to the file system (a few pages of slack for the WAL and the
        // freelist trunk). With compact rows (DECISIONS 45) the content is ~90 B a row, so the file
        // shrinks by a fifth here; with the older rows it halved.
        #expect(after < before && before - after >= free - 16 * 4096, "before \(before), free \(free), after \(after)")
        #expect(try vault.audit(gatewayID: "gw").passed)
    }
}

extension ProofBundle {
    fileprivate var canonicalOrEmpty: [UInt8] { reading.canonical ?? [] }
}
