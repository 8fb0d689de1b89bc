import Cryptography
import Sealing
import Telemetry
import Transparency

/// Keys, a ledger with sealed readings and a checkpoint, and the matching trust anchors.
struct Fixture {
    static let gateway = "bedside-7"
    static let origin = "vitalgate.example/log/bedside-7"

    let identityKey = Ed25519.PrivateKey()
    let logKey = Ed25519.PrivateKey()
    let witnessKeys = [Ed25519.PrivateKey(), Ed25519.PrivateKey()]
    var ledger: InMemoryLedger
    let logSigner: NoteSigner
    let witnesses: [CosignatureSigner]

    /// Seals `count` readings under `policy`, shuts down, and publishes a cosigned checkpoint;
    /// with `count == 0`, leaves the ledger empty and running.
    init(count: Int = 10, policy: BatchPolicy? = nil, cosign: Bool = true) throws {
        logSigner = try NoteSigner(name: Self.origin, privateKey: logKey)
        witnesses = try witnessKeys.enumerated().map { try CosignatureSigner(name: "witness-\($0.offset)", privateKey: $0.element) }
        ledger = InMemoryLedger(gatewayID: Self.gateway, configVersion: "seal-v1;config=3",
                                policy: try policy ?? BatchPolicy(maxReadings: 4, maxAgeMilliseconds: 10_000),
                                identityKey: identityKey, logSigner: logSigner, origin: Self.origin)
        for index in 0..<count {
            try ledger.commit(canonical: Self.reading(index).canonicalBytes, receivedAt: 1_700_000_000_000 + Int64(index) * 250)
        }
        guard count > 0 else { return }
        try ledger.shutdown(at: 1_700_000_000_000 + Int64(count) * 250)
        try ledger.publishCheckpoint(witnesses: cosign ? witnesses : [], timestamp: 1_700_000_100)
    }

    /// Trust anchors pinning this fixture's keys.
    func trust(minimumCosignatures: Int = 2, gatewayKey: Ed25519.PublicKey? = nil, logKey: VerifierKey? = nil,
               origin: String = Fixture.origin, witnessKeys: [VerifierKey]? = nil) throws -> TrustAnchors {
        try TrustAnchors(gatewayKey: gatewayKey ?? identityKey.publicKey, gatewayID: Self.gateway, logOrigin: origin,
                         logKey: logKey ?? logSigner.verifierKey,
                         witnessKeys: witnessKeys ?? witnesses.map(\.verifierKey),
                         minimumCosignatures: minimumCosignatures)
    }

    /// A varied, deterministic reading: vitals with numbers, text, flags, series; every fourth a waveform.
    static func reading(_ index: Int) -> Reading {
        let device = DeviceID("oxi-\(index % 3)")!
        if index % 4 == 3 {
            return Reading(device: device, kind: .waveform, schemaID: "cardiostrip-fw2", model: "CardioStrip",
                           firmware: "2.1.0", seq: UInt32(index), deviceTime: 1_700_000_000_000 + Int64(index),
                           receivedAt: 0, measurements: [
                               Measurement(channel: "ecg", value: .samples((0..<16).map { Int16($0 * 37 - 300 + index) }),
                                           unit: "uV"),
                               Measurement(channel: "sampling_rate", value: .number(250), unit: "Hz"),
                           ])
        }
        return Reading(device: device, kind: .vitals, schemaID: "oxipatch-fw1", model: "OxiPatch", firmware: "1.4.2",
                       seq: UInt32(index), deviceTime: 1_700_000_000_000 + Int64(index), receivedAt: 0,
                       measurements: [
                           Measurement(channel: "spo2", value: .number(Double(90 + index % 10)), unit: "%", quality: 0.75),
                           Measurement(channel: "pulse_rate", value: index % 5 == 0 ? .noSignal : .number(72.5), unit: "/min"),
                           Measurement(channel: "lead_off", value: .flag(index % 2 == 0)),
                           Measurement(channel: "posture", value: .text("supine")),
                           Measurement(channel: "acceleration", value: .series([0.01, -0.2, 0.98]), unit: "[g]"),
                       ])
    }
}

extension Array where Element == UInt8 {
    /// A copy with byte `index` XORed with `mask`.
    func flipping(_ index: Int, mask: UInt8 = 0x01) -> [UInt8] {
        var copy = self
        copy[index] ^= mask
        return copy
    }
}
