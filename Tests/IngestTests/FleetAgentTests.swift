import Cryptography
import Detection
import Fleet
import Foundation
import Ingest
import LocalBroker
import MQTT
import Schemas
import Telemetry
import Testing
import Vault
import VitalGateTesting

/// Fleet configuration end to end: real mosquitto brokers, two or more agents each with its own
/// vault, documents pushed retained on the desired-config topics, outcomes read back from the
/// retained reported topics and from the vaults.
@Suite(.serialized) struct FleetAgentTests {
    let dir = try! TemporaryDirectory()

    static func signer(_ seed: UInt8, _ name: String) -> ConfigSigner {
        ConfigSigner(name: name, privateKey: try! Ed25519.PrivateKey(rawRepresentation: [UInt8](repeating: seed, count: 32)))
    }

    static let alice = signer(1, "alice")
    static let bob = signer(2, "bob")
    static let carol = signer(3, "carol")
    static let mallory = signer(9, "mallory")
    /// alice and bob pinned; detection thresholds need both.
    static let policy = TrustPolicy(keys: [alice.operatorKey, bob.operatorKey], thresholds: [.detection: 2])

    /// A firmware schema the agents do not ship: OxiPatch 3.x (the 1.x payload format).
    static let fw3Bundle: ConfigSections.Schemas = {
        let data = FileManager.default.contents(atPath: AgentHarness.schemas + "/oxipatch-fw1.json")!
        let members = try! JSONParser(maxBytes: 1 << 20, maxDepth: 16).parse(data).objectValue!.map { member in
            switch member.key {
            case "id": (key: member.key, value: JSONValue.string("oxipatch-fw3"))
            case "firmware": (key: member.key, value: JSONValue.object([("min", .string("3.0.0")), ("below", .string("4.0.0"))]))
            default: member
            }
        }
        return .init(files: [.init(name: "oxipatch-fw3.json", schema: .object(members))])
    }()

    struct Gateway {
        let id: String
        let vaultPath: String
        let keys = GatewayKeys.generate()
    }

    func gateway(_ id: String) -> Gateway { Gateway(id: id, vaultPath: dir.appending("\(id).sqlite").path) }

    /// gw-a and gw-b (gw-b in `bGroups`) started on `broker`, given the time to subscribe.
    func startTwo(on broker: LocalBroker, bGroups: [String] = ["ward-3"]) -> (a: Gateway, b: Gateway, agents: [AgentHarness]) {
        let (a, b) = (gateway("gw-a"), gateway("gw-b"))
        let agents = [start(a, broker: broker.address), start(b, broker: broker.address, groups: bGroups)]
        Thread.sleep(forTimeInterval: 0.4)
        return (a, b, agents)
    }

    func start(_ gateway: Gateway, broker: BrokerAddress, groups: [String] = ["ward-3"],
               confirmTimeoutMs: Int = 1_500) -> AgentHarness {
        var config = IngestConfiguration(
            gatewayID: gateway.id, mqtt: MQTTOptions(broker: broker, clientID: "vitalgate-\(gateway.id)"),
            backoff: ReconnectBackoff(initialMs: 50, maxMs: 300), detection: DetectionConfig(),
            sealing: SealingConfiguration(gatewayID: gateway.id))
        config.fleet = FleetSettings(groups: groups, bootstrapPolicy: Self.policy, confirmTimeoutMs: confirmTimeoutMs)
        return AgentHarness(configuration: config, vaultPath: gateway.vaultPath, keys: gateway.keys)
    }

    static var nowMs: UInt64 { UInt64(Date().timeIntervalSince1970 * 1000) }

    static func document(_ version: UInt64, _ target: ConfigTarget, _ sections: ConfigSections,
                         notBefore: UInt64? = nil, expires: UInt64? = nil) -> ConfigDocument {
        ConfigDocument(target: target, version: version, notBefore: notBefore ?? nowMs - 60_000,
                       expires: expires ?? nowMs + 3_600_000, sections: sections)
    }

    static func signed(_ document: ConfigDocument, _ signers: [ConfigSigner] = [alice]) -> [UInt8] {
        try! ConfigSigner.sign(document, with: signers)
    }

    static func push(_ bytes: [UInt8], to topic: String, on broker: BrokerAddress) throws {
        let operatorClient = try MQTTTestClient.connect(broker, id: "operator-\(UInt32.random(in: 0...UInt32.max))")
        try MQTTTestClient.publishAll(operatorClient, [MQTTOptions.Message(topic: topic, payload: bytes, qos: 1, retain: true)])
        operatorClient.disconnect()
    }

    // MARK: Devices

    /// An OxiPatch on firmware 3.1.0, paired: the agents have no schema for it out of the box.
    static let fw3 = PairedOxiPatch(device: "OXP-FW3001", firmware: "3.1.0", patient: "MRN-00077777", bed: "W3-1")
    static var fw3Setup: [MQTTOptions.Message] { fw3.setup }
    static func fw3Vitals(_ seqs: ClosedRange<Int>) -> [MQTTOptions.Message] { seqs.map(fw3.vitals) }

    static func waitFor(_ agents: [AgentHarness], timeout: Double = 10, _ condition: (IngestMetrics) -> Bool) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if agents.allSatisfy({ agent in agent.metrics.withLock { condition($0) } }) { return true }
            Thread.sleep(forTimeInterval: 0.05)
        }
        return false
    }

    // MARK: Reports

    /// Reads retained and live reports from `vitalgate/+/config/reported`.
    final class ReportWatcher {
        let client: MQTTClient
        var latest: [String: ConfigReport] = [:]
        var all: [ConfigReport] = []

        init(_ broker: BrokerAddress) throws {
            client = try MQTTTestClient.connect(broker, id: "watcher-\(UInt32.random(in: 0...UInt32.max))")
            try client.subscribe("vitalgate/+/config/reported", qos: 1)
        }

        /// The first report from `gateway` among those received after the first `skip` that matches.
        func await(_ gateway: String, after skip: Int = 0, timeout: Double = 10,
                   _ matches: (ConfigReport) -> Bool) throws -> ConfigReport? {
            let deadline = Date().addingTimeInterval(timeout)
            while Date() < deadline {
                if let found = all.dropFirst(skip).first(where: { $0.gateway == gateway && matches($0) }) { return found }
                for message in try client.receive(timeoutMs: 50) where !message.payload.isEmpty {
                    let report = try ConfigReport(json: try JSONParser().parse(message.payload))
                    latest[report.gateway] = report
                    all.append(report)
                }
                try client.acknowledge()
            }
            return nil
        }
    }

    // MARK: Tests

    @Test func aGroupPushAppliesOnEveryAgentAndChangesWhatTheyAccept() throws {
        let broker = try LocalBroker()
        let watcher = try ReportWatcher(broker.address)
        let (a, b, started) = startTwo(on: broker)
        var agents = started
        let bridge = try MQTTTestClient.connect(broker.address, id: "bridge")
        try MQTTTestClient.publishAll(bridge, Self.fw3Setup + Self.fw3Vitals(1...3))
        #expect(Self.waitFor(agents) { $0.quarantinedByReason["unknown_firmware"] == 3 }, "fw3 is unknown before the push")

        // detection needs alice and bob; the bundle and the batch limit need one.
        let sections = ConfigSections(sealing: .init(batchMaxReadings: 5, batchMaxAgeMs: 2_000, witnessKeys: []),
                                      detection: .init(enabled: true, threshold: 0.95), schemas: Self.fw3Bundle)
        let envelope = Self.signed(Self.document(1, .group("ward-3"), sections), [Self.alice, Self.bob])
        try Self.push(envelope, to: GatewayTopics.configDesired(group: "ward-3"), on: broker.address)
        for gw in [a, b] {
            let report = try #require(try watcher.await(gw.id) { $0.status == .applied })
            #expect(report.version == 1 && report.target == "group:ward-3" && report.running == ["group:ward-3": 1])
        }

        try MQTTTestClient.publishAll(bridge, Self.fw3Vitals(4...6))
        #expect(Self.waitFor(agents) { $0.stored >= 3 && $0.configApplied == 1 }, "fw3 readings are stored after the push")
        #expect(agents.allSatisfy { $0.metrics.withLock { $0.quarantinedByReason["unknown_firmware"] } == 3 })
        agents.forEach { $0.stop() }

        let expectedSigners = [Self.alice.keyID, Self.bob.keyID].sorted()
        for gw in [a, b] {
            let vault = try Vault(path: gw.vaultPath, keys: gw.keys)
            let events = try vault.configEvents()
            #expect(events.map(\.type) == ["config_applied"])
            let detail = try JSONParser().parse(events[0].detail)
            #expect(detail["signers"]?.arrayValue?.compactMap(\.stringValue) == expectedSigners)
            #expect(detail["version"]?.numberValue == 1 && detail["target"]?.stringValue == "group:ward-3")
            let state = try FleetState(encoded: try #require(try vault.fleetState()))
            #expect(state.sections.schemas?.files.map(\.name) == ["oxipatch-fw3.json"])
            #expect(state.sections.schemas.map { JSONWriter.canonicalBytes($0.files[0].schema) }
                == JSONWriter.canonicalBytes(Self.fw3Bundle.files[0].schema))
            #expect(state.appliedVersion(for: .group("ward-3")) == 1)
            // Sealed like a reading: nothing is left unsealed after a clean stop, and the audit passes.
            #expect(try vault.audit(gatewayID: gw.id).passed)
        }

        // A restart runs the persisted configuration; the retained document is not applied twice.
        agents = [start(a, broker: broker.address)]
        Thread.sleep(forTimeInterval: 0.4)
        try MQTTTestClient.publishAll(bridge, Self.fw3Vitals(7...7))
        #expect(Self.waitFor(agents) { $0.stored >= 1 }, "the restarted agent still decodes fw3")
        agents[0].stop()
        #expect(agents[0].metrics.withLock { $0.configApplied + $0.configRejected } == 0)
        #expect(try Vault(path: a.vaultPath, keys: a.keys).configEvents().count == 1)
    }

    @Test func everyRejectionIsReportedWithItsReasonAndChangesNothing() throws {
        let broker = try LocalBroker()
        let watcher = try ReportWatcher(broker.address)
        let (a, b, agents) = startTwo(on: broker, bGroups: [])
        let topic = GatewayTopics(gateway: a.id).configDesired

        // Version 3 applies (one signature suffices for ingest).
        let baseline = ConfigSections(ingest: .init(topics: ["wban/v1/+/+"], maxBatch: 128))
        try Self.push(Self.signed(Self.document(3, .gateway(a.id), baseline)), to: topic, on: broker.address)
        #expect(try watcher.await(a.id) { $0.status == .applied && $0.version == 3 } != nil)

        // Every crafted document also carries the fw3 bundle: had any been applied, fw3 would decode.
        let bundle = ConfigSections(schemas: Self.fw3Bundle)
        let good = Self.document(4, .gateway(a.id), bundle)
        let forged: [UInt8] = {
            let envelope = try! SignedConfig(bytes: Self.signed(good))
            let tampered = Self.document(40, .gateway(a.id), bundle).json  // signed 4, claims 40
            return SignedConfig.envelope(document: tampered, signatures: envelope.signatures)
        }()
        let malformed: JSONValue = {
            var members = good.json.objectValue!
            members.append(("ingest", .object([("topics", .array([.string("wban/v1/+/+")])), ("max_batch", .number(8)),
                                               ("bogus", .number(1))])))
            return .object(members)
        }()
        var oversize = Self.signed(good)
        oversize.insert(contentsOf: [UInt8](repeating: 0x20, count: SignedConfig.maxBytes), at: 1)
        let threshold = ConfigSections(detection: .init(enabled: true, threshold: 0.9), schemas: Self.fw3Bundle)
        let clashing = ConfigSections(schemas: .init(files: [.init(name: "x.json",
            schema: Self.fw3Bundle.files[0].schema.objectValue!.map { $0.key == "id" ? ($0.key, .string("oxipatch-fw1")) : $0 }
                .reduce(into: JSONValue.object([])) { object, member in object = .object(object.objectValue! + [member]) })]))
        let cases: [(String, [UInt8])] = [
            ("bad-signature", forged),
            ("missing-signatures", SignedConfig.envelope(document: good.json, signatures: [])),
            ("unknown-key", Self.signed(good, [Self.mallory])),
            ("insufficient-signatures", Self.signed(Self.document(5, .gateway(a.id), threshold), [Self.alice])),
            ("replay", Self.signed(Self.document(3, .gateway(a.id), bundle))),
            ("replay", Self.signed(Self.document(2, .gateway(a.id), bundle))),
            ("wrong-target", Self.signed(Self.document(6, .gateway(b.id), bundle))),
            ("wrong-target", Self.signed(Self.document(6, .group("ward-9"), bundle))),
            ("not-yet-valid", Self.signed(Self.document(7, .gateway(a.id), bundle, notBefore: Self.nowMs + 3_600_000))),
            ("expired", Self.signed(Self.document(8, .gateway(a.id), bundle, expires: Self.nowMs - 1_000))),
            ("malformed", try ConfigSigner.sign(json: malformed, with: [Self.alice])),
            ("out-of-safe-range", Self.signed(Self.document(9, .gateway(a.id), ConfigSections(
                ingest: .init(topics: ["wban/v1/+/+"], maxBatch: 0), schemas: Self.fw3Bundle)))),
            ("oversize", oversize),
            ("unsupported", Self.signed(Self.document(10, .gateway(a.id), ConfigSections(
                ledger: .init(backend: .evm, endpoint: "http://127.0.0.1:8545", chainID: 1337,
                              contract: "0x" + String(repeating: "ab", count: 20), confirmations: 2),
                schemas: Self.fw3Bundle)))),
            ("apply-failed", Self.signed(Self.document(11, .gateway(a.id), clashing))),
        ]
        for (index, (code, bytes)) in cases.enumerated() {
            let seen = watcher.all.count
            try Self.push(bytes, to: topic, on: broker.address)
            let report = try watcher.await(a.id, after: seen) { _ in true }
            #expect(report?.status == .rejected && report?.code == code,
                    "case \(index): expected a \(code) rejection, got \(String(describing: report?.code)): \(report?.reason ?? "")")
            #expect(report?.running == ["gateway:\(a.id)": 3], "case \(index): the running configuration changed")
        }
        // Behaviour unchanged: fw3 is still unknown.
        let bridge = try MQTTTestClient.connect(broker.address, id: "bridge")
        try MQTTTestClient.publishAll(bridge, Self.fw3Setup + Self.fw3Vitals(1...2))
        #expect(Self.waitFor(agents) { $0.quarantinedByReason["unknown_firmware"] == 2 })
        agents.forEach { $0.stop() }

        let vault = try Vault(path: a.vaultPath, keys: a.keys)
        let events = try vault.configEvents()
        #expect(events.map(\.type) == ["config_applied"] + Array(repeating: "config_rejected", count: cases.count))
        let state = try FleetState(encoded: try #require(try vault.fleetState()))
        #expect(state.applied.mapValues(\.version) == ["gateway:\(a.id)": 3] && state.sections.schemas == nil)
        #expect(try vault.audit(gatewayID: a.id).passed)
        // gw-b is in no group and was never addressed: nothing happened there.
        #expect(try Vault(path: b.vaultPath, keys: b.keys).configEvents().isEmpty)
    }

    @Test func aBrokerChangeThatCannotConnectRollsBackAndOneThatCanIsApplied() throws {
        let broker = try LocalBroker()
        let second = try LocalBroker()
        let watcher = try ReportWatcher(broker.address)
        let (a, _, agents) = startTwo(on: broker)
        let topic = GatewayTopics(gateway: a.id).configDesired

        let deadPort = try LocalBroker.freeLoopbackPort()
        try Self.push(Self.signed(Self.document(1, .gateway(a.id), ConfigSections(
            broker: .init(url: "mqtt://127.0.0.1:\(deadPort)"), schemas: Self.fw3Bundle))), to: topic, on: broker.address)
        let rolledBack = try #require(try watcher.await(a.id, timeout: 15) { $0.status == .rolledBack })
        #expect(rolledBack.version == 1 && rolledBack.code == "broker-unconfirmed" && rolledBack.running.isEmpty)
        // The rolled-back version is spent: the same document signed anew is a replay, not another try.
        let seen = watcher.all.count
        try Self.push(Self.signed(Self.document(1, .gateway(a.id), ConfigSections(
            broker: .init(url: "mqtt://127.0.0.1:\(deadPort)"), schemas: Self.fw3Bundle)), [Self.bob]), to: topic, on: broker.address)
        #expect(try watcher.await(a.id, after: seen) { _ in true }?.code == "replay")

        // Back on the first broker, with nothing of the document applied (fw3 still unknown).
        let bridge = try MQTTTestClient.connect(broker.address, id: "bridge")
        try MQTTTestClient.publishAll(bridge, Self.fw3Setup + Self.fw3Vitals(1...2))
        #expect(Self.waitFor(agents) { $0.quarantinedByReason["unknown_firmware"] == 2 })

        // A reachable broker: applied, reported there, and ingest continues there.
        let secondWatcher = try ReportWatcher(second.address)
        try Self.push(Self.signed(Self.document(2, .gateway(a.id), ConfigSections(
            broker: .init(url: "mqtt://\(second.address.host):\(second.address.port)")))), to: topic, on: broker.address)
        let applied = try #require(try secondWatcher.await(a.id) { $0.status == .applied })
        #expect(applied.version == 2 && applied.running == ["gateway:\(a.id)": 2])
        let secondBridge = try MQTTTestClient.connect(second.address, id: "bridge-2")
        try MQTTTestClient.publishAll(secondBridge, Self.fw3Setup + Self.fw3Vitals(3...4))
        #expect(Self.waitFor([agents[0]]) { $0.quarantinedByReason["unknown_firmware"] == 4 })
        agents.forEach { $0.stop() }

        let events = try Vault(path: a.vaultPath, keys: a.keys).configEvents().map(\.type)
        #expect(events == ["config_rolled_back", "config_rejected", "config_applied"])
        #expect(agents[1].metrics.withLock { $0.configApplied + $0.configRejected + $0.configRolledBack } == 0)
    }

    @Test func aKeyRotationSignedUnderTheCurrentPolicyTakesEffectAndSurvivesARestart() throws {
        let broker = try LocalBroker()
        let watcher = try ReportWatcher(broker.address)
        let a = gateway("gw-a")
        var agent = start(a, broker: broker.address)
        Thread.sleep(forTimeInterval: 0.4)
        let topic = GatewayTopics(gateway: a.id).configDesired
        let ingest = ConfigSections(ingest: .init(topics: ["wban/v1/+/+"], maxBatch: 64))

        // bob is replaced by carol; rotation needs both current operators.
        let rotation = ConfigSections(operators: .init(policy: TrustPolicy(keys: [Self.alice.operatorKey, Self.carol.operatorKey])))
        var seen = watcher.all.count
        try Self.push(Self.signed(Self.document(1, .gateway(a.id), rotation), [Self.alice]), to: topic, on: broker.address)
        #expect(try watcher.await(a.id, after: seen) { _ in true }?.code == "insufficient-signatures")
        seen = watcher.all.count
        try Self.push(Self.signed(Self.document(1, .gateway(a.id), rotation), [Self.alice, Self.bob]), to: topic,
                      on: broker.address)
        #expect(try watcher.await(a.id, after: seen) { _ in true }?.status == .applied)

        seen = watcher.all.count
        try Self.push(Self.signed(Self.document(2, .gateway(a.id), ingest), [Self.bob]), to: topic, on: broker.address)
        #expect(try watcher.await(a.id, after: seen) { _ in true }?.code == "unknown-key")
        agent.stop()

        // The rotated policy is persisted: after a restart bob is still out and carol is in. (The
        // retained copy of bob's document is judged once more by the new process.)
        seen = watcher.all.count
        agent = start(a, broker: broker.address)
        let again = try watcher.await(a.id, after: seen) { _ in true }
        #expect(again?.version == 2 && again?.code == "unknown-key")
        seen = watcher.all.count
        try Self.push(Self.signed(Self.document(3, .gateway(a.id), ingest), [Self.bob]), to: topic, on: broker.address)
        #expect(try watcher.await(a.id, after: seen) { _ in true }?.code == "unknown-key")
        seen = watcher.all.count
        try Self.push(Self.signed(Self.document(3, .gateway(a.id), ingest), [Self.carol]), to: topic, on: broker.address)
        let applied = try watcher.await(a.id, after: seen) { _ in true }
        #expect(applied?.status == .applied && applied?.version == 3)
        agent.stop()
        let types = try Vault(path: a.vaultPath, keys: a.keys).configEvents().map(\.type)
        #expect(types == ["config_rejected", "config_applied", "config_rejected", "config_rejected", "config_rejected",
                          "config_applied"])
    }

    /// Under `evict-oldest` with nothing to evict (no readings yet); `block` is StorageBudgetTests'.
    @Test func aVaultOverItsStorageCapRaisesOneAlertAndKeepsStoring() throws {
        let broker = try LocalBroker()
        let nurse = try MQTTTestClient.connect(broker.address, id: "nurse-station")
        try nurse.subscribe("vitalgate/gw-a/alerts", qos: 1)
        let a = gateway("gw-a")
        var config = IngestConfiguration(gatewayID: a.id, mqtt: MQTTOptions(broker: broker.address, clientID: "vitalgate-gw-a"),
                                         detection: nil, sealing: SealingConfiguration(gatewayID: a.id))
        config.storageMaxBytes = 1  // any vault is over it
        config.whenFull = .evictOldest
        let agent = AgentHarness(configuration: config, vaultPath: a.vaultPath, keys: a.keys)
        Thread.sleep(forTimeInterval: 0.4)
        let bridge = try MQTTTestClient.connect(broker.address, id: "bridge")
        try MQTTTestClient.publishAll(bridge, Self.fw3Setup)
        let alerts = try MQTTTestClient.collect(nurse, count: 2, timeoutMs: 3_000)
        #expect(Self.waitFor([agent]) { $0.events >= 2 })
        agent.stop()
        #expect(alerts.count == 1, "one alert per crossing, not one per check")
        let alert = try JSONParser().parse(try #require(alerts.first).payload)
        #expect(alert["kind"]?.stringValue == "storage_cap_exceeded" && alert["category"]?.stringValue == "fault")
        #expect(agent.metrics.withLock { $0.storageCapExceeded } == 1)
        let stats = try Vault(path: a.vaultPath, keys: a.keys).stats()
        #expect(stats.eventsByType["storage_cap_exceeded"] == 1 && stats.eventsByType["device_announced"] == 1)
    }

    @Test func documentsAppliedWhileReadingsStreamInLoseAndDuplicateNothing() throws {
        let broker = try LocalBroker()
        let watcher = try ReportWatcher(broker.address)
        let (a, b, agents) = startTwo(on: broker)
        let total = 3_000
        let address = broker.address
        let streaming = Thread {
            // The client is created and used on this thread only.
            guard let bridge = try? MQTTTestClient.connect(address, id: "bridge") else { return }
            try? MQTTTestClient.publishAll(bridge, SampleTelemetry.oxiPatch(0..<total), timeoutMs: 60_000)
        }
        streaming.start()
        // Three group documents while the stream is flowing: batch limits and max_batch change each time.
        for version in UInt64(1)...3 {
            Thread.sleep(forTimeInterval: 0.15)
            let sections = ConfigSections(ingest: .init(topics: ["wban/v1/+/+"], maxBatch: 16 * version),
                                          sealing: .init(batchMaxReadings: 7 * version, batchMaxAgeMs: 1_000, witnessKeys: []))
            let seen = watcher.all.count
            try Self.push(Self.signed(Self.document(version, .group("ward-3"), sections)),
                          to: GatewayTopics.configDesired(group: "ward-3"), on: broker.address)
            for gw in [a, b] {
                #expect(try watcher.await(gw.id, after: seen) { $0.version == version }?.status == .applied)
            }
        }
        #expect(Self.waitFor(agents, timeout: 60) { $0.messages >= total + 2 }, "every message arrives")
        agents.forEach { $0.stop() }
        for gw in [a, b] {
            let vault = try Vault(path: gw.vaultPath, keys: gw.keys)
            let stats = try vault.stats()
            #expect(stats.readings == total && stats.duplicates == 0 && stats.quarantined == 0, "\(gw.id): \(stats.json)")
            #expect(try vault.configEvents().map(\.type) == Array(repeating: "config_applied", count: 3))
            #expect(try vault.audit(gatewayID: gw.id).passed)
        }
    }
}

/// Issue 19: a fleet `egress` section goes to the delivery workers' control (the command line
/// owns them); an agent without one, or a section its control cannot use, is refused.
@Suite(.serialized) struct FleetEgressTests {
    /// Records what the agent hands over; refuses sections whose FHIR URL contains "refuse".
    final class RecordingEgressControl: EgressControl, @unchecked Sendable {
        // @unchecked Sendable is safe: `applied` is read and written only under `lock`.
        private let lock = NSLock()
        private var applied: [ConfigSections.Egress?] = []
        var history: [ConfigSections.Egress?] { lock.withLock { applied } }

        func check(_ egress: ConfigSections.Egress) throws(ConfigRejection) {
            if egress.fhir.contains("refuse") { throw ConfigRejection(.applyFailed(detail: "egress: cannot build the sink")) }
        }

        func apply(_ egress: ConfigSections.Egress?) { lock.withLock { applied.append(egress) } }
    }

    let dir: TemporaryDirectory

    init() throws { dir = try TemporaryDirectory() }

    func start(_ id: String, broker: BrokerAddress, control: RecordingEgressControl?) -> AgentHarness {
        var config = IngestConfiguration(
            gatewayID: id, mqtt: MQTTOptions(broker: broker, clientID: "vitalgate-\(id)"),
            backoff: ReconnectBackoff(initialMs: 50, maxMs: 300), sealing: SealingConfiguration(gatewayID: id))
        config.fleet = FleetSettings(groups: [], bootstrapPolicy: FleetAgentTests.policy, confirmTimeoutMs: 1_500)
        config.egressControl = control
        return AgentHarness(configuration: config, vaultPath: dir.appending("\(id).sqlite").path, keys: GatewayKeys.generate())
    }

    @Test func anEgressSectionIsHandedToTheControlOrRefused() throws {
        let broker = try LocalBroker()
        let watcher = try FleetAgentTests.ReportWatcher(broker.address)
        let control = RecordingEgressControl()
        let agents = [start("gw-e", broker: broker.address, control: control), start("gw-n", broker: broker.address, control: nil)]
        defer { agents.forEach { $0.stop() } }
        Thread.sleep(forTimeInterval: 0.4)
        let egress = ConfigSections.Egress(fhir: "https://ehr.example/fhir", upstream: "", upstreamTopic: "site/{gateway}/{kind}")
        for (version, id) in [(UInt64(1), "gw-e"), (1, "gw-n")] {
            let envelope = FleetAgentTests.signed(FleetAgentTests.document(version, .gateway(id), ConfigSections(egress: egress)))
            try FleetAgentTests.push(envelope, to: GatewayTopics(gateway: id).configDesired, on: broker.address)
        }
        let applied = try #require(try watcher.await("gw-e") { $0.version == 1 })
        #expect(applied.status == .applied, "\(applied)")
        #expect(control.history.last == egress)
        let refused = try #require(try watcher.await("gw-n") { $0.version == 1 || $0.status == .rejected })
        #expect(refused.status == .rejected && refused.reason?.contains("unsupported") == true, "\(refused)")

        // A section the control cannot use changes nothing.
        let bad = ConfigSections.Egress(fhir: "https://refuse.example/fhir", upstream: "")
        let envelope = FleetAgentTests.signed(FleetAgentTests.document(2, .gateway("gw-e"), ConfigSections(egress: bad)))
        try FleetAgentTests.push(envelope, to: GatewayTopics(gateway: "gw-e").configDesired, on: broker.address)
        let rejected = try #require(try watcher.await("gw-e", after: watcher.all.count) { $0.version == 2 })
        #expect(rejected.status == .rejected && rejected.reason?.contains("apply-failed") == true, "\(rejected)")
        #expect(control.history.last == egress, "still the first section")
    }
}
