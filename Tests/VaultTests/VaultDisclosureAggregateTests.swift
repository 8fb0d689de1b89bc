import Consent
import Foundation
import Sealing
import SQLite
import Telemetry
import Testing
@testable import Vault

/// Disclosures aggregated over a window (issue 21): a sink's deliveries of one patient are one
/// open aggregate, updated with the sink's cursor, sealed once the window ends; listed while
/// open; sealed before an erasure; audited.
@Suite struct VaultDisclosureAggregateTests {
    let scratch: ScratchVault
    init() throws { scratch = try ScratchVault("disclosure-aggregates") }

    static let t0 = VaultDisclosureTests.deliveredAt
    static let window: Int64 = 3_600_000

    private func count(_ sql: String) throws -> Int64 {
        try Connection(path: scratch.path).query(sql).first?.first?.integerValue ?? -1
    }

    /// A delivery worker's connection with its sink registered, beside the sealing agent holding
    /// readings 1-`readings` of MRN-1.
    private func setUp(readings: Int = 12) throws -> (agent: Vault, worker: Vault) {
        let agent = try scratch.openSealing(batchesOf: 1000)
        try Sample.store(agent, seqs: 1...UInt32(readings))
        let worker = try scratch.open()
        try worker.registerSink("fhir", selection: .all)
        return (agent, worker)
    }

    @Test func deliveriesWithinTheWindowAreOneRecordSealedWhenItEnds() throws {
        defer { scratch.remove() }
        let (agent, worker) = try setUp()
        // Six deliveries, two readings each, every 500 ms.
        for delivery in 0..<6 {
            let ids = [Int64(2 * delivery + 1), Int64(2 * delivery + 2)]
            let at = Self.t0 + Int64(delivery) * 500
            let sealed = try worker.advanceSinkCursor("fhir", to: ids[1], delivered: 2, deadLetters: [], at: at,
                                                      disclosures: [VaultDisclosureTests.disclosure(ids: ids, at: at)],
                                                      windowMs: Self.window)
            #expect(sealed.isEmpty)
        }
        #expect(try count("SELECT count(*) FROM disclosures") == 0)
        #expect(try count("SELECT count(*) FROM disclosure_aggregates") == 1)
        let open = try scratch.open().openDisclosures(patient: "MRN-1")
        #expect(open.count == 1 && open[0].sink == "fhir" && open[0].openedAt == Self.t0)
        #expect(open[0].disclosure.count == 12 && open[0].disclosure.recordRanges == [1...12] && open[0].disclosure.rangesExact)
        #expect(open[0].disclosure.firstDisclosedAt == Self.t0 && open[0].disclosure.disclosedAt == Self.t0 + 2_500)
        #expect(try worker.sinkCursor("fhir").lastID == 12)

        // Nothing is due before the window ends; then one record is sealed, and it proves.
        #expect(try worker.sealDueDisclosures(sink: "fhir", now: Self.t0 + Self.window - 1, windowMs: Self.window).isEmpty)
        let ids = try worker.sealDueDisclosures(sink: "fhir", now: Self.t0 + Self.window, windowMs: Self.window)
        #expect(ids == [13])
        #expect(try count("SELECT count(*) FROM disclosure_aggregates") == 0)
        #expect(try scratch.open().openDisclosures(patient: "MRN-1").isEmpty)
        try agent.sealAll(now: 1)
        let sealed = try #require(try agent.disclosures(patient: "MRN-1").first?.disclosure)
        #expect(sealed == open[0].disclosure)
        let report = BundleVerifier.verify(try agent.proofBundle(readingID: 13, gatewayID: "gw"),
                                           trust: try agent.trustAnchors(gatewayID: "gw"))
        #expect(report.passed, "\(report.text)")
        #expect(try agent.audit(gatewayID: "gw").passed)
    }

    @Test func aDeliveryAfterTheWindowSealsTheOldAggregateAndOpensTheNext() throws {
        defer { scratch.remove() }
        let (agent, worker) = try setUp(readings: 4)
        try worker.advanceSinkCursor("fhir", to: 2, delivered: 2, deadLetters: [], at: Self.t0,
                                     disclosures: [VaultDisclosureTests.disclosure(ids: [1, 2], at: Self.t0)], windowMs: Self.window)
        let later = Self.t0 + Self.window + 10
        let sealed = try worker.advanceSinkCursor("fhir", to: 4, delivered: 2, deadLetters: [], at: later,
                                                  disclosures: [VaultDisclosureTests.disclosure(ids: [3, 4], at: later)],
                                                  windowMs: Self.window)
        #expect(sealed.count == 1)
        try agent.sealAll(now: 1)
        #expect(try agent.disclosures(patient: "MRN-1").map { $0.disclosure?.recordRanges } == [[1...2]])
        #expect(try agent.openDisclosures(patient: "MRN-1").map(\.disclosure.recordRanges) == [[3...4]])
    }

    @Test func anotherBasisOrPatientIsAnotherAggregateAndClassesJoin() throws {
        defer { scratch.remove() }
        let (_, worker) = try setUp(readings: 6)
        var vitals = VaultDisclosureTests.disclosure(ids: [1], at: Self.t0)
        vitals.classes = [.vitals]
        var alerts = VaultDisclosureTests.disclosure(ids: [2], at: Self.t0 + 1)
        alerts.classes = [.alerts]
        let breakGlass = VaultDisclosureTests.disclosure(ids: [3], at: Self.t0 + 2, basis: .breakGlass)
        let other = VaultDisclosureTests.disclosure("MRN-2", ids: [4], at: Self.t0 + 3)
        try worker.advanceSinkCursor("fhir", to: 4, delivered: 4, deadLetters: [], at: Self.t0 + 3,
                                     disclosures: [vitals, alerts, breakGlass, other], windowMs: Self.window)
        let open = try scratch.open().openDisclosures(patient: "MRN-1")
        #expect(open.count == 2)
        #expect(open[0].disclosure.classes == [.vitals, .alerts] && open[0].disclosure.count == 2)
        #expect(open[1].disclosure.isBreakGlass && open[1].disclosure.count == 1)
        #expect(try scratch.open().openDisclosures(patient: "MRN-2").count == 1)
    }

    /// The aggregate and the cursor commit together: a failure before the commit (here the
    /// cursor's update is refused) leaves the aggregate as it was, and the retry counts once.
    @Test func theAggregateAndTheCursorCommitTogether() throws {
        defer { scratch.remove() }
        let (_, worker) = try setUp(readings: 4)
        try worker.advanceSinkCursor("fhir", to: 2, delivered: 2, deadLetters: [], at: Self.t0,
                                     disclosures: [VaultDisclosureTests.disclosure(ids: [1, 2], at: Self.t0)], windowMs: Self.window)
        let db = try Connection(path: scratch.path)
        try db.execute("CREATE TRIGGER refuse BEFORE UPDATE ON sink_cursors BEGIN SELECT RAISE(ABORT, 'injected'); END;")
        let second = VaultDisclosureTests.disclosure(ids: [3, 4], at: Self.t0 + 500)
        #expect(throws: VaultError.self) {
            try worker.advanceSinkCursor("fhir", to: 4, delivered: 2, deadLetters: [], at: Self.t0 + 500, disclosures: [second],
                                         windowMs: Self.window)
        }
        #expect(try worker.openDisclosures(patient: "MRN-1").map(\.disclosure.count) == [2])
        #expect(try worker.sinkCursor("fhir").lastID == 2)
        try db.execute("DROP TRIGGER refuse")
        try worker.advanceSinkCursor("fhir", to: 4, delivered: 2, deadLetters: [], at: Self.t0 + 500, disclosures: [second],
                                     windowMs: Self.window)
        #expect(try worker.openDisclosures(patient: "MRN-1").map(\.disclosure.count) == [4])
    }

    @Test func erasureSealsTheOpenAggregatesFirstAndTheirProofsStillVerify() throws {
        defer { scratch.remove() }
        let (agent, worker) = try setUp(readings: 3)
        try worker.advanceSinkCursor("fhir", to: 3, delivered: 3, deadLetters: [], at: Self.t0,
                                     disclosures: [VaultDisclosureTests.disclosure(ids: [1, 2, 3], at: Self.t0)],
                                     windowMs: Self.window)
        _ = try scratch.open().erasePatient("MRN-1", by: "dpo", at: Self.t0 + 1)
        #expect(try count("SELECT count(*) FROM disclosure_aggregates") == 0)
        _ = try agent.refreshErasures()
        try agent.sealAll(now: 3)
        let entries = try scratch.open().disclosures(patient: "MRN-1")
        #expect(entries.count == 1 && entries[0].erased && entries[0].sealed)
        let report = BundleVerifier.verify(try agent.proofBundle(readingID: entries[0].recordID, gatewayID: "gw"),
                                           trust: try agent.trustAnchors(gatewayID: "gw"))
        #expect(report.passed, "\(report.text)")
        #expect(try agent.audit(gatewayID: "gw").passed)
    }

    @Test func anAlteredAggregateIsNamedByTheAuditAndLeftWhileDeliveriesGoOn() throws {
        defer { scratch.remove() }
        let (agent, worker) = try setUp(readings: 4)
        try worker.advanceSinkCursor("fhir", to: 2, delivered: 2, deadLetters: [], at: Self.t0,
                                     disclosures: [VaultDisclosureTests.disclosure(ids: [1, 2], at: Self.t0)], windowMs: Self.window)
        #expect(try agent.audit(gatewayID: "gw").passed)
        let db = try Connection(path: scratch.path)
        let row = try #require(try db.query("SELECT id FROM disclosure_aggregates").first?.first?.integerValue)
        try db.execute("UPDATE disclosure_aggregates SET opened_at = opened_at - 1")  // moved in time
        let findings = try scratch.open().audit(gatewayID: "gw").findings.map(\.description)
        #expect(findings.contains("disclosure_aggregates \(row): does not authenticate (altered or moved)"), "\(findings)")
        // The next delivery opens a new aggregate; the altered row stays for the operator.
        try worker.advanceSinkCursor("fhir", to: 4, delivered: 2, deadLetters: [], at: Self.t0 + 500,
                                     disclosures: [VaultDisclosureTests.disclosure(ids: [3, 4], at: Self.t0 + 500)],
                                     windowMs: Self.window)
        #expect(try count("SELECT count(*) FROM disclosure_aggregates") == 2)
        #expect(try worker.sinkCursor("fhir").lastID == 4)
        #expect(throws: VaultError.self) { try scratch.open().openDisclosures(patient: "MRN-1") }
    }

    @Test func theAggregatesOfARemovedSinkAreSealedWhateverTheirAge() throws {
        defer { scratch.remove() }
        let (agent, worker) = try setUp(readings: 2)
        try worker.registerSink("old", selection: .all)
        try worker.advanceSinkCursor("old", to: 2, delivered: 2, deadLetters: [], at: Self.t0,
                                     disclosures: [VaultDisclosureTests.disclosure(ids: [1, 2], at: Self.t0)], windowMs: Self.window)
        #expect(try worker.sealDisclosures(ofSinksOtherThan: ["old"]).isEmpty)
        #expect(try worker.sealDisclosures(ofSinksOtherThan: ["fhir"]).count == 1)
        try agent.sealAll(now: 1)
        #expect(try agent.disclosures(patient: "MRN-1").map { $0.disclosure?.count } == [2])
    }

    /// Records of format 1 (before aggregation) still read, as exact single deliveries.
    @Test func aVersionOneRecordStillReads() throws {
        let json = try JSONParser().parse(Array("""
            {"basis":"default_policy","channel":"sink","classes":["vitals"],"count":2,"disclosed_at":5,\
            "patient":"MRN-1","purpose":"TREAT","ranges":[[1,2]],"recipient":"r","sink":"fhir","type":"disclosure","v":1}
            """.utf8))
        let disclosure = try Disclosure(recordJSON: json)
        #expect(disclosure.firstDisclosedAt == 5 && disclosure.rangesExact && disclosure.count == 2)
    }
}
