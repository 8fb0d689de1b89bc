import Foundation
import Sealing
import SQLite
import Telemetry
import Testing
import Vault

/// Compaction (issue 20): once every reading of an anchored batch is pruned, the batch's rows give
/// way to one archive row of its leaves; proofs of its readings still verify offline and say
/// `pruned`, `audit` checks the archive, erasure goes on working, and ids are never reused.
@Suite struct VaultCompactionTests {
    static let day: Int64 = 86_400_000
    /// When the fixture's readings arrived (`Sample.reading`).
    static let arrival: Int64 = 1_763_884_800_500
    static let later: Int64 = arrival + 30 * day

    /// Three batches of six readings (ids 1-18) and an alert whose sealed record (19) is sealed
    /// alone in a fourth batch; everything anchored.
    private func fixture(_ scratch: ScratchVault) throws -> Vault {
        let vault = try scratch.openSealing(batchesOf: 6)
        for first: UInt32 in [1, 7] {
            _ = try vault.store((first..<first + 6).map { Sample.incoming($0) })
        }
        _ = try vault.store((13...18).map { Sample.incoming($0) },
            alerts: [AlertRecord(at: 1, device: "OXP-7F31A2", patient: "MRN-1", category: "fault", kind: "probe_off",
                                 score: 0.95, body: Array("{}".utf8))])
        try vault.sealAll(now: 2)
        try scratch.anchorLatestCheckpoint(vault)
        return vault
    }

    private func compact(_ vault: Vault, now: Int64 = later, limit: Int = 100) throws -> CompactionOutcome {
        try vault.compactStep(now: now, limit: limit, minimumAgeMs: Vault.compactionMinimumAgeMs)
    }

    private func readingIDs(_ scratch: ScratchVault) throws -> [Int64] {
        try Connection(path: scratch.path).query("SELECT id FROM readings ORDER BY id").compactMap { $0.first?.integerValue }
    }

    /// Every bundle of `ids` verifies offline through its JSON form and says `pruned`.
    private func expectPrunedProofsVerify(_ vault: Vault, _ ids: ClosedRange<Int64>) throws {
        let trust = try vault.trustAnchors(gatewayID: "gw")
        for id in ids {
            let bundle = try vault.proofBundle(readingID: id, gatewayID: "gw")
            #expect(bundle.reading.pruned && bundle.reading.salt == nil && bundle.reading.canonical == nil)
            let report = try BundleVerifier.verify(json: bundle.json, trust: trust)
            #expect(report.passed && report.pruned, "reading \(id): \(report.text)")
            #expect(!bundle.anchors.isEmpty)
        }
    }

    @Test func whollyPrunedBatchesBecomeArchivesWhoseProofsVerifyOffline() throws {
        let scratch = try ScratchVault("compaction")
        defer { scratch.remove() }
        let vault = try fixture(scratch)
        let before = try (1...18).map { try vault.proofBundle(readingID: Int64($0), gatewayID: "gw").reading.commitment }
        #expect(try compact(vault).batches == 0)  // nothing pruned yet
        try vault.pruneStep(RetentionPolicy(), now: Self.later, limit: 100)
        let outcome = try compact(vault)
        #expect(outcome.batches == 3 && outcome.readings == 18 && outcome.skipped == 1)  // the record's batch stays
        #expect(try readingIDs(scratch) == [19])
        #expect(try Connection(path: scratch.path).query("SELECT count(*) FROM compacted_batches").first?.first?.integerValue == 3)
        #expect(try vault.retentionStatus().compacted == 18)
        #expect(try compact(vault).batches == 0)  // once

        // Read back by a new process, from the file.
        let reopened = try scratch.open()
        try expectPrunedProofsVerify(reopened, 1...18)
        let after = try (1...18).map { try reopened.proofBundle(readingID: Int64($0), gatewayID: "gw").reading.commitment }
        #expect(after == before)
        #expect(try reopened.proofBundle(readingID: 19, gatewayID: "gw").reading.canonical != nil)  // the record keeps its content
        let report = try reopened.audit(gatewayID: "gw")
        #expect(report.passed, "\(report.findings)")
        #expect(report.readingsCompacted == 18 && report.readingsChecked == 1)
        #expect(throws: VaultError.self) { _ = try reopened.proofBundle(readingID: 20, gatewayID: "gw") }
    }

    @Test func batchesNotWhollyPrunedOrTooYoungWait() throws {
        let scratch = try ScratchVault("compaction")
        defer { scratch.remove() }
        let vault = try fixture(scratch)
        try vault.pruneStep(RetentionPolicy(), now: Self.later, limit: 10)  // ids 1-10
        // Within the hour after its newest reading arrived, a batch keeps its rows (redelivered copies).
        #expect(try compact(vault, now: Self.arrival + Vault.compactionMinimumAgeMs - 1).batches == 0)
        let outcome = try compact(vault)
        #expect(outcome.batches == 1 && outcome.readings == 6 && outcome.skipped == 0)
        #expect(try readingIDs(scratch) == Array(7...19))
        try vault.pruneStep(RetentionPolicy(), now: Self.later, limit: 10)
        #expect(try compact(vault, limit: 1).batches == 1)  // at least one batch a step
        #expect(try compact(vault, limit: 1).batches == 1)
        #expect(try vault.audit(gatewayID: "gw").passed)
    }

    /// Flips byte 41 (of the leaves) or byte 11 (of the 28-byte tag) of column `%1$@`.
    /// (`||` makes text of blobs: cast back, so that only the byte differs.)
    static let flip = "CAST(substr(%1$@, 1, 40) || CASE WHEN substr(%1$@, 41, 1) = x'A5' THEN x'5A' ELSE x'A5' END "
        + "|| substr(%1$@, 42) AS BLOB)"
    static let flipTag = "CAST(substr(%1$@, 1, 10) || CASE WHEN substr(%1$@, 11, 1) = x'A5' THEN x'5A' ELSE x'A5' END "
        + "|| substr(%1$@, 12) AS BLOB)"

    /// Each alters batch 1's archive (ids 7-12) or the rows around it.
    static let tampers: [(String, String, String, Int64)] = [
        ("a flipped byte in the leaves", "UPDATE compacted_batches SET leaves = \(String(format: flip, "leaves")) WHERE seq = 1",
         "compacted_batches", 1),
        ("a flipped byte in the tag", "UPDATE compacted_batches SET tag = \(String(format: flipTag, "tag")) WHERE seq = 1",
         "compacted_batches", 1),
        ("a leaf removed", "UPDATE compacted_batches SET leaves = substr(leaves, 33) WHERE seq = 1", "compacted_batches", 1),
        ("leaves swapped with another batch's",
         "UPDATE compacted_batches SET leaves = (SELECT leaves FROM compacted_batches WHERE seq = 0) WHERE seq = 1",
         "compacted_batches", 1),
        ("the archive deleted", "DELETE FROM compacted_batches WHERE seq = 1", "readings", 7),
        ("a row put back into a compacted range",
         "INSERT INTO readings SELECT 8, device, 'vitals', seq, device_time, received_at, model, schema_id, patient_ref, digest, "
            + "conflict, duplicates, ciphertext, commitment, format FROM readings WHERE id = 19", "readings", 8),
        ("a sealed record moved into a compacted range",
         "INSERT INTO readings SELECT 8, device, kind, seq, device_time, received_at, model, schema_id, patient_ref, digest, "
            + "conflict, duplicates, ciphertext, commitment, format FROM readings WHERE id = 19", "readings", 8),
    ]

    @Test(arguments: tampers)
    func auditFindsAnAlteredArchive(_ tamper: (String, String, String, Int64)) throws {
        let scratch = try ScratchVault("compaction")
        defer { scratch.remove() }
        let vault = try fixture(scratch)
        try vault.pruneStep(RetentionPolicy(), now: Self.later, limit: 100)
        #expect(try compact(vault).batches == 3)
        try Connection(path: scratch.path).execute(tamper.1)
        let report = try vault.audit(gatewayID: "gw")
        #expect(report.findings.contains { $0.table == tamper.2 && $0.row == tamper.3 }, "\(tamper.0): \(report.findings)")
        if tamper.0.hasPrefix("a flipped byte in the leaves") {  // and the proof of a reading in it no longer verifies
            let bundle = try vault.proofBundle(readingID: 8, gatewayID: "gw")
            #expect(!BundleVerifier.verify(bundle, trust: try vault.trustAnchors(gatewayID: "gw")).passed)
        }
    }

    @Test func aSealedRecordKeepsItsRowInACompactedBatch() throws {
        let scratch = try ScratchVault("compaction")
        defer { scratch.remove() }
        let vault = try scratch.openSealing(batchesOf: 6)
        _ = try vault.store((1...5).map { Sample.incoming($0) },  // the alert's record is 6, in the first batch
            alerts: [AlertRecord(at: 1, device: "OXP-7F31A2", patient: "MRN-1", category: "fault", kind: "probe_off",
                                 score: 0.95, body: Array("{}".utf8))])
        _ = try vault.store((7...12).map { Sample.incoming($0) })
        try vault.sealAll(now: 2)
        try scratch.anchorLatestCheckpoint(vault)
        try vault.pruneStep(RetentionPolicy(), now: Self.later, limit: 100)
        let outcome = try compact(vault)
        #expect(outcome.batches == 2 && outcome.readings == 11)
        #expect(try readingIDs(scratch) == [6])
        try expectPrunedProofsVerify(vault, 1...5)
        try expectPrunedProofsVerify(vault, 7...12)
        let record = try vault.proofBundle(readingID: 6, gatewayID: "gw")
        #expect(record.reading.canonical != nil && !record.reading.pruned)
        #expect(BundleVerifier.verify(record, trust: try vault.trustAnchors(gatewayID: "gw")).passed)
        let report = try vault.audit(gatewayID: "gw")
        #expect(report.passed, "\(report.findings)")
        #expect(report.readingsCompacted == 12 && report.readingsChecked == 1)
        // The record's commitment must stay its leaf's.
        try Connection(path: scratch.path).execute("UPDATE readings SET commitment = randomblob(32) WHERE id = 6")
        #expect(try vault.audit(gatewayID: "gw").findings.contains { $0.table == "readings" && $0.row == 6 })
    }

    @Test func aPatientWithCompactedReadingsIsErasedAndEverythingStillVerifies() throws {
        let scratch = try ScratchVault("compaction")
        defer { scratch.remove() }
        let vault = try fixture(scratch)
        try vault.pruneStep(RetentionPolicy(), now: Self.later, limit: 12)
        #expect(try compact(vault).readings == 12)
        let erasure = try vault.erasePatient("MRN-1", by: "dpo", at: 3)
        #expect(erasure.readings == 6)  // the rows left: the compacted ones hold no patient any more
        try vault.pruneStep(RetentionPolicy(), now: Self.later, limit: 100)  // after the erasure: empty tombstones
        try vault.sealAll(now: 4)  // the erasure's record
        try scratch.anchorLatestCheckpoint(vault)
        #expect(try compact(vault).readings == 6)
        try expectPrunedProofsVerify(vault, 1...18)
        let report = try vault.audit(gatewayID: "gw")
        #expect(report.passed, "\(report.findings)")
        #expect(report.readingsCompacted == 18)
    }

    @Test func idsAreNeverReusedOnceTheNewestRowsAreCompacted() throws {
        let scratch = try ScratchVault("compaction")
        defer { scratch.remove() }
        do {
            let vault = try scratch.openSealing(batchesOf: 6)
            _ = try vault.store((1...12).map { Sample.incoming($0) })
            try vault.sealAll(now: 2)
            try scratch.anchorLatestCheckpoint(vault)
            try vault.pruneStep(RetentionPolicy(), now: Self.later, limit: 100)
            #expect(try compact(vault).readings == 12)
            #expect(try readingIDs(scratch).isEmpty)  // the table is empty: max(id) alone would give 1 again
        }
        let vault = try scratch.openSealing(batchesOf: 6)  // a new process
        #expect(try vault.newestRecordID() == 12)
        _ = try vault.store((13...14).map { Sample.incoming($0) })
        #expect(try readingIDs(scratch) == [13, 14])
        try vault.sealAll(now: 3)
        try scratch.anchorLatestCheckpoint(vault)
        #expect(BundleVerifier.verify(try vault.proofBundle(readingID: 13, gatewayID: "gw"),
                                      trust: try vault.trustAnchors(gatewayID: "gw")).passed)
        try expectPrunedProofsVerify(vault, 1...12)
        #expect(try vault.audit(gatewayID: "gw").passed)
    }
}
