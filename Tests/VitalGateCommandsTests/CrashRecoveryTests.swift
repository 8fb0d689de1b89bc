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
    /// A key file, a broker, and the agent's persistent session: the agent is installed and
    /// subscribed before devices publish, so it runs once until its retained `online` appears.
    /// Starts the agent once (to create its session) and kills it; `config` is extra config text.
    private func installAgent(_ workspace: AgentWorkspace, config: String = "") throws
        -> (broker: LocalBroker, data: String, log: String, args: [String]) {
        let (data, log) = (workspace.data, workspace.log)
        let broker = try LocalBroker()
        let configFile = workspace.path("agent.conf")
        try AgentBinary.writeConfig(configFile, id: "crash-gw", dataDir: data, extra: config)
        let agentArgs = ["run", "--config", configFile, "--broker", "mqtt://127.0.0.1:\(broker.port)", "--data-dir", data,
                         "--gateway", "crash-gw", "--schemas", AgentBinary.schemas, "--no-detection"]
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
        return (broker, data, log, agentArgs)
    }

    private static let setup = [
        MQTTOptions.Message(topic: "wban/v1/OXP-7F31A2/info",
                            payload: Array(#"{"model":"OxiPatch","fw":"1.4.2"}"#.utf8), retain: true),
        MQTTOptions.Message(topic: "wban/v1/OXP-7F31A2/pair",
                            payload: Array(#"{"patient":"MRN-00012345","bed":"ICU-3"}"#.utf8), retain: true),
    ]

    private static func vitals(_ seqs: Range<Int>, from t0: Int64) -> [MQTTOptions.Message] {
        seqs.map { seq in
            MQTTOptions.Message(topic: "wban/v1/OXP-7F31A2/vitals", payload: Array(
                #"{"seq":\#(seq),"ts":\#(t0 + Int64(seq) * 100),"spo2":\#(90 + seq % 10),"pr":72,"pi":3.1,"batt":88}"#.utf8))
        }
    }

    /// Starts the agent until it has stored `total` readings, stops it with SIGTERM, and
    /// returns the stored sequence numbers.
    private func finalRun(_ args: [String], data: String, log: String, total: Int) throws -> (seqs: [UInt32], stats: VaultStats) {
        let agent = try AgentBinary.start(args, log: log)
        var stored = 0
        for _ in 0..<300 {
            Thread.sleep(forTimeInterval: 0.1)
            stored = (try? Vault(path: AgentData.vault(data), keys: try FileKeyStore.load(path: AgentData.keys(data)))
                .stats().readings) ?? stored
            if stored >= total { break }
        }
        let status = agent.terminate(signal: SIGTERM)
        #expect(status & 0x7F == 0 && (status >> 8) & 0xFF == 0, "agent did not exit cleanly on SIGTERM")
        let vault = try Vault(path: AgentData.vault(data), keys: try FileKeyStore.load(path: AgentData.keys(data)))
        let seqs = try AgentData.storedSeqs(vault)
        let missing = Set((0..<total).map(UInt32.init)).subtracting(seqs).sorted()
        #expect(seqs.count == total, "stored \(seqs.count) of \(total)")
        #expect(missing.isEmpty, "\(missing.count) missing, first \(missing.prefix(5)), last \(missing.suffix(5))")
        return (seqs, try vault.stats())
    }

    @Test func sigkillAtRandomMomentsLosesAndDuplicatesNothing() throws {
        let workspace = try AgentWorkspace(log: "agent.log")
        defer { workspace.remove() }
        let (broker, data, log, agentArgs) = try installAgent(workspace)

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
                try MQTTTestClient.publishAll(bridge, Self.setup)
                let t0 = Int64(Date().timeIntervalSince1970 * 1000) - 600_000
                for chunk in stride(from: 0, to: total, by: 100) {
                    let messages = Self.vitals(chunk..<min(chunk + 100, total), from: t0)
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
        let (seqs, stats) = try finalRun(agentArgs, data: data, log: log, total: total)
        let vault = try Vault(path: AgentData.vault(data), keys: try FileKeyStore.load(path: AgentData.keys(data)))
        #expect(kills >= 8)
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

    /// The same promise while the agent drains a backlog: there, many batches are committed
    /// (on the store thread) but not yet acknowledged when the kill lands.
    @Test func sigkillWhileDrainingABacklogLosesAndDuplicatesNothing() throws {
        let workspace = try AgentWorkspace(log: "agent.log")
        defer { workspace.remove() }
        // A window of 1,000 (not the default 10,000), so that the backlog spans several.
        let (broker, data, log, agentArgs) = try installAgent(workspace, config: "[mqtt]\nmax_inflight = 1000")
        let total = 12_000
        let bridge = try MQTTTestClient.connect(broker.address, id: "bridge")
        try MQTTTestClient.publishAll(bridge, Self.setup + Self.vitals(0..<total,
                                                                       from: Int64(Date().timeIntervalSince1970 * 1000) - 3_600_000))
        func storedRows() -> Int {
            let count = try? Connection(path: AgentData.vault(data), readOnly: true)
                .query("SELECT count(*) FROM readings").first?.first?.integerValue
            return Int(count ?? 0)
        }
        var rng = SplitMix64(seed: UInt64(Date().timeIntervalSince1970))
        var killedMidDrain = 0
        var stored = 0
        for _ in 0..<6 where stored < total {
            // Kill at a random moment after this run has committed something.
            let agent = try AgentBinary.start(agentArgs, log: log)
            let started = Date()
            while storedRows() <= stored && Date().timeIntervalSince(started) < 20 { usleep(10_000) }
            usleep(UInt32(rng.next() % 200_000))
            agent.terminate(signal: SIGKILL)
            stored = storedRows()
            if stored < total { killedMidDrain += 1 }
        }
        #expect(killedMidDrain >= 2, "fewer than two kills landed while the backlog was being drained")
        let (seqs, stats) = try finalRun(agentArgs, data: data, log: log, total: total)
        #expect(stats.conflicts == 0)
        // Acknowledgements flowed during the drain: a kill brings back at most the messages
        // received since the last one (max_inflight 1000, plus one batch of 256 read past it),
        // not everything stored in that run.
        #expect(stats.duplicates <= killedMidDrain * 1256, "\(stats.duplicates) redeliveries after \(killedMidDrain) kills")
        print("backlog crash test: \(killedMidDrain) kills mid-drain, \(total) queued, \(seqs.count) stored once, "
              + "\(stats.duplicates) redeliveries recognised as duplicates")
    }
}

enum AgentData {
    static func vault(_ dir: String) -> String { dir + "/vault.sqlite" }
    static func keys(_ dir: String) -> String { dir + "/keys/gateway.keys" }

    /// The sequence numbers of every stored reading, in row order (a row that cannot be read is an issue).
    static func storedSeqs(_ vault: Vault) throws -> [UInt32] {
        var seqs: [UInt32] = []
        try vault.export(ExportFilter(), onError: { id, error in Issue.record("row \(id): \(error)") }) {
            seqs.append($0.reading.seq)
        }
        return seqs
    }
}

