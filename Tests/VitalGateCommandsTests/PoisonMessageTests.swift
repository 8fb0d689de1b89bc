import Cryptography
import Foundation
import LocalBroker
import MQTT
import SQLite
import Telemetry
import Testing
import Vault
import VitalGateTesting

/// Issue 17, defence in depth: a message that kills the agent while it is decoded must not
/// crash-loop the gateway. The real binary runs under a supervisor loop (as systemd's
/// `Restart=on-failure` would); a test-only hook of debug builds makes one message fatal.
@Suite struct PoisonMessageTests {
    static let marker = "FATAL-7F3A-TEST-ONLY"

    @Test func aFatalMessageIsQuarantinedAtTheSecondRestartAndEverythingElseIsStoredOnce() throws {
        let workspace = try AgentWorkspace(log: "agent.log")
        defer { if ProcessInfo.processInfo.environment["KEEP"] == nil { workspace.remove() } else { print(workspace.directory.path) } }
        let (data, log) = (workspace.data, workspace.log)
        let broker = try LocalBroker()
        let configFile = workspace.path("agent.conf")
        try AgentBinary.writeConfig(configFile, id: "poison-gw", dataDir: data, extra: "")
        let args = ["run", "--config", configFile, "--broker", "mqtt://127.0.0.1:\(broker.port)", "--data-dir", data,
                    "--gateway", "poison-gw", "--schemas", AgentBinary.schemas]
        let environment = ["VITALGATE_TEST_FATAL_PAYLOAD": Self.marker]

        // The agent's persistent session exists before the devices publish.
        let install = try AgentBinary.start(args, log: log, environment: environment)
        let watcher = try MQTTTestClient.connect(broker.address, id: "watcher")
        try watcher.subscribe("vitalgate/poison-gw/status", qos: 1)
        var online = false
        for _ in 0..<100 where !online {
            online = try MQTTTestClient.collect(watcher, count: 1, timeoutMs: 100).contains { $0.payload == Array("online".utf8) }
        }
        #expect(online, "agent never reported online")
        install.terminate(signal: SIGTERM)

        let t0 = Int64(Date().timeIntervalSince1970 * 1000) - 600_000
        func vitals(_ seq: Int, extra: String = "") -> MQTTOptions.Message {
            MQTTOptions.Message(topic: "wban/v1/OXP-7F31A2/vitals", payload: Array(
                #"{"seq":\#(seq),"ts":\#(t0 + Int64(seq) * 1000),"spo2":\#(90 + seq % 10),"pr":72,"pi":3.1,"batt":88\#(extra)}"#.utf8))
        }
        let poison = vitals(1000, extra: #","note":"\#(Self.marker)""#)
        let bridge = try MQTTTestClient.connect(broker.address, id: "bridge")
        try MQTTTestClient.publishAll(bridge, [
            MQTTOptions.Message(topic: "wban/v1/OXP-7F31A2/info",
                                payload: Array(#"{"model":"OxiPatch","fw":"1.4.2"}"#.utf8), retain: true),
            MQTTOptions.Message(topic: "wban/v1/OXP-7F31A2/pair",
                                payload: Array(#"{"patient":"MRN-00012345","bed":"ICU-3"}"#.utf8), retain: true),
        ] + (0..<20).map { vitals($0) } + [poison] + (20..<40).map { vitals($0) })

        // The supervisor: restart the agent whenever it dies, until it has stored everything.
        func quarantined(_ reason: String) -> Int {
            let count = try? Connection(path: AgentData.vault(data), readOnly: true)
                .query("SELECT count(*) FROM quarantine WHERE reason = ?", [.text(reason)]).first?.first?.integerValue
            return Int(count ?? 0)
        }
        func storedRows() -> Int {
            let count = try? Connection(path: AgentData.vault(data), readOnly: true)
                .query("SELECT count(*) FROM readings").first?.first?.integerValue
            return Int(count ?? 0)
        }
        var deaths = 0
        var survivor: ChildProcess?
        for _ in 0..<4 where survivor == nil {
            let agent = try AgentBinary.start(args, log: log, environment: environment)
            let started = Date()
            while agent.isRunning, Date().timeIntervalSince(started) < 30,
                  storedRows() < 40 || quarantined("poison") < 1 {
                usleep(50_000)
            }
            if agent.isRunning { survivor = agent } else { deaths += 1 }
        }
        let agent = try #require(survivor, "the agent died \(deaths) times and never recovered")
        #expect(deaths == 2, "recovered after \(deaths) deaths; the guard quarantines at the second restart")
        let status = agent.terminate(signal: SIGTERM)
        #expect(status & 0x7F == 0 && (status >> 8) & 0xFF == 0, "agent did not exit cleanly on SIGTERM")

        // Everything else stored exactly once; the poison message quarantined once, by digest.
        let vault = try Vault(path: AgentData.vault(data), keys: try FileKeyStore.load(path: AgentData.keys(data)))
        let seqs = try AgentData.storedSeqs(vault)
        #expect(seqs.sorted() == (0..<40).map(UInt32.init))
        #expect(try vault.stats().quarantinedByReason == ["poison": 1])
        let digest = SHA256.hash(poison.payload).hexString
        let detail = try Connection(path: AgentData.vault(data), readOnly: true)
            .query("SELECT detail, device, kind FROM quarantine WHERE reason = 'poison'").first
        #expect(detail?[0].textValue?.contains(digest) == true)
        #expect(detail?[1].textValue == "OXP-7F31A2")
        #expect(detail?[2].textValue == "vitals")

        // The log names the topic and the digest, never the payload.
        let text = try String(contentsOfFile: log, encoding: .utf8)
        #expect(text.contains(digest))
        #expect(text.contains("wban/v1/OXP-7F31A2/vitals"))
        #expect(!text.contains(Self.marker))
        #expect(!text.contains("MRN-00012345"))

        // A clean stop leaves nothing to blame: the next start quarantines nothing new.
        let again = try AgentBinary.start(args, log: log, environment: environment)
        usleep(1_000_000)
        #expect(again.isRunning)
        again.terminate(signal: SIGTERM)
        #expect(quarantined("poison") == 1)
    }
}
