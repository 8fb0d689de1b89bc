import FoundationEssentials
import Telemetry
public import SQLite
public import Vault

/// What the benchmarks share: a sealed vault of synthetic OxiPatch readings in a scratch
/// directory (removed when the fixture is released).
public final class BenchFixture {
    public let vault: Vault
    public let gatewayID = "bench"
    private let directory: URL

    /// A vault sealed over `readings` readings (one device, one patient, a reading a second),
    /// filled in transactions of up to 1,000 without syncing (what is measured is not the fill).
    public init(readings: Int, synchronous: Connection.SynchronousMode = .normal) throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("vitalgate-bench-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        vault = try Vault(path: directory.appendingPathComponent("vault.sqlite").path, keys: GatewayKeys.generate(),
                          synchronous: synchronous)
        try vault.enableSealing(SealingConfiguration(gatewayID: gatewayID), now: 0)
        var seq = 0
        while seq < readings {
            let batch = (seq..<min(seq + 1000, readings)).map(Self.message)
            _ = try vault.store(batch)
            seq += batch.count
        }
        try vault.sealAll(now: 1)
    }

    deinit {
        try? FileManager.default.removeItem(at: directory)
    }

    /// Reading `seq` of the synthetic stream, as the pipeline hands it to the vault.
    static func message(_ seq: Int) -> IncomingMessage {
        let time = 1_763_884_800_000 + Int64(seq) * 1000
        let reading = Reading(device: DeviceID("OXP-BENCH01")!, kind: .vitals, schemaID: "oxipatch-fw1", model: "OxiPatch",
                              firmware: "1.4.2", seq: UInt32(seq), deviceTime: time, receivedAt: time,
                              measurements: [Measurement(channel: Channel.spo2, value: .number(Double(90 + seq % 10)), unit: "%")])
        return IncomingMessage(topic: "t", payload: [], receivedAt: time, outcome: .reading(reading, patient: "MRN-BENCH"))
    }
}
