@testable import Ingest
import MQTT
import Sealing
import Testing
import Vault
import VitalGateTesting

/// The byte budget (issue 20): over `[storage] max_bytes` with nothing to prune, `block` stops
/// acknowledging (the broker keeps the backlog) and loses nothing; `evict-oldest` evicts the
/// oldest content, as sealed events, and keeps storing.
@Suite struct StorageBudgetTests {
    @Test func blockWithholdsAcknowledgementsAndLosesNothing() throws {
        let pipeline = try InMemoryPipeline()
        pipeline.configuration.storageMaxBytes = 1000
        pipeline.store.setBytes(5000)  // over the budget, and nothing in an in-memory store is prunable
        let readings = (0..<40).map { pipeline.vitals($0) }
        pipeline.broker.publishAll(pipeline.setup + readings)
        // Blocked for 20 s of test time, then room again (pruning caught up, or the budget was raised).
        let start = pipeline.clock.monotonicMs()
        var whileBlocked: (stored: Int, acknowledged: [Int], held: Int, full: Int, failures: Int)?
        let (service, done) = try pipeline.run { service in
            if whileBlocked == nil, pipeline.clock.monotonicMs() - start >= 20_000 {
                whileBlocked = (pipeline.store.totals.stored, pipeline.acknowledgements.counts(readings),
                                pipeline.broker.undelivered(to: "vitalgate-test-gw"), service.metrics.storageBudgetFull,
                                service.metrics.storeFailures)
                pipeline.store.setBytes(0)
            }
            return whileBlocked != nil && pipeline.broker.undelivered(to: "vitalgate-test-gw") == 0
        }
        let blocked = try #require(whileBlocked)
        #expect(blocked.stored == 0 && blocked.acknowledged.allSatisfy { $0 == 0 })
        #expect(blocked.held >= readings.count)  // the broker holds the backlog
        #expect(blocked.full == 1 && blocked.failures > 0)
        let alerts = pipeline.broker.payloads(on: "vitalgate/test-gw/alerts").map { String(decoding: $0, as: UTF8.self) }
        #expect(alerts.contains { $0.contains("vault_write_failed") && $0.contains("budget_full") }, "\(alerts)")
        // Then everything is stored once and acknowledged once, after its sync: nothing was lost.
        #expect(done)
        #expect(pipeline.acknowledgedOnceAfterSync(readings))
        #expect(pipeline.store.totals.stored == 40 && service.metrics.stored == 40)
        #expect(pipeline.store.events.contains("storage_full"))
        #expect(pipeline.store.events.contains("vault_write_failed"))  // the block, on record as an outage
    }

    /// The agent prunes, a step a second between batches, what is anchored and older than
    /// `keep_days` (no sink configured: that condition holds).
    @Test func theAgentPrunesWhatIsAnchoredAndOldBetweenBatches() throws {
        let pipeline = try InMemoryPipeline()
        let path = pipeline.dir.appending("real.sqlite").path
        let vault = try Vault(path: path, keys: GatewayKeys.generate())
        pipeline.configuration.sealing = SealingConfiguration(gatewayID: "test-gw", policy: try BatchPolicy(maxReadings: 10))
        pipeline.configuration.retention = RetentionPolicy(keepDays: 1)
        pipeline.configuration.pruneStepLimit = 40
        let readings = (0..<100).map { pipeline.vitals($0) }
        pipeline.broker.publishAll(pipeline.setup + readings)
        let anchors = try AnchorStore(vaultPath: path)
        var anchored: UInt64 = 0
        var prunedBeforeAnchoring = -1
        let (_, done) = try pipeline.run(on: vault) { service in
            // Here on the ingest thread, between rounds: the anchoring worker's part, on its own connection.
            guard service.metrics.stored == 100, let latest = try? anchors.latestCheckpoint(), latest.size > anchored else {
                return service.metrics.readingsPruned == 100
            }
            if prunedBeforeAnchoring < 0 {
                prunedBeforeAnchoring = service.metrics.readingsPruned
                pipeline.clock.stepWall(ms: 2 * 86_400_000)  // two days later
            }
            try? anchors.submitted(size: latest.size, backend: "local", ticket: [], at: pipeline.clock.wallMs())
            try? anchors.anchored(size: latest.size, evidence: Array("{}".utf8), at: pipeline.clock.wallMs())
            anchored = latest.size
            return false
        }
        #expect(done)
        #expect(prunedBeforeAnchoring == 0)  // stored, young, unanchored: kept
        #expect(try vault.stats().retention.pruned == 100)
        #expect(try vault.proofBundle(readingID: 5, gatewayID: "test-gw").reading.pruned)
    }

    @Test func evictOldestKeepsStoringAndRecordsEachEvictionAsASealedEvent() throws {
        let pipeline = try InMemoryPipeline()
        let path = pipeline.dir.appending("real.sqlite").path
        let keys = GatewayKeys.generate()
        let vault = try Vault(path: path, keys: keys)
        pipeline.configuration.sealing = SealingConfiguration(gatewayID: "test-gw", policy: try BatchPolicy(maxReadings: 10))
        pipeline.configuration.storageMaxBytes = 1  // always over: nothing is delivered or anchored
        pipeline.configuration.whenFull = .evictOldest
        let readings = (0..<600).map { pipeline.vitals($0) }
        pipeline.broker.publishAll(pipeline.setup + readings)
        let (service, done) = try pipeline.run(on: vault) { service in
            pipeline.broker.undelivered(to: "vitalgate-test-gw") == 0 && service.metrics.readingsEvicted >= 500
        }
        #expect(done)
        #expect(service.metrics.stored == 600 && service.metrics.storageBudgetFull == 0)
        let stats = try vault.stats()
        #expect(stats.readings == 600 && stats.retention.evicted == Int64(service.metrics.readingsEvicted))
        // Steps of at most 250, each its own sealed record; one alarm for the episode.
        #expect(stats.eventsByType["readings_evicted", default: 0] >= 2 && stats.eventsByType["storage_evicting"] == 1)
        try vault.sealAll(now: pipeline.clock.wallMs())
        #expect(try vault.audit(gatewayID: "test-gw").passed)
    }

    /// A drain into a vault at its budget goes in only as fast as pruning makes room: the
    /// budget is checked after every batch, not once a second (here the test clock hardly
    /// moves during the drain, so a once-a-second check would let all of it in).
    @Test func aDrainAtTheBudgetIsPacedByPruning() throws {
        let pipeline = try InMemoryPipeline()
        pipeline.configuration.storageMaxBytes = 20 << 20  // content full from 4 MiB (16 MiB kept for the WAL)
        pipeline.configuration.retention = RetentionPolicy(keepDays: 7)
        pipeline.store.modelSizes(bytesPerReading: 5_000)
        pipeline.store.setBytes(3_500_000)
        let readings = (0..<2_000).map { pipeline.vitals($0) }  // 10 MB more than the budget leaves
        let (service, done) = try pipeline.drain(readings)
        #expect(done)
        #expect(pipeline.acknowledgedOnceAfterSync(readings))
        #expect(service.metrics.stored == 2_000 && service.metrics.storageBudgetFull == 0)
        #expect(service.metrics.storagePaced > 0 && service.metrics.readingsPruned > 0)
        // At most two batches of 10 readings past the line before pruning caught up.
        let fullAt = StorageBudget(cap: 20 << 20).fullAt
        #expect(UInt64(pipeline.store.peakBytes) <= fullAt + 2 * 10 * 5_000, "peak \(pipeline.store.peakBytes)")
    }

    /// A WAL that would take the disk over the budget is checkpointed before the next batch.
    @Test func aSwollenWALIsCheckpointedBeforeTheNextBatch() throws {
        let pipeline = try InMemoryPipeline()
        pipeline.configuration.storageMaxBytes = 64 << 20
        pipeline.store.setBytes(40 << 20)  // content under its line (48 MiB)
        pipeline.store.setWAL(22 << 20)  // the disk over its line (60 MiB)
        let readings = (0..<50).map { pipeline.vitals($0) }
        let (service, done) = try pipeline.drain(readings)
        #expect(done && pipeline.acknowledgedOnceAfterSync(readings))
        #expect(pipeline.store.walCheckpoints >= 1 && pipeline.store.space.walBytes == 0)
        #expect(service.metrics.storagePaced == 1 && service.metrics.storeFailures == 0)
    }

    /// A WAL that cannot be truncated (readers hold it) slows ingest to a batch every 2 s; it
    /// does not stop it, and nothing is lost.
    @Test func aWALThatCannotBeTruncatedSlowsIngestWithoutStoppingIt() throws {
        let pipeline = try InMemoryPipeline()
        pipeline.configuration.storageMaxBytes = 64 << 20
        pipeline.store.setBytes(40 << 20)
        pipeline.store.setWAL(22 << 20, stuck: true)
        let readings = (0..<50).map { pipeline.vitals($0) }
        let start = pipeline.clock.monotonicMs()
        let (service, done) = try pipeline.drain(readings)
        #expect(done && pipeline.acknowledgedOnceAfterSync(readings))
        #expect(service.metrics.stored == 50 && service.metrics.storeFailures == 0)
        #expect(pipeline.store.walCheckpoints > 10)
        // Five batches of 10 (and the retained setup), each after a wait of 2 s.
        #expect(pipeline.clock.monotonicMs() - start >= 4 * IngestService.checkpointWaitMs)
    }
}
