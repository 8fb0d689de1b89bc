import Foundation
@testable import Ingest
import Sealing
import SQLite
import Telemetry
import Testing
@testable import Vault
import VitalGateTesting

/// The store thread: batches committed unsynced, synced and sealed when the ingest thread asks,
/// and a vault left synced for the ingest thread whatever happened.
@Suite struct StoreWorkerTests {
    let dbPath: String
    let keys = GatewayKeys.generate()
    init() throws { dbPath = try TemporaryDirectory(prefix: "store-worker").appending("vault.sqlite").path }

    private func batch(_ seqs: ClosedRange<UInt32>) -> [IncomingMessage] {
        let device = DeviceID("OXP-7F31A2")!
        return seqs.map { seq in
            let reading = Reading(device: device, kind: .vitals, schemaID: "oxipatch-fw1", model: "OxiPatch",
                                  firmware: "1.4.2", seq: seq, deviceTime: 1_763_884_800_000 + Int64(seq) * 1000,
                                  receivedAt: 1_763_884_800_500,
                                  measurements: [Measurement(channel: Channel.spo2, value: .number(97), unit: "%")])
            return IncomingMessage(topic: "wban/v1/OXP-7F31A2/vitals", payload: [], receivedAt: 1_763_884_800_500,
                                   outcome: .reading(reading, patient: "MRN-1"))
        }
    }

    private func count(_ sql: String, _ db: Connection) throws -> Int64? {
        try db.query(sql).first?.first?.integerValue
    }

    private func sealedVault() throws -> Vault {
        let vault = try Vault(path: dbPath, keys: keys)
        let policy = try BatchPolicy(maxReadings: 7, maxAgeMilliseconds: 60_000)
        try vault.enableSealing(SealingConfiguration(gatewayID: "gw-test", policy: policy), now: 0)
        return vault
    }

    @Test func batchesAreSyncedAndSealedWhenAskedAndTheVaultIsThenTheCallers() throws {
        let vault = try sealedVault()
        let other = try Connection(path: dbPath, readOnly: true)
        let worker = StoreWorker(store: vault)
        worker.submit(batch(1...10), alerts: [])
        _ = worker.waitForRoom()
        worker.submit(batch(11...20), alerts: [])
        #expect(worker.waitForRoom().isEmpty)  // stored, not synced: nothing handed over yet
        #expect(worker.pending == 2)
        #expect(try count("SELECT count(*) FROM readings", other) == 20)
        #expect(try count("SELECT count(*) FROM batches", other) == 0)

        let outcomes = worker.waitIdle()
        #expect(outcomes.count == 2 && outcomes.allSatisfy { (try? $0.result.get())?.stored == 10 })
        #expect(worker.pending == 0)
        #expect(!vault.isSyncDeferred)
        #expect(try count("PRAGMA synchronous", vault.db) == 2)
        #expect(try count("SELECT max(last_id) FROM batches", other) == 14)
        worker.stop()
    }

    @Test func aFailedBatchLeavesTheVaultSyncedAndLaterBatchesSkippedUntilCleared() throws {
        let vault = try sealedVault()
        let saboteur = try Connection(path: dbPath)
        try saboteur.execute("""
            CREATE TABLE fail_switch (on_ INTEGER);
            INSERT INTO fail_switch VALUES (1);
            CREATE TRIGGER fail_readings BEFORE INSERT ON readings WHEN EXISTS (SELECT 1 FROM fail_switch)
            BEGIN SELECT RAISE(ABORT, 'injected storage failure'); END;
            """)
        let worker = StoreWorker(store: vault)
        worker.submit(batch(1...5), alerts: [])
        worker.submit(batch(6...10), alerts: [])
        let failed = worker.waitIdle()
        #expect(failed.count == 2)
        #expect(failed.map(\.skipped) == [false, true])
        #expect(failed.allSatisfy { if case .failure = $0.result { true } else { false } })
        // Every batch failed, yet the vault was deferred by the first one: it is synced again.
        #expect(!vault.isSyncDeferred)
        #expect(try count("PRAGMA synchronous", vault.db) == 2)

        try saboteur.execute("DELETE FROM fail_switch")
        worker.clearFailure()
        worker.submit(batch(1...10), alerts: [])
        let stored = worker.waitIdle()
        #expect(stored.count == 1 && (try? stored[0].result.get())?.stored == 10)
        worker.stop()
        #expect(try count("SELECT count(*) FROM readings", saboteur) == 10)
    }

    @Test func stoppingStoresAndSyncsWhatIsQueued() throws {
        let vault = try sealedVault()
        let worker = StoreWorker(store: vault)
        worker.submit(batch(1...10), alerts: [])
        worker.submit(batch(11...14), alerts: [])
        worker.stop()
        #expect(!vault.isSyncDeferred)
        let db = try Connection(path: dbPath, readOnly: true)
        #expect(try count("SELECT count(*) FROM readings", db) == 14)
        #expect(try count("SELECT max(last_id) FROM batches", db) == 14)
    }
}
