import Consent
import Delivery
import Foundation
import LocalBroker
import MQTT
import Telemetry
import Testing
import Vault
import VitalGateTesting

/// Issue 21, item 4: every record is checked against consent before it leaves; what is not
/// permitted is held (and released when consent arrives) or skipped, and counted; identity
/// denied means the pseudonym; every confirmed delivery is recorded as disclosures.
@Suite struct ConsentEnforcementTests {
    static let recipient = "cloud"

    static func worker(_ stream: ConsentStream, _ sink: any DeliverySink, book: ConsentBook, recorder: InMemoryDisclosureRecorder,
                       whenDenied: SinkConsent.WhenDenied = .hold(ms: 3_600_000), purpose: PurposeOfUse = .treatment,
                       recipient: String = recipient, clock: ManualClock? = nil) -> DeliveryWorker {
        let configuration = DeliveryWorker.Configuration(vaultPath: stream.vaultPath, keys: stream.keys, batchLimit: 50,
                                                         backoff: ReconnectBackoffDefaults.test)
        let consent = SinkConsent(book: book, recipient: recipient, purpose: purpose, whenDenied: whenDenied, recorder: recorder)
        guard let clock else { return DeliveryWorker(configuration: configuration, sink: sink, consent: consent) }
        return DeliveryWorker(configuration: configuration, sink: sink, consent: consent, clock: clock)
    }

    static func treatmentBook() -> ConsentBook { ConsentBook(policy: .treatmentOnly(by: [recipient])) }

    @Test func heldRecordsGoOnceConsentArrivesAndNeverBlockAnotherPatient() throws {
        let stream = try ConsentStream()
        let book = Self.treatmentBook()
        book.apply(ConsentStream.revocation(ConsentStream.patientA, version: 1))
        let stored = try stream.store(perPatient: 20, alerts: true)
        let sink = InMemorySink()
        let recorder = InMemoryDisclosureRecorder()
        let worker = Self.worker(stream, sink, book: book, recorder: recorder)
        NDJSONDeliveryTests.drain(worker, stream.vault)
        let a = try #require(stored[ConsentStream.patientA]), b = try #require(stored[ConsentStream.patientB])
        #expect(sink.delivered == b, "B's records went at once; A's are held")
        var cursor = try stream.vault.sinkCursor("memory")
        #expect(cursor.lastID == (try stream.vault.newestRecordID()), "the cursor moved past the held records")
        #expect(cursor.consentHeld == Int64(a.count) && cursor.consentHeldNow == Int64(a.count) && cursor.delivered == Int64(b.count))
        #expect(worker.metrics.consent["held"] == a.count && worker.metrics.consent["permitted"] == b.count)
        // Consent arrives: a newer version of A's record permits the recipient.
        book.apply(ConsentStream.grant(ConsentStream.patientA, version: 2, to: [Self.recipient]))
        NDJSONDeliveryTests.drain(worker, stream.vault)
        #expect(sink.delivered == b + a)
        cursor = try stream.vault.sinkCursor("memory")
        #expect(cursor.consentReleased == Int64(a.count) && cursor.consentHeldNow == 0 && cursor.delivered == Int64(a.count + b.count))
        #expect(worker.metrics.consent["released"] == a.count)
        // One disclosure per patient per delivery, with the record ranges and the basis.
        let disclosures = recorder.disclosures
        #expect(disclosures.count == 2)
        let toB = try #require(disclosures.first { $0.patient == ConsentStream.patientB })
        #expect(toB.count == b.count && toB.recordRanges.flatMap { Array($0) } == b && toB.basis == .defaultPolicy)
        #expect(toB.classes == [.vitals, .alerts, .identity] && toB.recipient == Self.recipient && toB.channel == .sink("memory"))
        let toA = try #require(disclosures.first { $0.patient == ConsentStream.patientA })
        #expect(toA.count == a.count && toA.basis == .patientConsent([ConsentVersion(recordID: "consent-\(ConsentStream.patientA)", version: 2)]))
    }

    @Test func aHoldWhoseWindowEndsIsSkippedWithItsReasonAndCounted() throws {
        let stream = try ConsentStream()
        let clock = ManualClock(wallMs: ConsentStream.wallNow())
        let book = ConsentBook(policy: .denyAll)
        try stream.store(perPatient: 5)
        let sink = InMemorySink()
        let worker = Self.worker(stream, sink, book: book, recorder: InMemoryDisclosureRecorder(), whenDenied: .hold(ms: 1000),
                                 clock: clock)
        NDJSONDeliveryTests.drain(worker, stream.vault)
        #expect(try stream.vault.sinkCursor("memory").consentHeldNow == 10)
        clock.advance(ms: 999)
        NDJSONDeliveryTests.drain(worker, stream.vault)
        #expect(try stream.vault.sinkCursor("memory").consentHeldNow == 10, "still inside the window")
        clock.advance(ms: 1)
        NDJSONDeliveryTests.drain(worker, stream.vault)
        let cursor = try stream.vault.sinkCursor("memory")
        #expect(cursor.consentHeldNow == 0 && cursor.consentSkipped == 10 && cursor.delivered == 0 && sink.delivered.isEmpty)
        let skips = try stream.vault.consentSkips("memory")
        #expect(skips.count == 10 && skips.allSatisfy {
            $0.reason.hasPrefix("the hold window ended; consent: vitals denied to cloud for TREAT") && !$0.reason.contains("MRN")
        })
        #expect(worker.metrics.consent == ["held": 10, "skipped": 10])
        // Consent arriving after the window changes nothing: skipped is for good.
        book.apply(ConsentStream.grant(ConsentStream.patientA, version: 1, to: [Self.recipient]))
        NDJSONDeliveryTests.drain(worker, stream.vault)
        #expect(sink.delivered.isEmpty)
    }

    @Test func theSkipPolicyPassesOverAtOnce() throws {
        let stream = try ConsentStream()
        let book = Self.treatmentBook()
        let stored = try stream.store(perPatient: 8)
        let sink = InMemorySink()
        // Research is not treatment: the default policy denies it.
        let worker = Self.worker(stream, sink, book: book, recorder: InMemoryDisclosureRecorder(), whenDenied: .skip,
                                 purpose: .research)
        NDJSONDeliveryTests.drain(worker, stream.vault)
        let cursor = try stream.vault.sinkCursor("memory")
        #expect(sink.delivered.isEmpty && cursor.consentSkipped == 16 && cursor.consentHeld == 0 && cursor.consentHeldNow == 0)
        #expect(try stream.vault.consentSkips("memory").map(\.recordID) == (stored.values.flatMap { $0 }).sorted())
        #expect(worker.metrics.consent == ["skipped": 16])
    }

    @Test func breakGlassIsDeliveredRecordedAndFlagged() throws {
        let stream = try ConsentStream()
        let book = ConsentBook(policy: ConsentPolicy(defaultProvision: ConsentProvision(type: .deny), breakGlassRecipients: ["er-team"]))
        book.apply(ConsentStream.revocation(ConsentStream.patientA, version: 1))
        let stored = try stream.store(perPatient: 4, alerts: true)
        let sink = InMemorySink()
        let recorder = InMemoryDisclosureRecorder()
        let worker = Self.worker(stream, sink, book: book, recorder: recorder, purpose: .emergencyTreatment, recipient: "er-team")
        NDJSONDeliveryTests.drain(worker, stream.vault)
        #expect(sink.delivered.count == stored.values.map(\.count).reduce(0, +))
        #expect(recorder.disclosures.count == 2 && recorder.disclosures.allSatisfy { $0.isBreakGlass && $0.purpose == .emergencyTreatment })
        #expect(worker.metrics.consent["break_glass"] == sink.delivered.count)
        // A recipient the policy does not name gets nothing by break-glass.
        let other = InMemorySink(name: "other")
        NDJSONDeliveryTests.drain(Self.worker(stream, other, book: book, recorder: recorder, whenDenied: .skip,
                                              purpose: .emergencyTreatment, recipient: "someone-else"), stream.vault)
        #expect(other.delivered.isEmpty)
    }

    @Test func holdsSurviveARestartAndGoOnceConsentArrives() throws {
        let stream = try ConsentStream()
        let stored = try stream.store(perPatient: 6)
        let first = Self.worker(stream, InMemorySink(), book: ConsentBook(policy: .denyAll), recorder: InMemoryDisclosureRecorder())
        NDJSONDeliveryTests.drain(first, stream.vault)
        #expect(try stream.vault.sinkCursor("memory").consentHeldNow == 12)
        // A new process: a new worker, a new book that permits, the same vault.
        let sink = InMemorySink()
        let recorder = InMemoryDisclosureRecorder()
        let vault = try Vault(path: stream.vaultPath, keys: stream.keys)
        NDJSONDeliveryTests.drain(Self.worker(stream, sink, book: Self.treatmentBook(), recorder: recorder), vault)
        #expect(sink.delivered == stored.values.flatMap { $0 }.sorted())
        #expect(try vault.sinkCursor("memory").consentHeldNow == 0 && recorder.disclosures.count == 2)
    }

    @Test func aDisclosureThatCannotBeRecordedKeepsTheCursor() throws {
        let stream = try ConsentStream()
        try stream.store(perPatient: 3)
        let sink = InMemorySink()
        let recorder = InMemoryDisclosureRecorder()
        recorder.fail(times: 1)
        let worker = Self.worker(stream, sink, book: Self.treatmentBook(), recorder: recorder)
        guard case .failed = worker.round(stream.vault) else { Issue.record("the round did not fail"); return }
        #expect(try stream.vault.sinkCursor("memory").lastID == 0 && worker.metrics.failures == ["disclosureNotRecorded": 1])
        NDJSONDeliveryTests.drain(worker, stream.vault)
        #expect(recorder.disclosures.map(\.count).reduce(0, +) == 6, "recorded once the records went again")
        #expect(try stream.vault.sinkCursor("memory").delivered == 6)
    }

    @Test func anErasedPatientsHeldRecordsAreSkippedWithTheReason() throws {
        let stream = try ConsentStream()
        try stream.store(perPatient: 3)
        let worker = Self.worker(stream, InMemorySink(), book: ConsentBook(policy: .denyAll), recorder: InMemoryDisclosureRecorder())
        NDJSONDeliveryTests.drain(worker, stream.vault)
        _ = try stream.vault.erasePatient(ConsentStream.patientA, by: "test", at: ConsentStream.wallNow())
        NDJSONDeliveryTests.drain(Self.worker(stream, InMemorySink(), book: Self.treatmentBook(), recorder: InMemoryDisclosureRecorder()),
                                  stream.vault)
        let cursor = try stream.vault.sinkCursor("memory")
        #expect(cursor.consentReleased == 3 && cursor.consentSkipped == 3 && cursor.consentHeldNow == 0)
        #expect(try stream.vault.consentSkips("memory").allSatisfy { $0.reason == "the patient was erased" })
    }
}
