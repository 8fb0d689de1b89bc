import Consent
import Detection
import Foundation
import Schemas
import Telemetry
import Vault
import VitalGateTesting

/// A vault fed as a ward would feed it, a few readings at a time, for consent tests: two
/// oximeters paired to two patients at two beds, readings stored with the arrival times a
/// test gives (so that some arrive before a revocation and some after).
final class ConsentStream {
    let dir: TemporaryDirectory
    let keys = GatewayKeys.generate()
    let vaultPath: String
    let vault: Vault
    private var decoder: MessageDecoder
    private var seq: [String: Int] = [:]
    /// The patients, their devices and beds.
    static let patients = [(mrn: "MRN-CONSENT-A", device: "OXP-00CA01", bed: "ICU-1"),
                           (mrn: "MRN-CONSENT-B", device: "OXP-00CA02", bed: "ICU-2")]
    static var patientA: String { patients[0].mrn }
    static var patientB: String { patients[1].mrn }

    init(at start: Int64 = ConsentStream.wallNow()) throws {
        dir = try TemporaryDirectory()
        vaultPath = dir.appending("vault.sqlite").path
        vault = try Vault(path: vaultPath, keys: keys)
        decoder = MessageDecoder(catalog: try SchemaCatalog.load(directory: DeliveryFixture.schemas))
        var batch: [IncomingMessage] = []
        for patient in Self.patients {
            batch.append(message("wban/v1/\(patient.device)/info", #"{"model":"OxiPatch","fw":"1.4.2","serial":"SN-\#(patient.device)"}"#, start))
            batch.append(message("wban/v1/\(patient.device)/pair", #"{"patient":"\#(patient.mrn)","bed":"\#(patient.bed)"}"#, start))
        }
        _ = try vault.store(batch, alerts: [])
    }

    static func wallNow() -> Int64 { Int64(Date().timeIntervalSince1970 * 1000) }

    private func message(_ topic: String, _ payload: String, _ at: Int64) -> IncomingMessage {
        IncomingMessage(topic: topic, payload: Array(payload.utf8), receivedAt: at,
                        outcome: decoder.decode(topic: topic, payload: Array(payload.utf8), receivedAt: at))
    }

    /// Stores `perPatient` readings of each patient received at `at` (a millisecond apart), and
    /// an alert per patient when `alerts`; returns the record ids stored per patient.
    @discardableResult
    func store(perPatient: Int, at: Int64 = ConsentStream.wallNow(), alerts: Bool = false) throws -> [String: [Int64]] {
        var batch: [IncomingMessage] = []
        var records: [AlertRecord] = []
        for patient in Self.patients {
            for i in 0..<perPatient {
                let n = seq[patient.device, default: 0] + 1
                seq[patient.device] = n
                let t = at + Int64(i)
                batch.append(message("wban/v1/\(patient.device)/vitals",
                                     #"{"seq":\#(n),"ts":\#(t),"spo2":97,"pr":71,"pi":2.0,"batt":80}"#, t))
            }
            if alerts {
                let alert = Alert(t: at, patient: patient.mrn, device: DeviceID(patient.device), category: .clinical,
                                  kind: "desaturation", score: 0.96, evidenceStart: at - 10_000, evidenceEnd: at)
                records.append(AlertRecord(at: alert.t, device: patient.device, patient: patient.mrn, category: "clinical",
                                           kind: alert.kind, score: alert.score, body: Array(alert.jsonLine.utf8)))
            }
        }
        let before = try vault.newestRecordID()
        _ = try vault.store(batch, alerts: records)
        return try recordsByPatient(after: before)
    }

    /// The deliverable records after `id`, by patient.
    func recordsByPatient(after id: Int64) throws -> [String: [Int64]] {
        let (entries, _) = try vault.outbox(after: id, limit: 100_000, onCorrupt: { _, _ in })
        return Dictionary(grouping: entries, by: { $0.patient ?? "-" }).mapValues { $0.map(\.id) }
    }

    /// A record of `patient` denying every class to everyone (version `version`).
    static func revocation(_ patient: String, version: UInt64) -> ConsentRecord {
        ConsentRecord(id: "consent-\(patient)", patient: patient, version: version, issuedAt: wallNow(),
                      provision: ConsentProvision(type: .deny), source: .document(keyID: "test"))
    }

    /// A record of `patient` permitting `classes` (every class when empty) to `recipients` for
    /// treatment (version `version`).
    static func grant(_ patient: String, version: UInt64, to recipients: Set<String>, classes: DataClasses = [],
                      purposes: Set<PurposeOfUse> = [.treatment]) -> ConsentRecord {
        ConsentRecord(id: "consent-\(patient)", patient: patient, version: version, issuedAt: wallNow(),
                      provision: ConsentProvision(type: .permit, actors: recipients, purposes: purposes, classes: classes),
                      source: .document(keyID: "test"))
    }
}
