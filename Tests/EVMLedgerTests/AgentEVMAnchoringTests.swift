import EVMLedger
import EVMLightClient
import Foundation
import LocalBroker
import MQTT
import Telemetry
import Testing
import VitalGateTesting

/// The agent binary with `backend = "evm"` against the py-evm peer: the gateway's derived
/// ledger key is funded, `ledger deploy` creates the contract, `run` anchors checkpoints while
/// ingesting, and `prove` / `verify --trusted-block` check the anchor offline.
@Suite(.serialized) struct AgentEVMAnchoringTests {
    @Test func theAgentAnchorsOnAChainAndAnAuditorVerifiesTheBundle() throws {
        let peer = try EVMPeer()
        defer { peer.stop() }
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let data = dir.appending("data").path
        let log = dir.appending("log.txt").path
        #expect(try AgentBinary.run(["keys", "init", "--data-dir", data], log: log).code == 0)
        let shown = try AgentBinary.run(["keys", "show", "--ledger-address", "--data-dir", data], log: dir.appending("addr.txt").path)
        let address = try EthereumAddress(hex: shown.output.trimmingCharacters(in: .whitespacesAndNewlines))
        try peer.fund(address)
        let endpoint = "http://127.0.0.1:\(peer.port)"
        let deployed = try AgentBinary.run(["ledger", "deploy", "--data-dir", data, "--endpoint", endpoint,
                                            "--chain-id", "\(peer.chainID)"], log: dir.appending("deploy.txt").path)
        #expect(deployed.code == 0, "\(deployed.output)")
        let contract = try EthereumAddress(hex: deployed.output.trimmingCharacters(in: .whitespacesAndNewlines))
        let config = dir.appending("agent.conf").path
        try """
            [gateway]
            id = "evm-gw"
            data_dir = "\(data)"
            [schemas]
            directory = "\(AgentBinary.schemas)"
            [sealing]
            batch_max_readings = 5
            [ledger]
            backend = "evm"
            poll_seconds = 0.2
            endpoint = "\(endpoint)"
            chain_id = \(peer.chainID)
            contract = "\(contract.checksummed)"
            confirmations = 2
            """.write(toFile: config, atomically: true, encoding: .utf8)

        let broker = try LocalBroker()
        let agent = try AgentBinary.start(["run", "--config", config, "--broker", broker.address.description],
                                          log: dir.appending("agent.txt").path)
        let bridge = try MQTTTestClient.connect(broker.address, id: "bridge")
        Thread.sleep(forTimeInterval: 0.5)
        let ts = Int64(Date().timeIntervalSince1970 * 1000) - 60_000
        try MQTTTestClient.publishAll(bridge, [
            MQTTOptions.Message(topic: "wban/v1/OXP-7F31A2/info", payload: Array(#"{"model":"OxiPatch","fw":"1.4.2"}"#.utf8)),
            MQTTOptions.Message(topic: "wban/v1/OXP-7F31A2/pair", payload: Array(#"{"patient":"MRN-7"}"#.utf8)),
        ] + (0..<10).map { seq in
            MQTTOptions.Message(topic: "wban/v1/OXP-7F31A2/vitals",
                                payload: Array(#"{"seq":\#(seq),"ts":\#(ts + Int64(seq) * 1000),"spo2":97,"pr":70}"#.utf8))
        })
        // The chain moves on (blocks for the confirmations) until the agent reports an anchor.
        var anchored = 0.0
        var lastStats = ""
        let deadline = Date().addingTimeInterval(30)
        while anchored < 2 && Date() < deadline {
            try peer.mine()
            Thread.sleep(forTimeInterval: 0.3)
            let stats = try AgentBinary.run(["stats", "--json", "--data-dir", data], log: dir.appending("stats.txt").path)
            lastStats = String(stats.output.split(separator: "\n").last ?? "")  // the log file accumulates runs
            anchored = (try? JSONParser().parse(lastStats))?["anchoring"]?["anchored"]?.numberValue ?? 0
        }
        agent.terminate(signal: SIGTERM)
        #expect(agent.exitCode == 0)
        #expect(anchored >= 2, "stats: \(lastStats.prefix(2000)) agent: \((try? String(contentsOfFile: dir.appending("agent.txt").path, encoding: .utf8))?.suffix(3000) ?? "")")

        let args = ["--config", config]
        let bundle = dir.appending("bundle.json").path
        let trust = dir.appending("trust.json").path
        #expect(try AgentBinary.run(["prove", "2", "--out", bundle] + args, log: log).code == 0)
        #expect(try AgentBinary.run(["keys", "trust", "--out", trust] + args, log: log).code == 0)
        let entry = try #require(try JSONParser(maxBytes: 1 << 22, maxDepth: 16)
            .parse(try Data(contentsOf: URL(fileURLWithPath: bundle)))["anchors"]?.arrayValue?.first)
        #expect(entry["type"]?.stringValue == "evm-receipt-log")
        let body = try EVMAnchorEvidence(body: JSONWriter.canonicalBytes(try #require(entry["body"])))
        guard case .confirmations(let headers) = body.finality else { Issue.record("expected confirmations"); return }

        // The auditor's independent knowledge: the canonical hash of the evidence's last confirmation.
        let pinned = "0x" + (try peer.blockHash(body.blockNumber + UInt64(headers.count))).map { String(format: "%02x", $0) }.joined()
        let good = try AgentBinary.run(["verify", bundle, "--trust", trust, "--trusted-block", pinned],
                                       log: dir.appending("v1.txt").path)
        #expect(good.code == 0 && good.output.contains("PASS  anchors"), "\(good.output)")
        let unpinned = try AgentBinary.run(["verify", bundle, "--trust", trust], log: dir.appending("v2.txt").path)
        #expect(unpinned.code == 1 && unpinned.output.contains("FAIL  anchors") && unpinned.output.contains("trusted block"),
                "\(unpinned.output)")
        let wrong = try AgentBinary.run(["verify", bundle, "--trust", trust, "--trusted-block", "0x" + String(repeating: "ab", count: 32)],
                                        log: dir.appending("v3.txt").path)
        #expect(wrong.code == 1 && wrong.output.contains("finality"), "\(wrong.output)")
    }
}
