import Foundation
import LocalBroker
import MQTT
import Simulator
import Telemetry
import Testing
import Vault
import VitalGateTesting

/// The field faults of DEVICES.md, injected by the simulator and published through a real
/// broker: every message is accounted for (stored, recognised as a duplicate, quarantined with
/// a reason, or applied as a control message), and each fault shows up where it should.
@Suite struct FieldFaultTests {
    @Test func everyInjectedFaultIsAccountedForAndNothingIsDropped() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let keys = GatewayKeys.generate()
        let vaultPath = dir.appending("vault.sqlite").path
        var simulator = try TelemetrySimulator(config: SimulatorConfig(
            patients: 3, seed: 7, startTime: Int64(Date().timeIntervalSince1970 * 1000) - 300_000,
            faults: Set(FaultKind.allCases), faultRate: 0.05, cuffProIntervalSeconds: 30))
        let generated = simulator.messages(until: simulator.config.startTime + 240_000)
        let controls = generated.filter { $0.topic.hasSuffix("/info") || $0.topic.hasSuffix("/pair") }.count
        let injected = Set(generated.compactMap(\.fault))

        let broker = try LocalBroker()
        let agent = AgentHarness(broker: broker.address, vaultPath: vaultPath, keys: keys) {
            $0.messages >= generated.count
        }
        Thread.sleep(forTimeInterval: 0.3)
        let bridge = try MQTTTestClient.connect(broker.address, id: "bridge")
        try MQTTTestClient.publishAll(bridge, generated.map {
            MQTTOptions.Message(topic: $0.topic, payload: $0.payload, qos: 1, retain: false)
        })
        #expect(agent.wait(timeoutSeconds: 30), "agent processed \(agent.metrics.withLock { $0.messages }) of \(generated.count)")

        let stats = try Vault(path: vaultPath, keys: keys).stats()
        #expect(stats.messages == generated.count)
        #expect(stats.readings + stats.duplicates + stats.quarantined + controls == generated.count,
                "readings \(stats.readings) + duplicates \(stats.duplicates) + quarantined \(stats.quarantined) + controls \(controls)")
        let reasons = stats.quarantinedByReason
        let expectations: [(FaultKind, Bool)] = [
            (.duplicate, stats.duplicates > 0),
            (.corrupted, (reasons["invalid_utf8"] ?? 0) + (reasons["invalid_json"] ?? 0) > 0),
            (.truncated, (reasons["invalid_json"] ?? 0) > 0),
            (.implausible, (reasons["implausible_value"] ?? 0) > 0),
            (.unsynced, (reasons["timestamp_unsynced"] ?? 0) > 0),
            (.unknownFirmware, (reasons["unknown_firmware"] ?? 0) > 0),
            (.unknownDevice, (reasons["unknown_firmware"] ?? 0) > 0),
            (.waveformMismatch, (reasons["waveform_length_mismatch"] ?? 0) > 0),
            (.firmwareUpdate, (stats.eventsByType["firmware_changed"] ?? 0) > 0),
            (.deviceSwap, (stats.eventsByType["unpaired"] ?? 0) > 0),
        ]
        for (fault, seen) in expectations where injected.contains(fault) {
            #expect(seen, "\(fault.rawValue) was injected but left no trace: \(reasons) \(stats.eventsByType)")
        }
        #expect(injected.count >= 8, "the seed should exercise most fault kinds, got \(injected)")
    }
}
