import Consent
import ConsentDocuments
import Detection
import Fleet
import Foundation
import Ingest
import LocalBroker
import MQTT
import Telemetry
import Testing
import Vault
import VitalGateTesting

/// Signed consent documents end to end: a real mosquitto broker, an agent over a real vault
/// file, documents published (QoS 1, not retained) on the gateway's consent topic; outcomes read
/// from the book, the vault, the metrics and the report topic.
@Suite(.serialized) struct ConsentAgentTests {
    let dir = try! TemporaryDirectory()
    let keys = GatewayKeys.generate()
    var vaultPath: String { dir.appending("gw-a.sqlite").path }

    static let alice = SampleConsent.signer(1, "alice")
    static let mallory = SampleConsent.signer(9, "mallory")
    static let patient = "MRN-00012345"
    static let research = DisclosureRequest(patient: patient, recipient: "research-lab", purpose: .research, classes: [.vitals],
                                            dataTime: SampleConsent.nowMs, disclosedAt: SampleConsent.nowMs)

    /// An agent for gw-a (in group ward-3) whose book denies everything by default.
    func start(on broker: LocalBroker) -> (AgentHarness, ConsentBook) {
        var config = IngestConfiguration(
            gatewayID: "gw-a", mqtt: MQTTOptions(broker: broker.address, clientID: "vitalgate-gw-a"),
            backoff: ReconnectBackoff(initialMs: 50, maxMs: 300), detection: nil, sealing: SealingConfiguration(gatewayID: "gw-a"))
        let book = ConsentBook(policy: .denyAll)
        config.consent = ConsentSettings(book: book, authority: ConsentAuthority(keys: [Self.alice.operatorKey]),
                                         groups: ["ward-3"])
        return (AgentHarness(configuration: config, vaultPath: vaultPath, keys: keys), book)
    }

    static func push(_ envelopes: [[UInt8]], to topic: String = "vitalgate/gw-a/consent", on broker: LocalBroker) throws {
        let client = try MQTTTestClient.connect(broker.address, id: "authority-\(UInt32.random(in: 0...UInt32.max))")
        try MQTTTestClient.publishAll(client, envelopes.map { MQTTOptions.Message(topic: topic, payload: $0, qos: 1, retain: false) })
        client.disconnect()
    }

    static func signed(version: UInt64, status: ConsentRecord.Status = .active, target: ConfigTarget = .gateway("gw-a"),
                       recipient: String = "research-lab", by signers: [ConfigSigner] = [alice],
                       issuedAt: UInt64? = nil, expires: UInt64? = nil) -> [UInt8] {
        let record = SampleConsent.record(patient: patient, version: version, status: status, recipient: recipient)
        return SampleConsent.signed(SampleConsent.document(record, target: target, issuedAt: issuedAt, expires: expires), by: signers)
    }

    static func waitFor(_ agent: AgentHarness, timeout: Double = 10, _ condition: (IngestMetrics) -> Bool) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if agent.metrics.withLock({ condition($0) }) { return true }
            Thread.sleep(forTimeInterval: 0.05)
        }
        return false
    }

    static func waitFor(timeout: Double = 10, _ condition: () throws -> Bool) rethrows -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if try condition() { return true }
            Thread.sleep(forTimeInterval: 0.05)
        }
        return false
    }

    func storedVersions() throws -> [UInt64] {
        try Vault(path: vaultPath, keys: keys).consentDocuments(patient: Self.patient).map {
            try SignedConsent(bytes: $0.envelope).document.version
        }
    }

    @Test func aSignedDocumentIsInForceAndARevocationWithdrawsIt() throws {
        let broker = try LocalBroker()
        let reports = try MQTTTestClient.connect(broker.address, id: "reports")
        try reports.subscribe("vitalgate/gw-a/consent/reported", qos: 1)
        let (agent, book) = start(on: broker)
        defer { agent.stop() }
        Thread.sleep(forTimeInterval: 0.4)  // subscribed
        #expect(!book.decide(Self.research).permits([.vitals]))

        try Self.push([Self.signed(version: 1)], on: broker)
        #expect(Self.waitFor(agent) { $0.consentDocuments["applied"] == 1 })
        #expect(book.records(patient: Self.patient).map(\.version) == [1])
        let decision = book.decide(Self.research)
        #expect(decision.permits([.vitals]))
        #expect(decision.basis == .patientConsent([ConsentVersion(recordID: "consent-1", version: 1)]))
        #expect(try storedVersions() == [1])

        // Revoked: version 2, inactive. The record no longer speaks; the default (deny) decides.
        try Self.push([Self.signed(version: 2, status: .inactive)], on: broker)
        #expect(Self.waitFor(agent) { $0.consentDocuments["applied"] == 2 })
        #expect(book.records(patient: Self.patient).map(\.status) == [.inactive])
        #expect(!book.decide(Self.research).permits([.vitals]))
        #expect(book.decide(Self.research).basis == .defaultPolicy)
        #expect(try storedVersions() == [2])

        // A group the gateway is in, on the group's topic.
        try Self.push([Self.signed(version: 3, target: .group("ward-3"))], to: "vitalgate/groups/ward-3/consent", on: broker)
        #expect(Self.waitFor(agent) { $0.consentDocuments["applied"] == 3 })
        #expect(book.decide(Self.research).permits([.vitals]))

        // Reports name no patient: a keyed record hash, the version, the envelope's hash.
        var payloads: [[UInt8]] = []
        #expect(try Self.waitFor {
            payloads += try reports.receive(timeoutMs: 50).map(\.payload)
            try reports.acknowledge()
            return payloads.count >= 3
        })
        for payload in payloads {
            let text = String(decoding: payload, as: UTF8.self)
            #expect(!text.contains("MRN") && !text.contains("consent-1"), "\(text)")
            #expect(try JSONParser().parse(payload)["status"]?.stringValue == "applied")
        }
    }

    @Test func forgedExpiredReplayedMalformedAndMisaddressedDocumentsAreRejectedByReason() throws {
        let broker = try LocalBroker()
        let (agent, book) = start(on: broker)
        defer { agent.stop() }
        Thread.sleep(forTimeInterval: 0.4)
        let accepted = Self.signed(version: 2)
        try Self.push([accepted], on: broker)
        #expect(Self.waitFor(agent) { $0.consentDocuments["applied"] == 1 })

        let now = UInt64(SampleConsent.nowMs)
        var forged = Array(Self.signed(version: 3, recipient: "research-lab"))
        let tampered = Array(String(decoding: forged, as: UTF8.self)
            .replacingOccurrences(of: "research-lab", with: "marketing-co").utf8)
        forged = tampered
        // The accepted document again, under a signature of another document: forged, not a duplicate.
        let otherSignature = try SignedConsent(bytes: Self.signed(version: 3)).signatures
        let acceptedDocument = try SignedConsent(bytes: accepted).documentJSON
        let resigned = SignedEnvelope.serialise(document: acceptedDocument, signatures: otherSignature)
        try Self.push([
            forged,                                                              // bad-signature
            Self.signed(version: 3, by: [Self.mallory]),                         // unknown-key
            Self.signed(version: 3, by: []),                                     // missing-signatures
            Self.signed(version: 3, issuedAt: now - 7_200_000, expires: now - 1),  // expired
            Self.signed(version: 1),                                             // replay (older)
            Self.signed(version: 2, recipient: "another-lab"),                   // replay (same version, other content)
            accepted,                                                            // the accepted copy again
            resigned,                                                            // bad-signature
            Self.signed(version: 3, target: .gateway("gw-b")),                   // wrong-target
            Self.signed(version: 3, target: .group("ward-4")),                   // wrong-target
            Array("{\"document\": 1}".utf8),                                     // malformed
        ], on: broker)
        let expected = ["applied": 1, "bad-signature": 2, "unknown-key": 1, "missing-signatures": 1, "expired": 1,
                        "replay": 2, "duplicate": 1, "wrong-target": 2, "malformed": 1]
        #expect(Self.waitFor(agent) { $0.consentDocuments == expected }, "\(agent.metrics.withLock { $0.consentDocuments })")
        // Nothing but the accepted version is in force or stored.
        #expect(book.records(patient: Self.patient).map(\.version) == [2])
        #expect(book.records(patient: Self.patient).first?.provision.actors == ["research-lab"])
        #expect(try storedVersions() == [2])
        // `stats` counts them by reason (events), and the metrics JSON too.
        let events = try Vault(path: vaultPath, keys: keys).stats().eventsByType
        #expect(events["consent_applied"] == 1 && events["consent_bad_signature"] == 2 && events["consent_replay"] == 2
                && events["consent_wrong_target"] == 2 && events["consent_expired"] == 1, "\(events)")
        #expect(agent.metrics.withLock { $0.json["consent_documents"]?["expired"]?.numberValue } == 1)
    }

    @Test func replaysAreRefusedAfterARestartAndAfterErasureAndErasureEmptiesTheBook() throws {
        let broker = try LocalBroker()
        var (agent, book) = start(on: broker)
        Thread.sleep(forTimeInterval: 0.4)
        try Self.push([Self.signed(version: 5)], on: broker)
        #expect(Self.waitFor(agent) { $0.consentDocuments["applied"] == 1 })
        agent.stop()

        // Pushed while the agent is down: the broker keeps it in the agent's session.
        try Self.push([Self.signed(version: 4)], on: broker)
        (agent, book) = start(on: broker)
        #expect(Self.waitFor { book.records(patient: Self.patient).map(\.version) == [5] })  // loaded from the vault at start
        #expect(Self.waitFor(agent) { $0.consentDocuments["replay"] == 1 })
        #expect(book.records(patient: Self.patient).map(\.version) == [5])

        // Erased while the agent runs: the records go from the vault at once, from the book within seconds.
        _ = try Vault(path: vaultPath, keys: keys).erasePatient(Self.patient, by: "test", at: SampleConsent.nowMs)
        #expect(try storedVersions() == [])
        #expect(Self.waitFor(timeout: 15) { book.records(patient: Self.patient).isEmpty })
        try Self.push([Self.signed(version: 5, recipient: "another-lab"), Self.signed(version: 2)], on: broker)
        #expect(Self.waitFor(agent) { $0.consentDocuments["replay"] == 3 })
        #expect(book.records(patient: Self.patient).isEmpty)
        agent.stop()

        (agent, book) = start(on: broker)
        defer { agent.stop() }
        #expect(Self.waitFor(agent) { $0.connects >= 1 })  // started: whatever the vault held is loaded
        #expect(book.patientCount == 0)
        #expect(try storedVersions() == [])
        // A newer version re-admits the patient.
        Thread.sleep(forTimeInterval: 0.4)
        try Self.push([Self.signed(version: 6)], on: broker)
        #expect(Self.waitFor(agent) { $0.consentDocuments["applied"] == 1 })
        #expect(book.records(patient: Self.patient).map(\.version) == [6])
        #expect(try storedVersions() == [6])
    }
}
