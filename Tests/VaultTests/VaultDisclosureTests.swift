import Consent
import Foundation
import Sealing
import SQLite
import Telemetry
import Testing
@testable import Vault

/// Disclosures as the delivery workers record them: on their own connection and thread, sealed
/// by the agent's vault, provable like readings, audited, erased with the patient.
@Suite struct VaultDisclosureTests {
    let scratch: ScratchVault
    init() throws { scratch = try ScratchVault("disclosures") }

    static let deliveredAt: Int64 = 1_763_884_900_000

    static func disclosure(_ patient: String = "MRN-1", ids: [Int64], at: Int64 = deliveredAt,
                           basis: ConsentDecision.Basis = .patientConsent([ConsentVersion(recordID: "consent-7", version: 3)]),
                           channel: Disclosure.Channel = .sink("fhir")) -> Disclosure {
        Disclosure(patient: patient, recipient: "st-mary-icu", channel: channel,
                   purpose: basis == .breakGlass ? .emergencyTreatment : .treatment, basis: basis,
                   classes: [.vitals, .identity], recordRanges: Disclosure.ranges(of: ids), count: ids.count,
                   disclosedAt: at)
    }

    /// Records `disclosures` as a delivery worker does: a recorder with its own connection, on
    /// another thread. Returns the record ids.
    func recordOnAnotherThread(_ disclosures: [Disclosure]) throws -> [Int64] {
        let recorder = VaultDisclosureRecorder(path: scratch.path, keys: scratch.keys)
        let result = Locked<Result<[Int64], VaultError>?>(nil)
        let done = DispatchSemaphore(value: 0)
        let thread = Thread {
            result.set(Result { () throws(VaultError) in try recorder.recordDisclosures(disclosures) })
            done.signal()
        }
        thread.start()
        done.wait()
        return try #require(result.get()).get()
    }

    /// Flips the low bit of byte `index` of a blob column (`where` picks the row).
    private func flip(_ table: String, _ column: String, byte index: Int, where condition: String) throws {
        let db = try Connection(path: scratch.path)
        var blob = try #require(try db.query("SELECT \(column) FROM \(table) WHERE \(condition)").first?.first?.blobValue)
        blob[index] ^= 0x01
        try db.run("UPDATE \(table) SET \(column) = ? WHERE \(condition)", [.blob(blob)])
    }

    private func count(_ sql: String) throws -> Int64 {
        try Connection(path: scratch.path).query(sql).first?.first?.integerValue ?? -1
    }

    @Test func aDisclosureRecordedOnAnotherThreadIsSealedByTheAgentsNextTickProvableAndReadsBack() throws {
        defer { scratch.remove() }
        let agent = try scratch.openSealing(batchesOf: 100)
        try Sample.store(agent, seqs: 1...3)
        let original = Self.disclosure(ids: [1, 2, 3])
        let ids = try recordOnAnotherThread([original])
        #expect(ids == [4])
        #expect(try count("SELECT count(*) FROM batches") == 0)  // recorded, not sealed by the recorder

        // The agent's tick adopts it into the open batch; the batch closes by age with it.
        let now: Int64 = 1_763_884_801_500  // a second after the readings: their batch is still young
        #expect(try agent.sealingTick(now: now) == 0)
        #expect(try agent.sealingTick(now: now + 60_000) == 1)
        #expect(try count("SELECT last_id FROM batches") == 4)
        let trust = try agent.trustAnchors(gatewayID: "gw")
        let bundle = try agent.proofBundle(readingID: 4, gatewayID: "gw")
        let report = try BundleVerifier.verify(json: bundle.json, trust: trust)
        #expect(report.passed, "\(report.text)")
        // The bundle opens the disclosure's record, which reads back as what was recorded.
        let canonical = try #require(bundle.reading.canonical)
        #expect(try Disclosure(recordJSON: JSONParser().parse(canonical)) == original)
        #expect(try scratch.open().disclosure(recordID: 4) == original)

        // The agent's next reading takes the next id (no collision with the foreign record).
        try Sample.store(agent, seqs: 4...4)
        #expect(try count("SELECT max(id) FROM readings") == 5)
        #expect(try agent.audit(gatewayID: "gw").passed)
    }

    @Test func theAgentsNextStoreCountsForeignDisclosuresIntoABatchClosedByCount() throws {
        defer { scratch.remove() }
        let agent = try scratch.openSealing(batchesOf: 5)
        try Sample.store(agent, seqs: 1...2)
        _ = try recordOnAnotherThread([Self.disclosure(ids: [1]), Self.disclosure("MRN-2", ids: [2])])
        try Sample.store(agent, seqs: 3...3)  // 2 readings + 2 disclosures + 1 reading: full
        #expect(try count("SELECT last_id FROM batches") == 5)
        #expect(try count("SELECT count(*) FROM disclosures") == 2)
        // A disclosure's time is not a device time: the agent's dedupe floor stays where its readings put it.
        #expect(agent.storedDeviceTimeFloor < Self.deliveredAt)
    }

    @Test func listingIsPerPatientOldestFirstFlagsBreakGlassAndFiltersBySince() throws {
        defer { scratch.remove() }
        let agent = try scratch.openSealing(batchesOf: 100)
        try Sample.store(agent, seqs: 1...4)
        let later = Self.disclosure(ids: [3, 4], at: Self.deliveredAt + 5_000, basis: .breakGlass, channel: .export)
        let first = Self.disclosure(ids: [1, 2])
        _ = try recordOnAnotherThread([later, first, Self.disclosure("MRN-2", ids: [9])])
        try agent.sealAll(now: 1)
        let reader = try scratch.open()
        let entries = try reader.disclosures(patient: "MRN-1")
        #expect(entries.map(\.disclosure) == [first, later])
        #expect(entries.allSatisfy { $0.sealed && !$0.erased })
        #expect(entries.map { $0.disclosure?.isBreakGlass } == [false, true])
        #expect(try reader.disclosures(patient: "MRN-1", since: Self.deliveredAt + 1).map(\.disclosure) == [later])
        #expect(try reader.disclosures(patient: "MRN-2").count == 1)
        let unknown = #expect(throws: VaultError.self) { try reader.disclosures(patient: "MRN-404") }
        #expect(unknown?.code == .notFound)
        #expect(throws: VaultError.self) { try reader.requireDisclosureRecord(1) }  // a reading
        try reader.requireDisclosureRecord(entries[0].recordID)
    }

    @Test func erasureKeepsEveryProofVerifyingTheListingSaysErasedAndTheAuditPasses() throws {
        defer { scratch.remove() }
        let agent = try scratch.openSealing(batchesOf: 100)
        try Sample.store(agent, seqs: 1...3)
        let ids = try recordOnAnotherThread([Self.disclosure(ids: [1, 2, 3])])
        try agent.sealAll(now: 1)
        _ = try scratch.open().erasePatient("MRN-1", by: "dpo", at: 2)  // beside the agent, as the command does
        _ = try agent.refreshErasures()
        try agent.sealAll(now: 3)

        let reader = try scratch.open()
        let entries = try reader.disclosures(patient: "MRN-1")
        #expect(entries.count == 1 && entries[0].erased && entries[0].recordID == ids[0] && entries[0].sealed)
        #expect(entries[0].json["erased"] == .bool(true) && entries[0].json["recipient"] == nil)
        let bundle = try reader.proofBundle(readingID: ids[0], gatewayID: "gw")
        #expect(bundle.reading.erased && bundle.reading.canonical == nil)
        let report = BundleVerifier.verify(bundle, trust: try reader.trustAnchors(gatewayID: "gw"))
        #expect(report.passed, "\(report.text)")
        let audit = try reader.audit(gatewayID: "gw")
        #expect(audit.passed, "\(audit.findings)")
        #expect(audit.disclosuresChecked == 1)

        // Re-admitted later, the patient's new disclosures are recorded under a new row and key.
        _ = try recordOnAnotherThread([Self.disclosure(ids: [1], at: Self.deliveredAt + 9)])
        #expect(try scratch.open().disclosures(patient: "MRN-1").map(\.erased) == [true, false])
    }

    @Test func aFlippedByteIsNamedByTheAuditAndFailsTheVerifier() throws {
        defer { scratch.remove() }
        let agent = try scratch.openSealing(batchesOf: 100)
        try Sample.store(agent, seqs: 1...2)
        let ids = try recordOnAnotherThread([Self.disclosure(ids: [1]), Self.disclosure(ids: [2], at: Self.deliveredAt + 1)])
        try agent.sealAll(now: 1)
        #expect(try agent.audit(gatewayID: "gw").passed)

        // The verifier: one byte of the opened record changed fails the commitment step.
        let bundle = try agent.proofBundle(readingID: ids[0], gatewayID: "gw")
        var flipped = bundle
        flipped.reading.canonical![10] ^= 0x01
        let report = BundleVerifier.verify(flipped, trust: try agent.trustAnchors(gatewayID: "gw"))
        #expect(!report.passed && report.firstFailure?.name == .commitment, "\(report.text)")

        // The audit: a byte of the sealed record's ciphertext, the index row's time, its patient,
        // and a deleted index row, each named by table and row.
        let db = try Connection(path: scratch.path)
        try flip("readings", "ciphertext", byte: 20, where: "id = \(ids[0])")
        try db.execute("UPDATE disclosures SET at = at + 1 WHERE record_id = \(ids[1])")
        var findings = try scratch.open().audit(gatewayID: "gw").findings.map(\.description)
        #expect(findings.contains("readings \(ids[0]): ciphertext does not authenticate (altered or moved)"), "\(findings)")
        #expect(findings.contains("disclosures \(ids[1]): time differs from its sealed record's"), "\(findings)")
        try db.execute("UPDATE disclosures SET at = at - 1, patient_ref = patient_ref + 1 WHERE record_id = \(ids[1])")
        findings = try scratch.open().audit(gatewayID: "gw").findings.map(\.description)
        #expect(findings.contains("disclosures \(ids[1]): names another patient row than its sealed record"), "\(findings)")
        try db.execute("DELETE FROM disclosures WHERE record_id = \(ids[1])")
        findings = try scratch.open().audit(gatewayID: "gw").findings.map(\.description)
        #expect(findings.contains("disclosures \(ids[1]): sealed disclosure record has no row in the disclosure log"),
                "\(findings)")
    }

    /// The agent dies after a delivery worker recorded a disclosure and before its batch closed:
    /// the record is committed, and the next agent seals it at start (recovery).
    @Test func aDisclosureRecordedBeforeTheAgentDiesIsSealedByTheNextAgent() throws {
        defer { scratch.remove() }
        var agent: Vault? = try scratch.openSealing(batchesOf: 100)
        try Sample.store(agent!, seqs: 1...2)
        let ids = try recordOnAnotherThread([Self.disclosure(ids: [1, 2])])
        agent = nil  // killed: no tick, no sealAll
        #expect(try count("SELECT count(*) FROM batches") == 0)
        let next = try scratch.openSealing(batchesOf: 100)  // recovery seals what is unsealed
        #expect(try count("SELECT last_id FROM batches") == ids[0])
        #expect(BundleVerifier.verify(try next.proofBundle(readingID: ids[0], gatewayID: "gw"),
                                      trust: try next.trustAnchors(gatewayID: "gw")).passed)
    }

    /// A recording that fails part-way (here the index insert is refused) leaves nothing: no
    /// sealed record without its index row, ids not consumed, and the retry records it.
    @Test func aFailedRecordingLeavesNothingAndTheRetryRecords() throws {
        defer { scratch.remove() }
        let agent = try scratch.openSealing(batchesOf: 100)
        try Sample.store(agent, seqs: 1...2)
        let recorder = VaultDisclosureRecorder(path: scratch.path, keys: scratch.keys)
        let db = try Connection(path: scratch.path)
        try db.execute("CREATE TRIGGER refuse BEFORE INSERT ON disclosures BEGIN SELECT RAISE(ABORT, 'injected'); END;")
        #expect(throws: VaultError.self) { try recorder.record([Self.disclosure(ids: [1, 2])]) }
        #expect(try count("SELECT count(*) FROM readings") == 2)
        try db.execute("DROP TRIGGER refuse")
        #expect(try recorder.recordDisclosures([Self.disclosure(ids: [1, 2])]) == [3])
        try agent.sealAll(now: 1)
        #expect(try agent.audit(gatewayID: "gw").passed)
    }

    /// The delivery path's exactly-once form: the disclosure and the sink's cursor commit together,
    /// so a failure (or a crash) before the commit leaves the cursor where it was.
    @Test func theDisclosureAndTheSinksCursorCommitTogether() throws {
        defer { scratch.remove() }
        let agent = try scratch.openSealing(batchesOf: 100)
        try Sample.store(agent, seqs: 1...3)
        let worker = try scratch.open()  // a delivery worker's own connection
        try worker.registerSink("fhir", selection: .all)
        let db = try Connection(path: scratch.path)
        try db.execute("CREATE TRIGGER refuse BEFORE INSERT ON disclosures BEGIN SELECT RAISE(ABORT, 'injected'); END;")
        #expect(throws: VaultError.self) {
            try worker.advanceSinkCursor("fhir", to: 3, delivered: 3, deadLetters: [], at: 5,
                                         disclosures: [Self.disclosure(ids: [1, 2, 3])])
        }
        #expect(try worker.sinkCursor("fhir").lastID == 0)  // delivered again at the next attempt
        try db.execute("DROP TRIGGER refuse")
        let ids = try worker.advanceSinkCursor("fhir", to: 3, delivered: 3, deadLetters: [], at: 5,
                                               disclosures: [Self.disclosure(ids: [1, 2, 3])])
        #expect(ids == [4])
        #expect(try worker.sinkCursor("fhir").lastID == 3)
        try agent.sealAll(now: 6)
        #expect(try agent.disclosures(patient: "MRN-1").map(\.sealed) == [true])
    }

    @Test func retentionNeverPrunesDisclosureRecords() throws {
        defer { scratch.remove() }
        let agent = try scratch.openSealing(batchesOf: 100)
        try Sample.store(agent, seqs: 1...3)
        let ids = try recordOnAnotherThread([Self.disclosure(ids: [1, 2, 3], at: 1_763_884_800_600)])
        try agent.sealAll(now: 1)
        try scratch.anchorLatestCheckpoint(agent)
        let outcome = try agent.pruneStep(RetentionPolicy(keepDays: 0), now: .max / 2, limit: 100)
        #expect(outcome.pruned == 3)  // every reading went, the disclosure stayed
        #expect(try scratch.open().disclosure(recordID: ids[0]).count == 3)
        #expect(try agent.audit(gatewayID: "gw").passed)
    }

    @Test func theRecordsJSONRoundTripsEveryBasisAndChannel() throws {
        let bases: [ConsentDecision.Basis] = [
            .patientConsent([ConsentVersion(recordID: "a", version: 1), ConsentVersion(recordID: "b", version: 9)]),
            .defaultPolicy, .breakGlass,
        ]
        for basis in bases {
            for channel in [Disclosure.Channel.sink("mqtt"), .export] {
                let disclosure = Self.disclosure(ids: [1, 2, 5, 9, 10], basis: basis, channel: channel)
                #expect(try Disclosure(recordJSON: JSONParser().parse(disclosure.recordBytes)) == disclosure)
            }
        }
        let bad = try JSONParser().parse(Array(#"{"type":"disclosure","v":1,"purpose":"treat"}"#.utf8))
        #expect(throws: VaultError.self) { try Disclosure(recordJSON: bad) }
    }
}

/// A value shared with a thread, under a lock.
// @unchecked Sendable: every access to `value` holds `lock`.
final class Locked<Value>: @unchecked Sendable {
    private let lock = NSLock()
    private var value: Value
    init(_ value: Value) { self.value = value }
    func get() -> Value { lock.withLock { value } }
    func set(_ newValue: Value) { lock.withLock { value = newValue } }
}
