import Cryptography
import Fleet
import Foundation
import Ingest
import Logging
import MQTT
import Schemas
import Synchronization
import Telemetry
import Testing
import Vault
import VitalGateTesting

/// An ingest pipeline over an `InMemoryBroker` and an `InMemoryStore`, run on the test's thread
/// on a `ManualClock`: the pipeline's rules tested without mosquitto, SQLite or sleeps.
///
/// Every acknowledgement is checked as it happens: each message it acknowledges must already
/// be committed and synced in the store.
final class InMemoryPipeline {
    let dir: TemporaryDirectory
    let clock = ManualClock()
    let store: InMemoryStore
    let broker: InMemoryBroker
    /// Acknowledgements of messages the store did not hold durably.
    let premature = Counter()
    /// How many times each telemetry message was acknowledged.
    let acknowledgements = Tally()
    var configuration: IngestConfiguration
    static let catalog = try! SchemaCatalog.load(directory: AgentHarness.schemas)

    init(maxBatch: Int = 10, maxInflight: UInt16 = 100) throws {
        dir = try TemporaryDirectory()
        let store = InMemoryStore(path: dir.appending("vault.sqlite").path, clock: clock)
        let (premature, acknowledgements) = (premature, acknowledgements)
        self.store = store
        broker = InMemoryBroker(clock: clock) { _, messages in
            // Fleet documents are not stored as messages: they are acknowledged like any other,
            // and their retained copy comes back if the agent stops before recording them.
            let telemetry = messages.filter { $0.topic.hasPrefix("wban/") }
            premature.add(telemetry.filter { !store.isDurable(.init(topic: $0.topic, payload: $0.payload)) }.count)
            acknowledgements.add(telemetry.map { InMemoryStore.MessageKey(topic: $0.topic, payload: $0.payload) })
        }
        configuration = IngestConfiguration(
            gatewayID: "test-gw",
            mqtt: MQTTOptions(broker: BrokerAddress(host: "in-memory", port: 1883), clientID: "vitalgate-test-gw",
                              maxInflight: maxInflight),
            maxBatch: maxBatch, backoff: ReconnectBackoff(initialMs: 100, maxMs: 400), detection: nil)
        configuration.clock = clock
        // The gateway's session, left by an earlier run: what is published before `run` waits in it.
        broker.openSession("vitalgate-test-gw", subscribedTo: ["wban/v1/+/+"])
        configuration.transport = { [broker] options in broker.transport(options) }
    }

    deinit { dir.remove() }

    /// Runs the pipeline until `done` holds (checked every round) or `limitMs` of test time has
    /// passed. Returns the service (its metrics) and whether `done` was reached.
    /// `on`: another store (a real vault); the acknowledgement check then does not apply.
    func run(on other: (any PipelineStore)? = nil, limitMs: Int64 = 600_000,
             until done: (IngestService) -> Bool) throws -> (IngestService, Bool) {
        var logger = Logger(label: "vitalgate.ingest")
        logger.logLevel = .critical  // the failures these tests inject are logged as errors
        let service = IngestService(configuration: configuration, store: other ?? store, catalog: Self.catalog,
                                    logger: logger)
        let deadline = clock.monotonicMs() + limitMs
        var reached = false
        try service.run {
            reached = done(service)
            return reached || clock.monotonicMs() >= deadline
        }
        return (service, reached)
    }

    /// Publishes the oximeter's `setup` and then `messages`, and runs until the broker holds
    /// nothing for the gateway (or `limitMs` of test time passed; `done` says which).
    func drain(_ messages: [MQTTOptions.Message], on other: (any PipelineStore)? = nil) throws -> (IngestService, Bool) {
        broker.publishAll(setup + messages)
        return try run(on: other) { _ in broker.undelivered(to: "vitalgate-test-gw") == 0 }
    }

    /// Whether each of `messages` was acknowledged exactly once, and none before its sync.
    func acknowledgedOnceAfterSync(_ messages: [MQTTOptions.Message]) -> Bool {
        acknowledgements.counts(messages).allSatisfy { $0 == 1 } && premature.value == 0
    }

    /// Device time of a reading `seq`: a minute before the test's wall time, a millisecond apart.
    func vitals(_ seq: Int, spo2: Int = 97) -> MQTTOptions.Message {
        let ts = clock.wallMs() - 60_000 + Int64(seq)
        return MQTTOptions.Message(topic: "wban/v1/OXP-7F31A2/vitals",
                                   payload: Array(#"{"seq":\#(seq),"ts":\#(ts),"spo2":\#(spo2),"pr":72,"pi":3.1,"batt":88}"#.utf8))
    }

    /// The oximeter's retained `info` and `pair`.
    let setup = [
        MQTTOptions.Message(topic: "wban/v1/OXP-7F31A2/info", payload: Array(#"{"model":"OxiPatch","fw":"1.4.2"}"#.utf8),
                            retain: true),
        MQTTOptions.Message(topic: "wban/v1/OXP-7F31A2/pair",
                            payload: Array(#"{"patient":"MRN-00012345","bed":"ICU-3","at":"2025-11-23T08:00:00Z"}"#.utf8),
                            retain: true),
    ]
}

/// A count shared with the broker's acknowledgement hook.
final class Counter: Sendable {
    private let count = Mutex<Int>(0)
    func add(_ n: Int) { count.withLock { $0 += n } }
    var value: Int { count.withLock { $0 } }
}

/// Counts per message, shared with the broker's acknowledgement hook.
final class Tally: Sendable {
    private let counts = Mutex<[InMemoryStore.MessageKey: Int]>([:])
    func add(_ keys: [InMemoryStore.MessageKey]) { counts.withLock { for key in keys { $0[key, default: 0] += 1 } } }
    /// How many times each of `messages` was counted.
    func counts(_ messages: [MQTTOptions.Message]) -> [Int] {
        counts.withLock { counts in messages.map { counts[.init(topic: $0.topic, payload: $0.payload)] ?? 0 } }
    }
}

/// Issue 18, item 5: the ingest pipeline's rules, without a broker or sleeps.
@Suite struct PipelineRulesTests {
    @Test func everyMessageIsAcknowledgedOnceAndOnlyAfterItIsCommittedAndSynced() throws {
        let pipeline = try InMemoryPipeline()
        let readings = (0..<300).map { pipeline.vitals($0) }
        let (service, done) = try pipeline.drain(readings)
        #expect(done)
        #expect(pipeline.acknowledgements.counts(readings).allSatisfy { $0 == 1 })
        #expect(pipeline.premature.value == 0)
        // The retained info and pair come twice: queued, and again when the agent subscribes.
        #expect(service.metrics.stored == 300 && service.metrics.messages == 304)
        #expect(pipeline.store.totals.stored == 300 && pipeline.store.totals.duplicates == 0)
        // Batches of at most `maxBatch`, several per sync under a backlog.
        let history = pipeline.store.history
        #expect(history.filter { $0.hasPrefix("batch") }.allSatisfy { Int($0.dropFirst(6))! <= 10 })
        #expect(history.filter { $0 == "sync" }.count < history.filter { $0.hasPrefix("batch") }.count)
    }

    @Test func theAcknowledgementCheckCatchesAnAcknowledgementBeforeTheSync() throws {
        // The check every test here relies on can fail: a batch committed with its sync deferred,
        // then acknowledged, is caught.
        let pipeline = try InMemoryPipeline()
        pipeline.broker.publishAll([pipeline.vitals(1)])
        let transport = pipeline.broker.transport(pipeline.configuration.mqtt)
        try transport.connect()
        try transport.subscribe("wban/v1/+/+", qos: 1)
        let received = try transport.receive(timeoutMs: 0, maxMessages: 10)
        var decoder = MessageDecoder(catalog: InMemoryPipeline.catalog)
        let decoded = decoder.decode(topic: received[0].topic, payload: received[0].payload, receivedAt: pipeline.clock.wallMs())
        try pipeline.store.deferSync()
        _ = try pipeline.store.store([IncomingMessage(topic: received[0].topic, payload: received[0].payload,
                                                      receivedAt: pipeline.clock.wallMs(), outcome: decoded)], alerts: [])
        try transport.acknowledge()
        #expect(pipeline.premature.value == 1)
    }

    @Test func aBatchThatFailsToStoreIsNotAcknowledgedAndArrivesAgain() throws {
        let pipeline = try InMemoryPipeline()
        pipeline.store.failStores(1)
        let readings = (0..<50).map { pipeline.vitals($0) }
        let (service, done) = try pipeline.drain(readings)
        #expect(done)
        #expect(service.metrics.storeFailures == 1)
        #expect(pipeline.broker.connects == 2, "the connection is dropped after the failure, then made again")
        // Everything arrived again and was stored once, acknowledged once, never before its sync.
        #expect(pipeline.acknowledgedOnceAfterSync(readings))
        #expect(pipeline.store.totals.stored == 50 && pipeline.store.totals.duplicates == 0)
        // One outage alert, and the outage on record once the store works again.
        let alerts = pipeline.broker.payloads(on: "vitalgate/test-gw/alerts")
        #expect(alerts.count == 1 && String(decoding: alerts[0], as: UTF8.self).contains("vault_write_failed"))
        #expect(pipeline.store.events == ["vault_write_failed"])
    }

    @Test func batchesCommittedButNotSyncedAreNotAcknowledgedAndComeBackAsDuplicates() throws {
        let pipeline = try InMemoryPipeline()
        pipeline.store.failSyncs(1)
        let readings = (0..<50).map { pipeline.vitals($0) }
        let (service, done) = try pipeline.drain(readings)
        #expect(done)
        #expect(service.metrics.storeFailures == 1)
        #expect(pipeline.acknowledgedOnceAfterSync(readings))
        // The committed copies stay; the redelivered ones are counted as duplicates, not stored twice.
        let totals = pipeline.store.totals
        #expect(pipeline.store.readingCount == 50 && totals.stored == 50 && totals.conflicts == 0)
        #expect(totals.duplicates > 0 && totals.duplicates == service.metrics.duplicates)
    }

    @Test func copiesAreDuplicatesAndDifferentContentUnderOneIdentityIsAConflict() throws {
        let pipeline = try InMemoryPipeline()
        let readings = (0..<20).map { pipeline.vitals($0) }
        let (service, done) = try pipeline.drain(readings + readings.prefix(5) + [pipeline.vitals(3, spo2: 91)])
        #expect(done)
        #expect(service.metrics.stored == 21 && service.metrics.duplicates == 5 && service.metrics.conflicts == 1)
        #expect(pipeline.store.readingCount == 21)
    }

    @Test func theVaultTellsCopiesAndConflictsApartAlike() throws {
        let pipeline = try InMemoryPipeline()
        let vault = try Vault(path: pipeline.dir.appending("real.sqlite").path, keys: GatewayKeys.generate())
        let readings = (0..<20).map { pipeline.vitals($0) }
        let (service, done) = try pipeline.drain(readings + readings.prefix(5) + [pipeline.vitals(3, spo2: 91)], on: vault)
        #expect(done)
        #expect(service.metrics.stored == 21 && service.metrics.duplicates == 5 && service.metrics.conflicts == 1)
        let stats = try vault.stats()
        #expect(stats.readings == 21 && stats.duplicates == 5 && stats.conflicts == 2)  // both rows are flagged
    }

    @Test func storageOutageRetriesBackOffAndEndOnceTheStoreWorks() throws {
        let pipeline = try InMemoryPipeline()
        pipeline.store.failStores(6)
        let readings = (0..<30).map { pipeline.vitals($0) }
        let (service, done) = try pipeline.drain(readings)
        #expect(done)
        #expect(service.metrics.storeFailures == 6)
        // Retries wait 100, 200, 400, 400, 400 ms (±20 %) of the clock: never at once.
        let times = pipeline.store.failedStoreTimes
        let gaps = zip(times.dropFirst(), times).map { $0 - $1 }
        let expected: [Int64] = [100, 200, 400, 400, 400]
        #expect(gaps.count == 5)
        for (gap, base) in zip(gaps, expected) { #expect(gap >= base * 8 / 10, "\(gaps)") }
        #expect(pipeline.acknowledgements.counts(readings).allSatisfy { $0 == 1 } && pipeline.store.totals.stored == 30)
        // One alert and one event for the whole outage.
        #expect(pipeline.broker.payloads(on: "vitalgate/test-gw/alerts").count == 1)
        #expect(pipeline.store.events == ["vault_write_failed"])
    }

    @Test func aFleetDocumentIsAppliedBetweenRoundsAndLaterBatchesFollowIt() throws {
        let pipeline = try InMemoryPipeline()
        let signer = ConfigSigner(name: "alice",
                                  privateKey: try Ed25519.PrivateKey(rawRepresentation: [UInt8](repeating: 1, count: 32)))
        pipeline.configuration.fleet = FleetSettings(bootstrapPolicy: TrustPolicy(keys: [signer.operatorKey]))
        pipeline.broker.openSession("vitalgate-test-gw", subscribedTo: ["vitalgate/test-gw/config/desired"])
        let now = UInt64(pipeline.clock.wallMs())
        let document = ConfigDocument(target: .gateway("test-gw"), version: 1, notBefore: now - 60_000, expires: now + 3_600_000,
                                      sections: ConfigSections(ingest: .init(topics: ["wban/v1/+/+"], maxBatch: 4)))
        pipeline.broker.publishAll(pipeline.setup + (0..<40).map { pipeline.vitals($0) })
        pipeline.broker.publish(MQTTOptions.Message(topic: "vitalgate/test-gw/config/desired",
                                                    payload: try ConfigSigner.sign(document, with: [signer]), retain: true))
        let (service, done) = try pipeline.drain((40..<80).map { pipeline.vitals($0) })
        #expect(done)
        #expect(service.metrics.stored == 80 && pipeline.premature.value == 0)
        // The outcome is recorded between batches; every batch after it follows the new size.
        let history = pipeline.store.history.filter { $0 != "sync" }
        let applied = try #require(history.firstIndex(of: "config config_applied"))
        let before = history[..<applied].map { Int($0.dropFirst(6))! }
        let after = history[(applied + 1)...].map { Int($0.dropFirst(6))! }
        #expect(before.max() == 10 && after.reduce(0, +) >= 30 && after.allSatisfy { $0 <= 4 }, "\(history)")
        // The report goes out retained.
        let report = try #require(pipeline.broker.retained("vitalgate/test-gw/config/reported"))
        #expect(String(decoding: report, as: UTF8.self).contains("applied"))
    }
}
