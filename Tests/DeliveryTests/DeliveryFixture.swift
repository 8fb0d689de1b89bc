import Detection
import Foundation
import Schemas
import Simulator
import Telemetry
import Vault
import VitalGateTesting

/// A vault holding a realistic stream: the simulator's devices (every family, ECG included)
/// decoded through the shipped schemas, a reading without signal, and alerts.
struct DeliveryFixture {
    let dir: TemporaryDirectory
    let keys = GatewayKeys.generate()
    let vaultPath: String
    /// Readings stored (not counting alerts' records).
    var readings = 0
    var alerts = 0

    static let schemas = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Firmware-Schemas").path

    init(patients: Int = 2, seconds: Int64 = 90, seed: UInt64 = 7) throws {
        dir = try TemporaryDirectory()
        vaultPath = dir.appending("vault.sqlite").path
        let vault = try Vault(path: vaultPath, keys: keys)
        var decoder = MessageDecoder(catalog: try SchemaCatalog.load(directory: Self.schemas))
        let config = SimulatorConfig(patients: patients, seed: seed, cuffProIntervalSeconds: 20, thermaDotIntervalSeconds: 20)
        var simulator = try TelemetrySimulator(config: config)
        let messages = simulator.messages(until: config.startTime + seconds * 1000)
        var batch: [IncomingMessage] = []
        for message in messages {
            let outcome = decoder.decode(topic: message.topic, payload: message.payload, receivedAt: message.at)
            if case .reading = outcome { readings += 1 }
            batch.append(IncomingMessage(topic: message.topic, payload: message.payload, receivedAt: message.at,
                                         outcome: outcome))
        }
        // A reading without signal (OxiPatch 1.x sentinels) from a paired device with a serial
        // number, then one whose arrival raised a value check's alert (a spike).
        let last = messages.last?.at ?? config.startTime
        for (topic, payload, at) in [
            ("wban/v1/OXP-00AA01/info", #"{"model":"OxiPatch","fw":"1.4.2","serial":"SN-00AA01"}"#, last),
            ("wban/v1/OXP-00AA01/pair", #"{"patient":"MRN-NOSIG"}"#, last),
            ("wban/v1/OXP-00AA01/vitals", #"{"seq":1,"ts":\#(last),"spo2":127,"pr":255,"pi":0.0,"batt":80}"#, last),
            ("wban/v1/OXP-00AA01/vitals", #"{"seq":2,"ts":\#(last + 1000),"spo2":82,"pr":71,"pi":2.0,"batt":80}"#, last + 1000),
        ] {
            let outcome = decoder.decode(topic: topic, payload: Array(payload.utf8), receivedAt: at)
            if case .reading = outcome { readings += 1 }
            batch.append(IncomingMessage(topic: topic, payload: Array(payload.utf8), receivedAt: at, outcome: outcome))
        }
        let records = [
            Alert(t: last, patient: "MRN-NOSIG", device: DeviceID("OXP-00AA01"), category: .fault, kind: "probe_off",
                  score: 0.97, evidenceStart: last - 30_000, evidenceEnd: last),
            Alert(t: last + 1000, patient: "MRN-NOSIG", device: DeviceID("OXP-00AA01"), category: .fault, kind: "spike_spo2",
                  score: 0.93, evidenceStart: last + 1000, evidenceEnd: last + 1000),
        ].map { alert in
            AlertRecord(at: alert.t, device: alert.device?.rawValue, patient: alert.patient, category: alert.category.rawValue,
                        kind: alert.kind, score: alert.score, body: Array(alert.jsonLine.utf8))
        }
        alerts = records.count
        for start in stride(from: 0, to: batch.count, by: 200) {
            _ = try vault.store(Array(batch[start..<min(start + 200, batch.count)]),
                                alerts: start + 200 >= batch.count ? records : [])
        }
    }
}
