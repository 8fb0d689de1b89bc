import Dispatch
import Foundation
import LocalBroker
import MQTT
import Synchronization
import Sealing
import SQLite
import Telemetry
import Testing
import Vault
import VitalGateTesting

/// Acknowledged means stored: the agent is killed with SIGKILL at random moments while a
/// bridge publishes at QoS 1; after a final restart every message the broker accepted is in
/// the vault exactly once.
@Suite struct CrashRecoveryTests {
    @Test func sigkillAtRandomMomentsLosesAndDuplicatesNothing() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let data = dir.appending("data").path
        let log = dir.appending("agent.log").path
        #expect(try AgentBinary.run(["keys", "init", "--data-dir", data], log: log).code == 0)
        let broker = try LocalBroker()
        let agentArgs = ["run", "--broker", "mqtt://127.0.0.1:\(broker.port)", "--data-dir", data,
                         "--gateway", "crash-gw", "--schemas", AgentBinary.schemas, "--no-detection"]
        // The agent is installed and subscribed before devices start publishing: run it once
        // until its retained `online` status appears (its persistent session now exists).
        let firstRun = try AgentBinary.start(agentArgs, log: log)
        let watcher = try MQTTTestClient.connect(broker.address, id: "watcher")
        try watcher.subscribe("vitalgate/crash-gw/status", qos: 1)
        var online = false
        for _ in 0..<100 where !online {
            online = try MQTTTestClient.collect(watcher, count: 1, timeoutMs: 100)
                .contains { $0.payload == Array("online".utf8) }
        }
        #expect(online, "agent never reported online")
        firstRun.terminate(signal: SIGKILL)

        let total = 3000
        let published = Atomic<Int>(0)
        let publisherDone = DispatchSemaphore(value: 0)
        let brokerAddress = broker.address
        // The bridge: device info and pairing, then `total` readings in chunks, each chunk
        // acknowledged by the broker before the next.
        Thread {
            defer { publisherDone.signal() }
            do {
                let bridge = try MQTTTestClient.connect(brokerAddress, id: "bridge")
                try MQTTTestClient.publishAll(bridge, [
                    MQTTOptions.Message(topic: "wban/v1/OXP-7F31A2/info",
                                        payload: Array(#"{"model":"OxiPatch","fw":"1.4.2"}"#.utf8), retain: true),
                    MQTTOptions.Message(topic: "wban/v1/OXP-7F31A2/pair",
                                        payload: Array(#"{"patient":"MRN-00012345","bed":"ICU-3"}"#.utf8), retain: true),
                ])
                let t0 = Int64(Date().timeIntervalSince1970 * 1000) - 600_000
                for chunk in stride(from: 0, to: total, by: 100) {
                    let messages = (chunk..<min(chunk + 100, total)).map { seq in
                        MQTTOptions.Message(topic: "wban/v1/OXP-7F31A2/vitals", payload: Array(
                            #"{"seq":\#(seq),"ts":\#(t0 + Int64(seq) * 100),"spo2":\#(90 + seq % 10),"pr":72,"pi":3.1,"batt":88}"#.utf8))
                    }
                    try MQTTTestClient.publishAll(bridge, messages)
                    published.store(chunk + messages.count, ordering: .relaxed)
                    Thread.sleep(forTimeInterval: 0.25)  // ~8 s of traffic: many kills land mid-stream
                }
            } catch {
                Issue.record("bridge failed: \(error)")
            }
        }.start()

        var rng = SplitMix64(seed: UInt64(Date().timeIntervalSince1970))
        var kills = 0
        while publisherDone.wait(timeout: .now()) == .timedOut || kills < 5 {
            let agent = try AgentBinary.start(agentArgs, log: log)
            Thread.sleep(forTimeInterval: 0.15 + Double(rng.next() % 600) / 1000)
            agent.terminate(signal: SIGKILL)
            kills += 1
            if kills > 60 { break }
        }
        #expect(published.load(ordering: .relaxed) == total, "the bridge did not finish")

        // Final run: let the agent drain what the broker queued, then stop it cleanly.
        let agent = try AgentBinary.start(agentArgs, log: log)
        var stored = 0
        for _ in 0..<200 {
            Thread.sleep(forTimeInterval: 0.1)
            stored = (try? Vault(path: AgentData.vault(data), keys: try FileKeyStore.load(path: AgentData.keys(data)))
                .stats().readings) ?? stored
            if stored >= total { break }
        }
        let status = agent.terminate(signal: SIGTERM)
        #expect(status & 0x7F == 0 && (status >> 8) & 0xFF == 0, "agent did not exit cleanly on SIGTERM")

        let vault = try Vault(path: AgentData.vault(data), keys: try FileKeyStore.load(path: AgentData.keys(data)))
        var seqs: [UInt32] = []
        try vault.export(ExportFilter(), onError: { id, error in Issue.record("row \(id): \(error)") }) {
            seqs.append($0.reading.seq)
        }
        let stats = try vault.stats()
        #expect(kills >= 8)
        #expect(seqs.count == total, "stored \(seqs.count) of \(total) after \(kills) kills")
        let missing = Set((0..<total).map(UInt32.init)).subtracting(seqs).sorted()
        #expect(missing.isEmpty, "\(missing.count) missing, first \(missing.prefix(5)), last \(missing.suffix(5))")
        #expect(stats.conflicts == 0)
        // Sealing survived the kills too: a clean stop leaves nothing unsealed (batches a kill
        // left open were sealed at the next start), and sampled readings prove offline.
        let unsealed = try Connection(path: AgentData.vault(data))
            .query("SELECT count(*) FROM readings WHERE id > coalesce((SELECT max(last_id) FROM batches), 0)").first?.first?.integerValue
        #expect(unsealed == 0)
        let trust = try vault.trustAnchors(gatewayID: "crash-gw")
        for id in stride(from: Int64(1), through: Int64(total), by: 97) {
            let report = BundleVerifier.verify(try vault.proofBundle(readingID: id, gatewayID: "crash-gw"), trust: trust)
            #expect(report.passed, "reading \(id): \(report.text)")
        }
        // Redeliveries of messages stored just before a kill are recognised, not stored twice.
        print("crash test: \(kills) SIGKILLs, \(total) published, \(seqs.count) stored once, "
              + "\(stats.duplicates) redeliveries recognised as duplicates")
    }
}

enum AgentData {
    static func vault(_ dir: String) -> String { dir + "/vault.sqlite" }
    static func keys(_ dir: String) -> String { dir + "/keys/gateway.keys" }
}

