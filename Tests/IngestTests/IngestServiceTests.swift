import Delivery
import Detection
import Dispatch
import Foundation
import Ingest
import LocalBroker
import MQTT
import Schemas
import Sealing
import SQLite
import Synchronization
import Telemetry
import Testing
import Vault
import VitalGateTesting

/// Runs an `IngestService` on its own thread against a real broker and vault file.
final class AgentHarness: Sendable {
    let stopFlag = Atomic<Bool>(false)
    let done = DispatchSemaphore(value: 0)
    let metrics = Mutex<IngestMetrics>(IngestMetrics())

    static let schemas = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Firmware-Schemas").path

    convenience init(broker: BrokerAddress, vaultPath: String, keys: GatewayKeys, clientID: String = "vitalgate-test-gw",
                     detection: DetectionConfig? = nil, sealing: SealingConfiguration? = nil,
                     until condition: @escaping @Sendable (IngestMetrics) -> Bool = { _ in false }) {
        self.init(configuration: IngestConfiguration(
            gatewayID: "test-gw", mqtt: MQTTOptions(broker: broker, clientID: clientID),
            backoff: ReconnectBackoff(initialMs: 50, maxMs: 500), detection: detection, sealing: sealing),
                  vaultPath: vaultPath, keys: keys, until: condition)
    }

    init(configuration config: IngestConfiguration, vaultPath: String, keys: GatewayKeys,
         until condition: @escaping @Sendable (IngestMetrics) -> Bool = { _ in false }) {
        let thread = Thread { [self] in
            defer { done.signal() }
            do {
                let vault = try Vault(path: vaultPath, keys: keys)
                let service = IngestService(configuration: config, vault: vault,
                                            catalog: try SchemaCatalog.load(directory: Self.schemas))
                try service.run {
                    metrics.withLock { $0 = service.metrics }
                    return stopFlag.load(ordering: .relaxed) || condition(service.metrics)
                }
                metrics.withLock { $0 = service.metrics }
            } catch {
                Issue.record("agent failed: \(error)")
            }
        }
        thread.start()
    }

    func stop() {
        stopFlag.store(true, ordering: .relaxed)
        done.wait()
    }

    func wait(timeoutSeconds: Double) -> Bool { done.wait(timeout: .now() + timeoutSeconds) == .success }
}

@Suite struct IngestServiceTests {
    let dir = try! TemporaryDirectory()
    let keys = GatewayKeys.generate()

    private static let oxiPatch = PairedOxiPatch(device: "OXP-7F31A2", firmware: "1.4.2", patient: "MRN-00012345", bed: "ICU-3")
    private var setup: [MQTTOptions.Message] { Self.oxiPatch.setup }
    private func vitals(_ seq: Int) -> MQTTOptions.Message { Self.oxiPatch.vitals(seq) }

    @Test func storesEveryPublishedMessageQuarantinesBadOnesAndReportsStatus() throws {
        let broker = try LocalBroker()
        let watcher = try MQTTTestClient.connect(broker.address, id: "watcher")
        try watcher.subscribe("vitalgate/test-gw/status", qos: 1)
        let vaultPath = dir.appending("vault.sqlite").path
        let agent = AgentHarness(broker: broker.address, vaultPath: vaultPath, keys: keys) { $0.messages >= 203 }
        let publisher = try MQTTTestClient.connect(broker.address, id: "bridge")
        Thread.sleep(forTimeInterval: 0.3)  // let the agent subscribe
        var messages = setup + (0..<200).map(vitals)
        messages.append(MQTTOptions.Message(topic: "wban/v1/OXP-7F31A2/vitals", payload: Array("{\"seq\":1,".utf8)))
        try MQTTTestClient.publishAll(publisher, messages)
        #expect(agent.wait(timeoutSeconds: 20), "agent did not see every message")
        let status = try MQTTTestClient.collect(watcher, count: 2, timeoutMs: 3000).map { String(decoding: $0.payload, as: UTF8.self) }
        #expect(status == ["online", "offline"])
        let stats = try Vault(path: vaultPath, keys: keys).stats()
        #expect(stats.readings == 200 && stats.quarantinedByReason == ["invalid_json": 1])
        #expect(stats.eventsByType == ["device_announced": 1, "paired": 1] && stats.unpaired == 0)
    }

    @Test func countersArePublishedRetainedWhileRunningAndAtTheStop() throws {
        let broker = try LocalBroker()
        let vaultPath = dir.appending("vault.sqlite").path
        var config = IngestConfiguration(gatewayID: "test-gw", mqtt: MQTTOptions(broker: broker.address, clientID: "vitalgate-test-gw"),
                                         detection: nil)
        config.metricsIntervalSeconds = 0.2
        let agent = AgentHarness(configuration: config, vaultPath: vaultPath, keys: keys)
        let operatorClient = try MQTTTestClient.connect(broker.address, id: "operator")
        try operatorClient.subscribe("vitalgate/test-gw/metrics", qos: 1)
        let bridge = try MQTTTestClient.connect(broker.address, id: "bridge")
        Thread.sleep(forTimeInterval: 0.3)
        try MQTTTestClient.publishAll(bridge, setup + (0..<50).map(vitals) + [
            MQTTOptions.Message(topic: "wban/v1/OXP-7F31A2/vitals", payload: Array("{\"seq\":1,".utf8))])
        // While running: a later publication shows everything counted.
        var running: JSONValue?
        for _ in 0..<50 where running?["stored"]?.numberValue != 50 {
            for message in try MQTTTestClient.collect(operatorClient, count: 1, timeoutMs: 100) {
                running = try JSONParser().parse(message.payload)
            }
        }
        let live = try #require(running)
        #expect(live["stored"]?.numberValue == 50 && live["messages"]?.numberValue == 53)
        #expect(live["quarantined_by_reason"]?["invalid_json"]?.numberValue == 1)
        #expect(live["gateway"]?.stringValue == "test-gw" && (live["vault_bytes"]?.numberValue ?? 0) > 0)
        agent.stop()
        // After the stop, a new subscriber gets the final counters, retained.
        let late = try MQTTTestClient.connect(broker.address, id: "late")
        try late.subscribe("vitalgate/test-gw/metrics", qos: 1)
        let retained = try #require(try MQTTTestClient.collect(late, count: 1, timeoutMs: 3000).first)
        let final = try JSONParser().parse(retained.payload)
        #expect(final["stored"]?.numberValue == 50 && (final["t"]?.numberValue ?? 0) >= (live["t"]?.numberValue ?? .infinity))
        // Counts only: no device id or patient identifier in it.
        let text = String(decoding: retained.payload, as: UTF8.self)
        #expect(!text.contains("OXP-7F31A2") && !text.contains("MRN"))
    }

    @Test func anAlertIsStoredAndPublishedOnTheAlertsTopicFromTheVault() throws {
        let broker = try LocalBroker()
        let nurse = try MQTTTestClient.connect(broker.address, id: "nurse-station")
        try nurse.subscribe("vitalgate/test-gw/alerts", qos: 1)
        let vaultPath = dir.appending("vault.sqlite").path
        let agent = AgentHarness(broker: broker.address, vaultPath: vaultPath, keys: keys,
                                 detection: DetectionConfig()) { $0.alerts >= 1 }
        // Ingest stores the alert with its batch; the local alerts sink publishes it (as `run` does).
        Thread.sleep(forTimeInterval: 0.2)  // the harness created the vault
        let relay = DeliveryWorker(configuration: .init(vaultPath: vaultPath, keys: keys, pollMs: 50, yieldsToIngest: false),
                                   sink: MQTTSink.localAlerts(source: MQTTOptionsSource(MQTTOptions(broker: broker.address,
                                                                                                    clientID: "alerts")),
                                                              gatewayID: "test-gw"))
        relay.start()
        defer { relay.stop() }
        Thread.sleep(forTimeInterval: 0.1)
        let bridge = try MQTTTestClient.connect(broker.address, id: "bridge")
        let ts = Int64(Date().timeIntervalSince1970 * 1000) - 5000
        try MQTTTestClient.publishAll(bridge, setup + [vitals(0), MQTTOptions.Message(
            topic: "wban/v1/OXP-7F31A2/vitals",
            payload: Array(#"{"seq":1,"ts":\#(ts),"spo2":140,"pr":72,"pi":3.1,"batt":88}"#.utf8))])
        #expect(agent.wait(timeoutSeconds: 10), "no alert was raised")
        let published = try MQTTTestClient.collect(nurse, count: 1, timeoutMs: 3000)
        let alert = try #require(published.first)
        let json = try JSONParser().parse(alert.payload)
        #expect(json["device"]?.stringValue == "OXP-7F31A2" && json["category"]?.stringValue == "fault")
        // No patient identifier on the local broker: the patient is named by the vault's pseudonym.
        #expect(json["patient"] == nil && !String(decoding: alert.payload, as: UTF8.self).contains("MRN"))
        let pseudonym = try #require(json["patient_pseudonym"]?.stringValue)
        #expect(pseudonym.count == 64 && pseudonym.allSatisfy(\.isHexDigit))
        #expect((json["score"]?.numberValue ?? 0) >= 0.92)
        let vault = try Vault(path: vaultPath, keys: keys)
        let stats = try vault.stats()
        #expect(stats.alerts == 1 && stats.quarantinedByReason == ["implausible_value": 1])
        // Stored with a sealed record over the same JSON line.
        var stored: [JSONValue] = []
        try vault.exportAlerts(ExportFilter(), onError: { id, _ in Issue.record("alert \(id)") }) { stored.append($0) }
        #expect(stored.first?["kind"] == json["kind"] && stored.first?["record_id"]?.numberValue != nil)
        // The stop saved the detector state: the patient's row, under the patient's key.
        var patientStates = 0
        try vault.forEachPatientState("detection", onError: { ref, _ in Issue.record("row \(ref)") }) { _ in
            patientStates += 1
        }
        #expect(patientStates == 1)
    }

    @Test func checkpointsArePublishedRetainedAndAStopSealsEverything() throws {
        let broker = try LocalBroker()
        let vaultPath = dir.appending("vault.sqlite").path
        let agent = AgentHarness(broker: broker.address, vaultPath: vaultPath, keys: keys,
                                 sealing: SealingConfiguration(gatewayID: "test-gw")) { $0.messages >= 32 }
        Thread.sleep(forTimeInterval: 0.3)
        let bridge = try MQTTTestClient.connect(broker.address, id: "bridge")
        try MQTTTestClient.publishAll(bridge, setup + (0..<30).map(vitals))
        #expect(agent.wait(timeoutSeconds: 20))
        // A late subscriber (an auditor, a witness) gets the latest checkpoint, retained.
        let auditor = try MQTTTestClient.connect(broker.address, id: "auditor")
        try auditor.subscribe("vitalgate/test-gw/checkpoint", qos: 1)
        let note = try #require(try MQTTTestClient.collect(auditor, count: 1, timeoutMs: 3000).first)
        let text = String(decoding: note.payload, as: UTF8.self)
        #expect(text.hasPrefix("vitalgate.gateway/test-gw\n1\n"), "\(text)")  // origin, then tree size 1
        let vault = try Vault(path: vaultPath, keys: keys)
        let bundle = try vault.proofBundle(readingID: 30, gatewayID: "test-gw")
        #expect(BundleVerifier.verify(bundle, trust: try vault.trustAnchors(gatewayID: "test-gw")).passed)
    }

    @Test func messagesPublishedWhileTheAgentIsDownArriveAfterRestartExactlyOnce() throws {
        let broker = try LocalBroker()
        let vaultPath = dir.appending("vault.sqlite").path
        let publisher = try MQTTTestClient.connect(broker.address, id: "bridge")
        let first = AgentHarness(broker: broker.address, vaultPath: vaultPath, keys: keys) { $0.messages >= 52 }
        Thread.sleep(forTimeInterval: 0.3)
        try MQTTTestClient.publishAll(publisher, setup + (0..<50).map(vitals))
        #expect(first.wait(timeoutSeconds: 20))
        try MQTTTestClient.publishAll(publisher, (50..<150).map(vitals))  // agent offline: the session queues them
        let second = AgentHarness(broker: broker.address, vaultPath: vaultPath, keys: keys) { $0.messages >= 100 }
        #expect(second.wait(timeoutSeconds: 20))
        let stats = try Vault(path: vaultPath, keys: keys).stats()
        #expect(stats.readings == 150 && stats.duplicates == 0 && stats.unpaired == 0)
    }

    @Test func aBacklogQueuedOverMQTT311IsStoredExactlyOnce() throws {
        // MQTT 3.1.1 has no receive maximum: the broker's own window (max_inflight_messages)
        // paces the pipeline instead.
        let broker = try LocalBroker()
        let vaultPath = dir.appending("vault.sqlite").path
        func agent(until: @escaping @Sendable (IngestMetrics) -> Bool) -> AgentHarness {
            AgentHarness(configuration: IngestConfiguration(
                gatewayID: "test-gw", mqtt: MQTTOptions(broker: broker.address, clientID: "vitalgate-test-gw",
                                                        protocolVersion: .v311),
                backoff: ReconnectBackoff(initialMs: 50, maxMs: 500)), vaultPath: vaultPath, keys: keys, until: until)
        }
        let first = agent { _ in false }
        Thread.sleep(forTimeInterval: 0.3)  // subscribed: the persistent session exists
        first.stop()
        let publisher = try MQTTTestClient.connect(broker.address, id: "bridge")
        try MQTTTestClient.publishAll(publisher, setup + (0..<1500).map(vitals))
        let second = agent { $0.messages >= 1502 }
        #expect(second.wait(timeoutSeconds: 30))
        let stats = try Vault(path: vaultPath, keys: keys).stats()
        #expect(stats.readings == 1500 && stats.duplicates == 0 && stats.conflicts == 0)
    }

    @Test func batchesTheVaultCannotStoreAreNotAcknowledgedRetriedWithBackoffAndArriveOnceItRecovers() throws {
        let broker = try LocalBroker()
        let operatorClient = try MQTTTestClient.connect(broker.address, id: "operator")
        try operatorClient.subscribe("vitalgate/test-gw/alerts", qos: 1)
        let vaultPath = dir.appending("vault.sqlite").path
        _ = try Vault(path: vaultPath, keys: keys)
        // Every reading insert fails while `fail_switch` has a row (another connection's trigger).
        let saboteur = try Connection(path: vaultPath)
        try saboteur.busyTimeout(ms: 5000)
        try saboteur.execute("""
            CREATE TABLE fail_switch (on_ INTEGER);
            INSERT INTO fail_switch VALUES (1);
            CREATE TRIGGER fail_readings BEFORE INSERT ON readings WHEN EXISTS (SELECT 1 FROM fail_switch)
            BEGIN SELECT RAISE(ABORT, 'injected storage failure'); END;
            """)
        // A window of several batches, so that batches are stored while later ones arrive.
        let agent = AgentHarness(configuration: IngestConfiguration(
            gatewayID: "test-gw", mqtt: MQTTOptions(broker: broker.address, clientID: "vitalgate-test-gw", maxInflight: 1000),
            maxBatch: 50, backoff: ReconnectBackoff(initialMs: 100, maxMs: 400)),
                                 vaultPath: vaultPath, keys: keys) { $0.stored >= 600 }
        Thread.sleep(forTimeInterval: 0.3)
        let publisher = try MQTTTestClient.connect(broker.address, id: "bridge")
        try MQTTTestClient.publishAll(publisher, setup + (0..<600).map(vitals))
        let failing = Date()
        while agent.metrics.withLock({ $0.storeFailures }) < 1 && Date().timeIntervalSince(failing) < 10 {
            Thread.sleep(forTimeInterval: 0.05)
        }
        Thread.sleep(forTimeInterval: 2)
        let during = agent.metrics.withLock { $0 }
        #expect(during.stored == 0 && during.storeFailures >= 2)
        // Retries wait 100, 200, 400, 400, ... ms (±20 %): at most ~8 in these 2 s. Without
        // the backoff every redelivery failed at once, hundreds of times a second.
        #expect(during.storeFailures <= 10, "\(during.storeFailures) failed attempts in 2 s")
        try saboteur.execute("DELETE FROM fail_switch")
        #expect(agent.wait(timeoutSeconds: 30), "the agent did not store everything after the vault recovered")
        let metrics = agent.metrics.withLock { $0 }
        #expect(metrics.storeFailures >= 2 && metrics.connectionLosses + metrics.connects >= 2)
        let vault = try Vault(path: vaultPath, keys: keys)
        let stats = try vault.stats()
        // Nothing was acknowledged unstored (all arrived again) and nothing stored twice.
        #expect(stats.readings == 600 && stats.duplicates == 0 && stats.conflicts == 0)
        // One alert for the outage, however many attempts failed, and the outage on record.
        // (Detection is on: the burst after the outage may raise alerts of its own.)
        let alerts = try MQTTTestClient.collect(operatorClient, count: 20, timeoutMs: 1500)
            .map { try JSONParser().parse($0.payload) }.filter { $0["kind"]?.stringValue == "vault_write_failed" }
        #expect(alerts.count == 1)
        #expect(alerts.first?["cause"]?.stringValue == "storage_error" && alerts.first?["category"]?.stringValue == "fault")
        #expect(stats.eventsByType["vault_write_failed"] == 1)
    }
}

/// Issue 18, time injected: the agent's periodic work runs on the monotonic clock. With a manual
/// clock, a publication of the counters is due every interval of monotonic time whatever the
/// wall clock does; the published `t` follows the wall clock.
@Suite struct InjectedClockTests {
    @Test func wallClockStepsNeitherStallNorBurstPeriodicWork() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let broker = try LocalBroker()
        let clock = ManualClock(monotonicMs: 0, wallMs: 86_400_000)  // booted without an RTC: 1970-01-02
        var config = IngestConfiguration(gatewayID: "test-gw", mqtt: MQTTOptions(broker: broker.address, clientID: "vitalgate-test-gw"),
                                         detection: nil)
        config.metricsIntervalSeconds = 60
        config.clock = clock
        let operatorClient = try MQTTTestClient.connect(broker.address, id: "operator")
        try operatorClient.subscribe("vitalgate/test-gw/metrics", qos: 1)
        let agent = AgentHarness(configuration: config, vaultPath: dir.appending("vault.sqlite").path, keys: GatewayKeys.generate())
        defer { agent.stop() }
        func publications(waitingMs: Int) throws -> [Double] {
            try MQTTTestClient.collect(operatorClient, count: 10, timeoutMs: waitingMs).compactMap {
                try JSONParser().parse($0.payload)["t"]?.numberValue
            }
        }
        // Due at once when the agent starts.
        #expect(try publications(waitingMs: 3000) == [86_400_000])
        // NTP's first sync steps the wall clock 56 years forward: nothing falls due.
        clock.stepWall(ms: 56 * 365 * 86_400_000)
        #expect(try publications(waitingMs: 600).isEmpty, "a forward step of the wall clock made periodic work due")
        // A minute of monotonic time later: one publication, stamped with the new wall time.
        clock.advance(ms: 60_000)
        #expect(try publications(waitingMs: 3000) == [Double(86_400_000 + 56 * 365 * 86_400_000 + 60_000)])
        // The wall clock steps an hour back: the next one is still due a minute later.
        clock.stepWall(ms: -3_600_000)
        clock.advance(ms: 59_999)
        #expect(try publications(waitingMs: 600).isEmpty)
        clock.advance(ms: 1)
        #expect(try publications(waitingMs: 3000).count == 1, "a backward step of the wall clock stalled periodic work")
    }
}
