import Foundation
import Sealing
import SQLite
import Telemetry
import Testing
@testable import Vault

/// Deferred sync: batches committed unsynced, then sealed and synced together.
@Suite struct VaultDeferredSyncTests {
    let scratch: ScratchVault
    init() throws { scratch = try ScratchVault("vault-defer") }

    private func count(_ sql: String, _ db: Connection) throws -> Int64? {
        try db.query(sql).first?.first?.integerValue
    }

    private func sealedVault(maxReadings: Int = 7) throws -> Vault {
        try scratch.openSealing(batchesOf: maxReadings, gatewayID: "gw-test")
    }

    /// A checkpoint can leave the gateway as soon as another connection reads it, so none may
    /// name a batch before the batch is synced: readings are visible at once, batches and
    /// checkpoints only after `syncDeferred`.
    @Test func batchesAndCheckpointsAppearOnlyOnceTheDeferredReadingsAreSynced() throws {
        let vault = try sealedVault()
        let other = try Connection(path: scratch.path, readOnly: true)
        try vault.deferSync()
        #expect(vault.isSyncDeferred)
        #expect(try count("PRAGMA synchronous", vault.db) == 1)  // NORMAL while deferred
        try Sample.store(vault, seqs: 1...10)
        try Sample.store(vault, seqs: 11...20)
        #expect(try count("SELECT count(*) FROM readings", other) == 20)
        #expect(try count("SELECT count(*) FROM batches", other) == 0)
        #expect(try count("SELECT count(*) FROM checkpoints", other) == 0)

        try vault.syncDeferred()
        #expect(!vault.isSyncDeferred)
        #expect(try count("PRAGMA synchronous", vault.db) == 2)  // FULL again, as opened
        #expect(try count("SELECT count(*) FROM batches", other) == 2)  // two of 7 closed on count
        #expect(try count("SELECT max(last_id) FROM batches", other) == 14)
        try vault.sealAll(now: 1)
        let trust = try vault.trustAnchors(gatewayID: "gw-test")
        for id in Int64(1)...20 {
            #expect(BundleVerifier.verify(try vault.proofBundle(readingID: id, gatewayID: "gw-test"), trust: trust).passed)
        }
    }

    /// Without sealing the same holds for the readings, and a second sync has nothing to do.
    @Test func syncingWithoutSealingOrWithNothingDeferred() throws {
        let vault = try scratch.open()
        try vault.syncDeferred()  // nothing deferred: no effect
        try vault.deferSync()
        try vault.deferSync()  // already deferred: no effect
        try Sample.store(vault, seqs: 1...5)
        try vault.syncDeferred()
        try vault.syncDeferred()
        #expect(try count("PRAGMA synchronous", vault.db) == 2)
        #expect(try vault.stats().readings == 5)
    }

    /// A vault opened at `normal` stays there: deferring changes nothing but when readings are sealed.
    @Test func aVaultOpenedAtNormalKeepsItsLevel() throws {
        let vault = try scratch.open(synchronous: .normal)
        try vault.deferSync()
        try Sample.store(vault, seqs: 1...5)
        try vault.syncDeferred()
        #expect(try count("PRAGMA synchronous", vault.db) == 1)
        #expect(try vault.stats().readings == 5)
    }

    /// The process dies between the commits and their sync: the readings are there on restart
    /// (a crash of the process loses nothing committed) and are sealed in recovery batches.
    @Test func readingsCommittedButNotYetSyncedAreSealedAfterACrash() throws {
        do {
            let vault = try sealedVault()
            try vault.deferSync()
            try Sample.store(vault, seqs: 1...10)
        }
        let vault = try scratch.open()
        let recovered = try vault.enableSealing(SealingConfiguration(gatewayID: "gw-test"), now: 10)
        #expect(recovered >= 1)
        let db = try Connection(path: scratch.path, readOnly: true)
        #expect(try count("SELECT count(*) FROM readings", db) == 10)
        #expect(try count("SELECT max(last_id) FROM batches", db) == 10)
        let trust = try vault.trustAnchors(gatewayID: "gw-test")
        #expect(BundleVerifier.verify(try vault.proofBundle(readingID: 10, gatewayID: "gw-test"), trust: trust).passed)
    }

    /// If sealing fails at the sync, the readings stay stored and synced, and the next tick
    /// seals every one of them.
    @Test func aSealingFailureAtTheSyncLeavesTheReadingsForTheNextTick() throws {
        let vault = try sealedVault(maxReadings: 4)
        let db = try Connection(path: scratch.path)
        try db.execute("CREATE TRIGGER fail_seal BEFORE INSERT ON batches BEGIN SELECT RAISE(ABORT, 'injected'); END;")
        try vault.deferSync()
        try Sample.store(vault, seqs: 1...10)
        try vault.syncDeferred()
        #expect(vault.sealingFailures >= 1)
        #expect(try count("SELECT count(*) FROM batches", db) == 0)
        #expect(try count("SELECT count(*) FROM readings", db) == 10)
        try db.execute("DROP TRIGGER fail_seal")
        try vault.sealingTick(now: 2)
        try vault.sealAll(now: 3)
        #expect(try count("SELECT max(last_id) FROM batches", db) == 10)
    }
}

/// Why a write failed, as alerts and events name it.
@Suite struct VaultStorageCauseTests {
    @Test func aFullDatabaseIsNamedDiskFullAndLeavesEarlierReadingsIntact() throws {
        let scratch = try ScratchVault("vault-full")
        defer { scratch.remove() }
        let vault = try scratch.open()
        try Sample.store(vault, seqs: 1...10)
        // SQLite answers SQLITE_FULL once the file would pass max_page_count, as on a full disk.
        let pages = try #require(try vault.db.query("PRAGMA page_count").first?.first?.integerValue)
        _ = try vault.db.query("PRAGMA max_page_count = \(pages)")
        let error = try #require(throws: VaultError.self) { try Sample.store(vault, seqs: 11...2000) }
        #expect(error.storageCause == "disk_full")
        #expect(try scratch.open().stats().readings == 10)
        #expect(VaultError(.crypto, "x").storageCause == "crypto")
        #expect(VaultError(.storage, "x").storageCause == "storage_error")
    }
}
