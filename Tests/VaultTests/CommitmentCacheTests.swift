import Cryptography
import Foundation
import Sealing
import SQLite
import Testing
@testable import Vault

/// Batches are sealed from the commitments kept in memory when they cover every unsealed row,
/// and read back from the database otherwise; the sealed roots are the same either way.
@Suite struct CommitmentCacheTests {
    private func entry(_ id: Int64) throws -> BatchEntry {
        BatchEntry(commitment: try Commitment(bytes: SHA256.hash(Array("row \(id)".utf8))), receivedAt: id * 10)
    }

    @Test func aBatchIsServedOnlyWhenEveryRowAfterTheSealedOneIsCovered() throws {
        var cache = CommitmentCache()
        #expect(cache.batch(after: 0, count: 1) == nil)  // covers nothing yet
        for id in Int64(5)...12 { cache.append(id: id, entry: try entry(id)) }
        // Rows 1-4 may exist unsealed: below the coverage, the database must answer.
        #expect(cache.batch(after: 0, count: 3) == nil)
        #expect(cache.batch(after: 3, count: 3) == nil)
        let batch = try #require(cache.batch(after: 4, count: 3))
        #expect(batch.first == 5 && batch.last == 7)
        #expect(Array(batch.entries) == [try entry(5), try entry(6), try entry(7)])
        let later = try #require(cache.batch(after: 7, count: 5))
        #expect(later.first == 8 && later.last == 12)
        #expect(cache.batch(after: 7, count: 6) == nil)  // fewer held than asked for
    }

    @Test func sealedEntriesAreDroppedAndInvalidationRestartsCoverage() throws {
        var cache = CommitmentCache()
        for id in Int64(1)...3000 { cache.append(id: id, entry: try entry(id)) }
        cache.dropSealed(through: 2000)
        #expect(cache.count == 1000)
        #expect(cache.batch(after: 2000, count: 2)?.first == 2001)
        #expect(cache.batch(after: 2500, count: 2)?.first == 2501)
        cache.dropSealed(through: 3000)
        #expect(cache.count == 0)
        cache.append(id: 3001, entry: try entry(3001))
        #expect(cache.batch(after: 3000, count: 1)?.last == 3001)
        cache.invalidate()
        cache.append(id: 3005, entry: try entry(3005))  // 3002-3004: another connection's rows
        #expect(cache.batch(after: 3001, count: 1) == nil)
        #expect(cache.batch(after: 3004, count: 1)?.first == 3005)
    }

    /// Through the vault: batches come from memory, also right after another connection
    /// inserted a sealable row (an erasure record), which joins the cache; every root audits.
    @Test func theVaultSealsFromMemoryWithAForeignRow() throws {
        let scratch = try ScratchVault("vault-cc")
        let vault = try scratch.openSealing(batchesOf: 4)
        try Sample.store(vault, seqs: 1...8)  // two batches, closed on count inside the store
        #expect(vault.batchesSealedFromCache == 2)
        _ = try scratch.open().erasePatient("MRN-1", by: "dpo", at: 5)  // row 9, not ours
        #expect(try vault.refreshErasures() == ["MRN-1"])
        try Sample.store(vault, seqs: 9...11)  // rows 10-12: batch 9-12 must include the foreign row
        #expect(vault.batchesSealedFromCache == 3)
        try Sample.store(vault, seqs: 12...15)  // rows 13-16
        #expect(vault.batchesSealedFromCache == 4)
        try vault.sealAll(now: 6)
        let db = try Connection(path: scratch.path)
        #expect(try db.query("SELECT first_id, last_id FROM batches ORDER BY seq").map { [$0[0].integerValue, $0[1].integerValue] }
            == [[1, 4], [5, 8], [9, 12], [13, 16]])
        let report = try vault.audit(gatewayID: "gw")
        #expect(report.passed, "\(report.findings)")
    }

    /// A store that fails is rolled back with its rows; the cache must not keep them.
    @Test func aFailedStoreLeavesNoPhantomCommitments() throws {
        let scratch = try ScratchVault("vault-cc")
        let vault = try scratch.openSealing(batchesOf: 4)
        try Sample.store(vault, seqs: 1...2)
        let db = try Connection(path: scratch.path)
        try db.execute("CREATE TRIGGER fail_store BEFORE INSERT ON counters BEGIN SELECT RAISE(ABORT, 'injected'); END;")
        #expect(throws: VaultError.self) { try Sample.store(vault, seqs: 3...4) }
        try db.execute("DROP TRIGGER fail_store")
        try Sample.store(vault, seqs: 5...6)  // takes the ids 3 and 4 the failed store had used
        try vault.sealAll(now: 1)
        #expect(try db.query("SELECT last_id FROM batches").map { $0[0].integerValue } == [4])
        let report = try vault.audit(gatewayID: "gw")
        #expect(report.passed, "\(report.findings)")
    }
}
