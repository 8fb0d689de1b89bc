import Foundation
import Sealing
import SQLite
import Telemetry
import Testing
import Vault

/// Builds readings and messages for vault tests.
enum Sample {
    static let oxp = DeviceID("OXP-7F31A2")!

    static func reading(seq: UInt32, spo2: Double = 97, device: DeviceID = oxp, receivedAt: Int64 = 1_763_884_800_500)
        -> Reading {
        Reading(device: device, kind: .vitals, schemaID: "oxipatch-fw1", model: "OxiPatch", firmware: "1.4.2",
                seq: seq, deviceTime: 1_763_884_800_000 + Int64(seq) * 1000, receivedAt: receivedAt,
                measurements: [Measurement(channel: Channel.spo2, value: .number(spo2), unit: "%"),
                               Measurement(channel: Channel.pulseRate, value: .noSignal, unit: "/min")])
    }

    /// Stores readings `seqs` of patient MRN-1, one batch, arriving 1 ms apart.
    static func store(_ vault: Vault, seqs: ClosedRange<UInt32>) throws {
        _ = try vault.store(seqs.map {
            IncomingMessage(topic: "t", payload: [], receivedAt: 1_763_884_800_500 + Int64($0),
                            outcome: .reading(reading(seq: $0), patient: "MRN-1"))
        })
    }

    static func message(_ outcome: DecodeOutcome, payload: String = "{}") -> IncomingMessage {
        IncomingMessage(topic: "wban/v1/OXP-7F31A2/vitals", payload: Array(payload.utf8),
                        receivedAt: 1_763_884_800_500, outcome: outcome)
    }

    /// Reading `seq` of `patient` from `device`, as a message received at 1.
    static func incoming(_ seq: UInt32, patient: String = "MRN-1", device: DeviceID = oxp) -> IncomingMessage {
        IncomingMessage(topic: "t", payload: [], receivedAt: 1, outcome: .reading(reading(seq: seq, device: device), patient: patient))
    }
}

/// A vault file in a new temporary directory named `prefix-<uuid>`, and the keys that open it.
struct ScratchVault {
    let directory: URL
    let keys: GatewayKeys
    var path: String { directory.appendingPathComponent("vault.sqlite").path }

    init(_ prefix: String, keys: GatewayKeys = .generate()) throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("\(prefix)-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        self.keys = keys
    }

    /// Opens the vault (creating it on first use), as a new process would.
    func open(synchronous: Connection.SynchronousMode = .full) throws -> Vault {
        try Vault(path: path, keys: keys, synchronous: synchronous)
    }

    /// Opens the vault with sealing on: batches of `maxReadings` (or a minute), for `gatewayID`.
    func openSealing(batchesOf maxReadings: Int, gatewayID: String = "gw") throws -> Vault {
        let vault = try open()
        let policy = try BatchPolicy(maxReadings: maxReadings, maxAgeMilliseconds: 60_000)
        try vault.enableSealing(SealingConfiguration(gatewayID: gatewayID, policy: policy), now: 0)
        return vault
    }

    func remove() { try? FileManager.default.removeItem(at: directory) }
}

@Suite struct VaultStoreTests {
    let scratch: ScratchVault
    init() throws { scratch = try ScratchVault("vault") }

    private func exported(_ vault: Vault, _ filter: ExportFilter = ExportFilter()) throws -> [ExportedReading] {
        var out: [ExportedReading] = []
        try vault.export(filter, onError: { id, error in Issue.record("row \(id): \(error)") }) { out.append($0) }
        return out
    }

    /// A store that created a patient and rolled back leaves a cached AES-GCM context behind;
    /// the patient's next first reading gets the same row id with a new key, and must be
    /// sealed under that key, not the rolled-back one.
    @Test func aPatientRowReusedAfterARollbackIsSealedUnderItsNewKey() throws {
        let vault = try scratch.open()
        func messages(_ seqs: ClosedRange<UInt32>, _ patient: String) -> [IncomingMessage] {
            seqs.map { Sample.message(.reading(Sample.reading(seq: $0), patient: patient)) }
        }
        _ = try vault.store(messages(1...2, "MRN-1"))
        let db = try Connection(path: scratch.path)
        try db.execute("CREATE TRIGGER fail_store BEFORE INSERT ON counters BEGIN SELECT RAISE(ABORT, 'injected'); END;")
        #expect(throws: VaultError.self) { try vault.store(messages(3...4, "MRN-2")) }
        try db.execute("DROP TRIGGER fail_store")
        _ = try vault.store(messages(3...4, "MRN-2"))
        #expect(try db.query("SELECT id FROM patients ORDER BY id") == [[.integer(1)], [.integer(2)]])
        let rows = try exported(vault)
        #expect(rows.map(\.patient) == ["MRN-1", "MRN-1", "MRN-2", "MRN-2"])
    }

    @Test func readingsRoundTripEncryptedAndPatientIsPseudonymous() throws {
        let vault = try scratch.open()
        let r1 = Sample.reading(seq: 1)
        let r2 = Sample.reading(seq: 2, spo2: 93)
        let result = try vault.store([
            Sample.message(.control(Sample.oxp, .pair(patient: "MRN-00012345", bed: "ICU-3", at: nil))),
            Sample.message(.reading(r1, patient: "MRN-00012345")),
            Sample.message(.reading(r2, patient: "MRN-00012345")),
        ])
        #expect(result.stored == 2 && result.events == 1)
        let rows = try exported(vault)
        #expect(rows.map(\.reading) == [r1, r2])
        #expect(rows.allSatisfy { $0.patient == "MRN-00012345" })
        #expect(try exported(vault, ExportFilter(patient: "MRN-00099999")).isEmpty)
        #expect(try exported(vault, ExportFilter(from: r2.deviceTime)).map(\.reading) == [r2])
        try vault.walCheckpoint()
        // Neither the identifier nor the canonical content appears anywhere in the database file.
        let bytes = try Data(contentsOf: URL(fileURLWithPath: scratch.path))
        #expect(bytes.range(of: Data("MRN-00012345".utf8)) == nil)
        #expect(bytes.range(of: Data("spo2".utf8)) == nil)
    }

    @Test func duplicatesAreStoredOnceConflictsAreKeptAndFlagged() throws {
        let vault = try scratch.open()
        let original = Sample.reading(seq: 7)
        var redelivered = original
        redelivered.receivedAt += 3000  // same content, later arrival (bridge reconnect)
        let conflicting = Sample.reading(seq: 7, spo2: 85)
        let result = try vault.store([
            Sample.message(.reading(original, patient: nil)),
            Sample.message(.reading(redelivered, patient: nil)),
            Sample.message(.reading(conflicting, patient: nil)),
        ])
        #expect(result.stored == 2 && result.duplicates == 1 && result.conflicts == 1 && result.unpaired == 2)
        let stats = try vault.stats()
        #expect(stats.readings == 2 && stats.duplicates == 1 && stats.conflicts == 2 && stats.unpaired == 2)
        let rows = try exported(vault)
        #expect(rows.map(\.conflict) == [true, true] && rows.first?.duplicates == 1)
        #expect(rows.allSatisfy { $0.patient == nil })
    }

    @Test func quarantineKeepsReasonAndEncryptedPayload() throws {
        let vault = try scratch.open()
        let verdict = QuarantineVerdict(.implausibleValue, "spo2 outside plausible range")
        _ = try vault.store([Sample.message(.quarantined(device: Sample.oxp, kind: .vitals, verdict),
                                            payload: #"{"seq":1,"spo2":140,"note":"MRN-00012345"}"#)])
        let stats = try vault.stats()
        #expect(stats.quarantined == 1 && stats.quarantinedByReason == ["implausible_value": 1])
        try vault.walCheckpoint()
        let bytes = try Data(contentsOf: URL(fileURLWithPath: scratch.path))
        #expect(bytes.range(of: Data("MRN-00012345".utf8)) == nil)
    }

    @Test func pairingAndFirmwareChangesAreEventsAndSurviveReopen() throws {
        do {
            let vault = try scratch.open()
            let info = DeviceControl.info(model: "OxiPatch", firmware: "1.4.2", serial: "OXP-7F31A2")
            let result = try vault.store([
                Sample.message(.control(Sample.oxp, info)),
                Sample.message(.control(Sample.oxp, info)),  // retained redelivery: no event
                Sample.message(.control(Sample.oxp, .pair(patient: "MRN-1", bed: "ICU-1", at: nil))),
                Sample.message(.control(Sample.oxp, .pair(patient: "MRN-1", bed: "ICU-1", at: nil))),
                Sample.message(.control(Sample.oxp, .info(model: "OxiPatch", firmware: "2.0.3", serial: nil))),
                Sample.message(.control(Sample.oxp, .pair(patient: "MRN-2", bed: "ICU-2", at: nil))),
                Sample.message(.control(Sample.oxp, .pair(patient: nil, bed: nil, at: nil))),
            ])
            #expect(result.events == 6)
            #expect(try vault.stats().eventsByType == ["device_announced": 1, "firmware_changed": 1, "paired": 2,
                                                       "unpaired": 2])
            _ = try vault.store([Sample.message(.control(Sample.oxp, .pair(patient: "MRN-2", bed: "ICU-2", at: nil)))])
        }
        let reopened = try scratch.open()
        let states = try reopened.deviceStates()
        let state = try #require(states[Sample.oxp])
        #expect(states.count == 1 && state.firmware == "2.0.3" && state.patient == "MRN-2" && state.bed == "ICU-2")
    }

    @Test func tamperedOrMovedCiphertextIsReportedPerRowAndOthersStillExport() throws {
        let vault = try scratch.open()
        _ = try vault.store((1...3).map { Sample.message(.reading(Sample.reading(seq: $0), patient: "MRN-1")) })
        let raw = try Connection(path: scratch.path)
        // Flip one byte of row 2; copy row 3's (valid) ciphertext onto row 1.
        try raw.run("UPDATE readings SET ciphertext = substr(ciphertext, 1, 20) || CASE WHEN substr(ciphertext, 21, 1) = x'FF' THEN x'00' ELSE x'FF' END || substr(ciphertext, 22) WHERE id = 2")
        try raw.run("UPDATE readings SET ciphertext = (SELECT ciphertext FROM readings WHERE id = 3) WHERE id = 1")
        var failed: [Int64] = []
        var ok: [Int64] = []
        try vault.export(ExportFilter(), onError: { id, error in
            #expect(error.code == .corruptRow)
            failed.append(id)
        }) { ok.append($0.id) }
        #expect(failed == [1, 2] && ok == [3])
    }

    @Test func aBatchIsAllOrNothing() throws {
        let vault = try scratch.open()
        _ = try vault.store([Sample.message(.reading(Sample.reading(seq: 1), patient: "MRN-1"))])
        let raw = try Connection(path: scratch.path)
        try raw.execute("CREATE TRIGGER refuse BEFORE INSERT ON readings WHEN NEW.seq = 3 BEGIN SELECT RAISE(ABORT, 'no'); END")
        #expect(throws: VaultError.self) {
            _ = try vault.store([2, 3].map { Sample.message(.reading(Sample.reading(seq: $0), patient: "MRN-2")) })
        }
        try raw.execute("DROP TRIGGER refuse")
        #expect(try vault.stats().readings == 1 && vault.stats().patients == 1)
        _ = try vault.store([2, 3].map { Sample.message(.reading(Sample.reading(seq: $0), patient: "MRN-2")) })
        #expect(try exported(vault).map(\.reading.seq) == [1, 2, 3])
    }

    @Test func aDifferentKeyFileCannotOpenTheVault() throws {
        _ = try scratch.open()
        #expect(throws: VaultError.self) { _ = try Vault(path: scratch.path, keys: GatewayKeys.generate()) }
    }
}

@Suite struct FileKeyStoreTests {
    @Test func keyFileIsPrivateAndNotOverwritten() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("keys-\(UUID().uuidString)")
        let path = dir.appendingPathComponent("keys/gateway.keys").path
        let created = try FileKeyStore.initialize(path: path)
        let attributes = try FileManager.default.attributesOfItem(atPath: path)
        #expect((attributes[.posixPermissions] as? Int) == 0o600)
        #expect(throws: VaultError.self) { try FileKeyStore.initialize(path: path) }
        let loaded = try FileKeyStore.load(path: path)
        #expect(loaded.keyedDigest([1, 2, 3], domain: "t") == created.keyedDigest([1, 2, 3], domain: "t"))
        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: path)
        #expect(throws: VaultError.self) { _ = try FileKeyStore.load(path: path) }
    }
}

/// Issue 19 (measured): the store path's statements keep their plans whatever they are bound
/// to. A partial index whose condition a bound parameter is compared with (the dedupe lookup's
/// `kind = ?`) made SQLite re-prepare that statement at every change of the binding: 15 % of
/// the drain.
@Suite struct VaultStatementPlanTests {
    @Test func storingMixedKindsAndDuplicatesNeverRepreparesAStatement() throws {
        let scratch = try ScratchVault("vg-plans")
        let vault = try scratch.openSealing(batchesOf: 16, gatewayID: "gw-plans")
        let ecg = DeviceID("ECG-000001")!
        func waveform(_ seq: UInt32) -> Reading {
            Reading(device: ecg, kind: .waveform, schemaID: "ecg-fw1", model: "CardioStrip", firmware: "2.0.0", seq: seq,
                    deviceTime: 1_763_884_800_000 + Int64(seq) * 1000, receivedAt: 1_763_884_800_500,
                    measurements: [Measurement(channel: "ecg", value: .samples([1, -2, 3]), unit: "uV")])
        }
        var messages: [IncomingMessage] = []
        for seq in UInt32(1)...40 {
            messages.append(IncomingMessage(topic: "t", payload: [], receivedAt: 1, outcome: .reading(Sample.reading(seq: seq),
                                                                                                     patient: "MRN-1")))
            messages.append(IncomingMessage(topic: "t", payload: [], receivedAt: 1, outcome: .reading(waveform(seq), patient: "MRN-1")))
        }
        _ = try vault.store(messages, alerts: [AlertRecord(at: 1, device: "ECG-000001", patient: "MRN-1", category: "clinical",
                                                           kind: "arrhythmia", score: 0.9, body: Array(#"{"kind":"arrhythmia"}"#.utf8))])
        // (Statements prepared before the vault's schema was complete are re-prepared once.)
        let before = vault.statementReprepares
        let again = try vault.store(messages)  // every reading again: the identity lookup, kinds alternating
        #expect(again.duplicates == messages.count)
        #expect(vault.statementReprepares == before)
        // The alerts-only outbox finds the alert's record.
        let (alerts, _) = try vault.outbox(after: 0, limit: 10, selection: OutboxSelection.alerts) { _, _ in }
        #expect(alerts.count == 1)
        if case .alert(let line)? = alerts.first?.content { #expect(line["kind"]?.stringValue == "arrhythmia") }
        else { Issue.record("not an alert") }
    }
}
