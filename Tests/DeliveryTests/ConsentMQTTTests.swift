import Consent
import Delivery
import Foundation
import LocalBroker
import MQTT
import Telemetry
import Testing
import Vault
import VitalGateTesting

/// Issue 21, item 4 and 6, against a real mosquitto: consent flipping while data streams, a
/// revocation's bound, identity replaced by the pseudonym, and the local alerts topic.
@Suite struct ConsentMQTTTests {
    static func upstream(_ broker: BrokerAddress, clientID: String = "vitalgate-upstream-gw-1") -> MQTTSink {
        MQTTSink(options: MQTTOptions(broker: broker, clientID: clientID, connectTimeoutMs: 2000),
                 gatewayID: "gw-1", topicTemplate: "cloud/{gateway}/{kind}", confirmTimeoutMs: 5000)
    }

    /// The messages that arrive within `timeoutMs` (at least `count`; more if more came).
    static func receive(_ consumer: MQTTClient, atLeast count: Int, timeoutMs: Int = 10_000) throws -> [JSONValue] {
        var messages = try MQTTTestClient.collect(consumer, count: count, timeoutMs: timeoutMs)
        messages += try MQTTTestClient.collect(consumer, count: 1, timeoutMs: 300)  // nothing more should come
        return try messages.map { try JSONParser().parse($0.payload) }
    }

    static func patients(_ messages: [JSONValue]) -> [String: Int] {
        messages.reduce(into: [:]) { counts, message in counts[message["patient"]?.stringValue ?? "-", default: 0] += 1 }
    }

    @Test func consentFlipsWhileDataStreamsWithExactCountsInEachWindow() throws {
        let stream = try ConsentStream()
        let cloud = try LocalBroker()
        let consumer = try MQTTTestClient.connect(cloud.address, id: "cloud-consumer")
        try consumer.subscribe("cloud/#", qos: 1)
        let book = ConsentBook(policy: .treatmentOnly(by: ["cloud"]))
        let recorder = InMemoryDisclosureRecorder()
        let worker = DeliveryWorker(configuration: .init(vaultPath: stream.vaultPath, keys: stream.keys, batchLimit: 16),
                                    sink: Self.upstream(cloud.address),
                                    consent: SinkConsent(book: book, recipient: "cloud", whenDenied: .hold(ms: 3_600_000),
                                                         recorder: recorder))
        let (a, b) = (ConsentStream.patientA, ConsentStream.patientB)
        // Window 1, permitted: 10 readings and an alert each.
        try stream.store(perPatient: 10, alerts: true)
        NDJSONDeliveryTests.drain(worker, stream.vault)
        #expect(Self.patients(try Self.receive(consumer, atLeast: 22)) == [a: 11, b: 11])
        // Window 2, A revoked: B's records go, A's are held.
        book.apply(ConsentStream.revocation(a, version: 1))
        let held = try stream.store(perPatient: 10, alerts: true)
        NDJSONDeliveryTests.drain(worker, stream.vault)
        #expect(Self.patients(try Self.receive(consumer, atLeast: 11)) == [b: 11])
        #expect(try stream.vault.sinkCursor("mqtt").consentHeldNow == 11)
        // Window 3, A permits again: the new records go, and the held ones are released.
        book.apply(ConsentStream.grant(a, version: 2, to: ["cloud"]))
        try stream.store(perPatient: 10, alerts: true)
        NDJSONDeliveryTests.drain(worker, stream.vault)
        let third = try Self.receive(consumer, atLeast: 33)
        #expect(Self.patients(third) == [a: 22, b: 11])
        let released = Set(third.compactMap { $0["record"]?.stringValue }.map { Int64($0.dropFirst("gw-1:".count))! })
        #expect(released.isSuperset(of: held[a] ?? []), "window 2's records of A went once consent returned")
        let cursor = try stream.vault.sinkCursor("mqtt")
        #expect(cursor.consentHeld == 11 && cursor.consentReleased == 11 && cursor.consentHeldNow == 0 && cursor.delivered == 66)
        #expect(recorder.disclosures.map(\.count).reduce(0, +) == 66)
    }

    @Test func aRevocationStopsDeliveryWithinOneAttemptWhileDataStreams() throws {
        let stream = try ConsentStream()
        let cloud = try LocalBroker()
        let consumer = try MQTTTestClient.connect(cloud.address, id: "cloud-consumer")
        try consumer.subscribe("cloud/#", qos: 1)
        let book = ConsentBook(policy: .treatmentOnly(by: ["cloud"]))
        let worker = DeliveryWorker(configuration: .init(vaultPath: stream.vaultPath, keys: stream.keys, batchLimit: 100, pollMs: 20,
                                                         yieldsToIngest: false),
                                    sink: Self.upstream(cloud.address),
                                    consent: SinkConsent(book: book, recipient: "cloud", whenDenied: .skip,
                                                         recorder: InMemoryDisclosureRecorder()))
        worker.start()
        // A writer stores a reading of each patient every 5 ms (the ward streams); the
        // revocation is applied half way.
        let writer = WriterThread(stream)
        let started = ConsentStream.wallNow()
        var arrivals: [(at: Int64, message: JSONValue)] = []
        var appliedAt: Int64?
        while ConsentStream.wallNow() - started < 3000 {
            if appliedAt == nil, ConsentStream.wallNow() - started >= 1500 {
                book.apply(ConsentStream.revocation(ConsentStream.patientA, version: 1))
                appliedAt = ConsentStream.wallNow()
            }
            for message in try consumer.receive(timeoutMs: 10) {
                arrivals.append((ConsentStream.wallNow(), try JSONParser().parse(message.payload)))
            }
            try consumer.acknowledge()
        }
        writer.stop()
        let newest = try stream.vault.newestRecordID()
        let deadline = ConsentStream.wallNow() + 10_000
        while try stream.vault.sinkCursor("mqtt").lastID < newest, ConsentStream.wallNow() < deadline {
            for message in try consumer.receive(timeoutMs: 20) {
                arrivals.append((ConsentStream.wallNow(), try JSONParser().parse(message.payload)))
            }
            try consumer.acknowledge()
        }
        worker.stop()
        arrivals += try MQTTTestClient.collect(consumer, count: .max, timeoutMs: 300).map {
            (ConsentStream.wallNow(), try JSONParser().parse($0.payload))
        }
        let applied = try #require(appliedAt)
        let ofA = arrivals.filter { $0.message["patient"]?.stringValue == ConsentStream.patientA }
        let receivedAfter = ofA.filter { Int64($0.message["received_at"]?.numberValue ?? 0) > applied }
        let lastOfA = try #require(ofA.map(\.at).max())
        let cursor = try stream.vault.sinkCursor("mqtt")
        print("revocation bound: \(writer.stored) records stored; of A, \(ofA.count) delivered, "
              + "\(receivedAfter.count) received after the revocation; last of A delivered \(lastOfA - applied) ms after it; "
              + "\(cursor.consentSkipped) skipped")
        #expect(receivedAfter.isEmpty, "nothing of A received after the revocation went out")
        #expect(lastOfA - applied < 5000, "the in-flight attempt ends within the sink's confirmation timeout")
        #expect(cursor.consentSkipped > 0 && ofA.count > 0)
        #expect(ofA.count + Int(cursor.consentSkipped) == writer.stored / 2, "each record of A went or was skipped, none lost")
        #expect(arrivals.count(where: { $0.message["patient"]?.stringValue == ConsentStream.patientB }) == writer.stored / 2,
                "B's records all went")
    }

    @Test func identityDeniedMeansThePseudonymUpstreamAndOnFHIR() throws {
        let stream = try ConsentStream()
        let cloud = try LocalBroker()
        let consumer = try MQTTTestClient.connect(cloud.address, id: "cloud-consumer")
        try consumer.subscribe("cloud/#", qos: 1)
        let book = ConsentBook(policy: .treatmentOnly(by: ["cloud"]))
        // A permits everything but identity.
        book.apply(ConsentRecord(id: "consent-a", patient: ConsentStream.patientA, version: 1, issuedAt: ConsentStream.wallNow(),
                                 provision: ConsentProvision(type: .permit, actors: ["cloud"], provisions: [
                                     ConsentProvision(type: .deny, classes: .identity)]),
                                 source: .document(keyID: "test")))
        try stream.store(perPatient: 3, alerts: true)
        let recorder = InMemoryDisclosureRecorder()
        let consent = SinkConsent(book: book, recipient: "cloud", recorder: recorder)
        let worker = DeliveryWorker(configuration: .init(vaultPath: stream.vaultPath, keys: stream.keys),
                                    sink: Self.upstream(cloud.address), consent: consent)
        NDJSONDeliveryTests.drain(worker, stream.vault)
        let messages = try Self.receive(consumer, atLeast: 8)
        #expect(Self.patients(messages) == ["-": 4, ConsentStream.patientB: 4])
        let pseudonymous = messages.filter { $0["patient"] == .null }
        #expect(pseudonymous.allSatisfy { ($0["patient_pseudonym"]?.stringValue?.count ?? 0) == 64 })
        #expect(!messages.contains { JSONWriter.canonicalString($0).contains(ConsentStream.patientA) })
        #expect(worker.metrics.consent["identity_withheld"] == 4)
        let toA = try #require(recorder.disclosures.first { $0.patient == ConsentStream.patientA })
        #expect(toA.classes == [.vitals, .alerts], "identity was not disclosed")
        // The NDJSON (FHIR) sink names A by the pseudonym system.
        let out = stream.dir.appending("ndjson").path
        let ndjson = try NDJSONSink(directory: out, mapping: FHIRMapping(gatewayID: "gw-1"), maxAgeMs: 0)
        NDJSONDeliveryTests.drain(DeliveryWorker(configuration: .init(vaultPath: stream.vaultPath, keys: stream.keys),
                                                 sink: ndjson, consent: consent), stream.vault)
        let text = try NDJSONDeliveryTests.files(out).map { try String(contentsOfFile: "\(out)/\($0)", encoding: .utf8) }.joined()
        #expect(text.contains("\"system\":\"urn:vitalgate:gw-1:patient-pseudonym\"") && !text.contains(ConsentStream.patientA))
        #expect(text.contains(ConsentStream.patientB))
    }

    /// The local alerts topic's payload for each policy.
    static func localAlerts(_ patient: MQTTSink.AlertTopicPatient, book: ConsentBook) throws -> [JSONValue] {
        let stream = try ConsentStream()
        try stream.store(perPatient: 2, alerts: true)
        let broker = try LocalBroker()
        let consumer = try MQTTTestClient.connect(broker.address, id: "ward-console")
        try consumer.subscribe("vitalgate/gw-1/alerts", qos: 1)
        let sink = MQTTSink.localAlerts(source: MQTTOptionsSource(MQTTOptions(broker: broker.address, clientID: "gw-1-alerts")),
                                        gatewayID: "gw-1", patient: patient)
        let worker = DeliveryWorker(configuration: .init(vaultPath: stream.vaultPath, keys: stream.keys), sink: sink,
                                    consent: SinkConsent(book: book, recipient: "local-alerts", recorder: InMemoryDisclosureRecorder()))
        NDJSONDeliveryTests.drain(worker, stream.vault)
        return try receive(consumer, atLeast: 2)
    }

    @Test func theAlertsTopicNamesTheBedAndTheDeviceNotThePatient() throws {
        let book = ConsentBook(policy: .treatmentOnly(by: ["local-alerts"]))
        let mrns = ConsentStream.patients.map(\.mrn)
        for (policy, pseudonym) in [(MQTTSink.AlertTopicPatient.pseudonym, true), (.none, false)] {
            let alerts = try Self.localAlerts(policy, book: book)
            #expect(alerts.count == 2)
            for alert in alerts {
                let text = JSONWriter.canonicalString(alert)
                #expect(!mrns.contains { text.contains($0) } && alert["patient"] == nil, "no MRN on the topic: \(policy)")
                let device = try #require(alert["device"]?.stringValue)
                let bed = ConsentStream.patients.first { $0.device == device }?.bed
                #expect(alert["bed"]?.stringValue == bed && bed != nil)
                #expect((alert["patient_pseudonym"]?.stringValue?.count == 64) == pseudonym)
            }
        }
        // `identifier`: the MRN only where consent permits the alerts recipient the identity.
        book.apply(ConsentRecord(id: "consent-b", patient: ConsentStream.patientB, version: 1, issuedAt: ConsentStream.wallNow(),
                                 provision: ConsentProvision(type: .deny, classes: .identity), source: .document(keyID: "test")))
        let named = try Self.localAlerts(.identifier, book: book)
        #expect(named.compactMap { $0["patient"]?.stringValue } == [ConsentStream.patientA])
        #expect(named.first { $0["patient"] == nil }?["patient_pseudonym"]?.stringValue?.count == 64)
    }
}

/// Stores a reading of each patient every 5 ms on a thread of its own, received now.
final class WriterThread: @unchecked Sendable {
    // @unchecked Sendable is safe: `stream` is used by the writer thread only until `stop()`
    // returned (the test reads the vault after); `stopping` and `count` are under `lock`.
    private let stream: ConsentStream
    private let lock = NSLock()
    private var stopping = false
    private var count = 0
    private let done = DispatchSemaphore(value: 0)

    init(_ stream: ConsentStream) {
        self.stream = stream
        Thread.detachNewThread { [self] in
            while !lock.withLock({ stopping }) {
                if (try? self.stream.store(perPatient: 1)) != nil { lock.withLock { count += 2 } }
                Thread.sleep(forTimeInterval: 0.005)
            }
            done.signal()
        }
    }

    /// Records stored so far.
    var stored: Int { lock.withLock { count } }

    func stop() {
        lock.withLock { stopping = true }
        done.wait()
    }
}
