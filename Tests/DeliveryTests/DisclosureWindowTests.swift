import Consent
import Delivery
import Foundation
import Testing
import Vault
import VitalGateTesting

/// The agent's accounting (issue 21): a worker whose consent accounts in the vault seals one
/// disclosure per patient per window, however often it delivers, with exact counts.
@Suite struct DisclosureWindowTests {
    @Test func aSinkDeliveringEverySecondSealsOneDisclosurePerPatientPerWindow() throws {
        let stream = try ConsentStream()
        let clock = ManualClock(wallMs: ConsentStream.wallNow())
        let sink = InMemorySink()
        let consent = SinkConsent(book: ConsentEnforcementTests.treatmentBook(), recipient: ConsentEnforcementTests.recipient,
                                  disclosureWindowMs: 60_000)
        let worker = DeliveryWorker(configuration: .init(vaultPath: stream.vaultPath, keys: stream.keys, batchLimit: 50,
                                                         backoff: ReconnectBackoffDefaults.test),
                                    sink: sink, consent: consent, clock: clock)
        // 30 deliveries a second apart, 3 readings of each patient each: within one window.
        for _ in 0..<30 {
            try stream.store(perPatient: 3, at: clock.wallMs())
            NDJSONDeliveryTests.drain(worker, stream.vault)
            clock.advance(ms: 1000)
        }
        #expect(sink.delivered.count == 180)
        #expect(try stream.vault.disclosures(patient: ConsentStream.patientA).isEmpty)
        let open = try stream.vault.openDisclosures(patient: ConsentStream.patientA)
        #expect(open.map(\.disclosure.count) == [90])
        // The window ends: the next round seals both patients' aggregates, one record each.
        clock.advance(ms: 60_000)
        _ = worker.round(stream.vault)
        for patient in [ConsentStream.patientA, ConsentStream.patientB] {
            let sealed = try stream.vault.disclosures(patient: patient).compactMap(\.disclosure)
            #expect(sealed.map(\.count) == [90], "\(patient)")
            #expect(sealed.first?.recipient == ConsentEnforcementTests.recipient && sealed.first?.channel == .sink("memory"))
            #expect(try stream.vault.openDisclosures(patient: patient).isEmpty)
        }
        // Deliveries after it open the next window.
        try stream.store(perPatient: 2, at: clock.wallMs())
        NDJSONDeliveryTests.drain(worker, stream.vault)
        #expect(try stream.vault.openDisclosures(patient: ConsentStream.patientB).map(\.disclosure.count) == [2])
    }

    /// Released holds are accounted in the same way, in the transaction that settles them.
    @Test func releasedHoldsJoinThePatientsWindowWithTheirBasis() throws {
        let stream = try ConsentStream()
        let book = ConsentEnforcementTests.treatmentBook()
        book.apply(ConsentStream.revocation(ConsentStream.patientA, version: 1))
        let stored = try stream.store(perPatient: 10)
        let worker = DeliveryWorker(configuration: .init(vaultPath: stream.vaultPath, keys: stream.keys, batchLimit: 50,
                                                         backoff: ReconnectBackoffDefaults.test),
                                    sink: InMemorySink(),
                                    consent: SinkConsent(book: book, recipient: ConsentEnforcementTests.recipient, disclosureWindowMs: 60_000))
        NDJSONDeliveryTests.drain(worker, stream.vault)
        #expect(try stream.vault.openDisclosures(patient: ConsentStream.patientA).isEmpty)  // held, not disclosed
        book.apply(ConsentStream.grant(ConsentStream.patientA, version: 2, to: [ConsentEnforcementTests.recipient]))
        NDJSONDeliveryTests.drain(worker, stream.vault)
        let open = try stream.vault.openDisclosures(patient: ConsentStream.patientA)
        #expect(open.map(\.disclosure.count) == [try #require(stored[ConsentStream.patientA]).count])
        #expect(open.first?.disclosure.basis
                == .patientConsent([ConsentVersion(recordID: "consent-\(ConsentStream.patientA)", version: 2)]))
        #expect(try stream.vault.sinkCursor("memory").consentReleased == 10)
    }
}
