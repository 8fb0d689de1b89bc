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
    /// A gateway's key file, its funded ledger address and the anchor contract it deployed.
    struct Setup {
        let data: String
        let endpoint: String
        let contract: EthereumAddress
    }

    static func setUp(_ peer: EVMPeer, _ dir: TemporaryDirectory) throws -> Setup {
        let data = dir.appending("data").path
        #expect(try AgentBinary.run(["keys", "init", "--data-dir", data], log: dir.appending("log.txt").path).code == 0)
        let shown = try AgentBinary.run(["keys", "show", "--ledger-address", "--data-dir", data], log: dir.appending("addr.txt").path)
        try peer.fund(try EthereumAddress(hex: shown.output.trimmingCharacters(in: .whitespacesAndNewlines)))
        let endpoint = "http://127.0.0.1:\(peer.port)"
        let deployed = try AgentBinary.run(["ledger", "deploy", "--data-dir", data, "--endpoint", endpoint,
                                            "--chain-id", "\(peer.chainID)"], log: dir.appending("deploy.txt").path)
        #expect(deployed.code == 0, "\(deployed.output)")
        return Setup(data: data, endpoint: endpoint,
                     contract: try EthereumAddress(hex: deployed.output.trimmingCharacters(in: .whitespacesAndNewlines)))
    }

    static func publishReadings(_ broker: LocalBroker, count: Int = 10) throws {
        let bridge = try MQTTTestClient.connect(broker.address, id: "bridge-\(UInt32.random(in: 0...UInt32.max))")
        try MQTTTestClient.publishAll(bridge, SampleTelemetry.oxiPatch(0..<count))
    }

    /// Mines a block every 0.3 s until `stats` reports at least `size` anchored; returns the last stats line.
    static func mineUntilAnchored(_ peer: EVMPeer, data: String, size: Double, dir: TemporaryDirectory) throws -> JSONValue? {
        let deadline = Date().addingTimeInterval(30)
        var last: JSONValue?
        while Date() < deadline {
            try peer.mine()
            Thread.sleep(forTimeInterval: 0.3)
            let stats = try AgentBinary.run(["stats", "--json", "--data-dir", data], log: dir.appending("stats.txt").path)
            last = try? JSONParser().parse(String(stats.output.split(separator: "\n").last ?? ""))  // the log accumulates runs
            if (last?["anchoring"]?["anchored"]?.numberValue ?? 0) >= size { break }
        }
        return last
    }

    @Test func theAgentAnchorsOnAChainAndAnAuditorVerifiesTheBundle() throws {
        let peer = try EVMPeer()
        defer { peer.stop() }
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let setup = try Self.setUp(peer, dir)
        let (data, endpoint, contract) = (setup.data, setup.endpoint, setup.contract)
        let log = dir.appending("log.txt").path
        let config = dir.appending("agent.conf").path
        try AgentBinary.writeConfig(config, id: "evm-gw", dataDir: data, extra: """
                [sealing]
                batch_max_readings = 5
                [ledger]
                backend = "evm"
                poll_seconds = 0.2
                endpoint = "\(endpoint)"
                chain_id = \(peer.chainID)
                contract = "\(contract.checksummed)"
                confirmations = 2
                """)

        let broker = try LocalBroker()
        let agent = try AgentBinary.start(["run", "--config", config, "--broker", broker.address.description],
                                          log: dir.appending("agent.txt").path)
        Thread.sleep(forTimeInterval: 0.5)
        try Self.publishReadings(broker)
        // The chain moves on (blocks for the confirmations) until the agent reports an anchor.
        let stats = try Self.mineUntilAnchored(peer, data: data, size: 2, dir: dir)
        agent.terminate(signal: SIGTERM)
        #expect(agent.exitCode == 0)
        #expect((stats?["anchoring"]?["anchored"]?.numberValue ?? 0) >= 2,
                "agent: \((try? String(contentsOfFile: dir.appending("agent.txt").path, encoding: .utf8))?.suffix(3000) ?? "")")

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

    /// Issue 4 meets issue 7: a signed fleet document moves a running gateway from the embedded
    /// log to the chain; later checkpoints are anchored there.
    @Test func aFleetDocumentMovesARunningGatewayToTheChain() throws {
        let peer = try EVMPeer()
        defer { peer.stop() }
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let setup = try Self.setUp(peer, dir)
        let log = dir.appending("log.txt").path
        let keys = dir.appending("ops").path
        #expect(try AgentBinary.run(["fleet", "keygen", "--name", "alice", "--out", keys], log: log).code == 0)
        let alice = try JSONParser().parse(try Data(contentsOf: URL(fileURLWithPath: keys + "/alice.pub.json")))
        try JSONWriter.canonicalString(.object([("keys", .array([.object([("name", alice["name"]!), ("public_key", alice["public_key"]!)])]))]))
            .write(toFile: dir.appending("operators.json").path, atomically: true, encoding: .utf8)
        let config = dir.appending("agent.conf").path
        try AgentBinary.writeConfig(config, id: "fleet-evm-gw", dataDir: setup.data, extra: """
                [sealing]
                batch_max_readings = 5
                [ledger]
                poll_seconds = 0.2
                [fleet]
                enabled = true
                operators_file = "\(dir.appending("operators.json").path)"
                """)
        let broker = try LocalBroker()
        let agent = try AgentBinary.start(["run", "--config", config, "--broker", broker.address.description],
                                          log: dir.appending("agent.txt").path)
        Thread.sleep(forTimeInterval: 0.5)
        try Self.publishReadings(broker)
        let local = try Self.mineUntilAnchored(peer, data: setup.data, size: 2, dir: dir)
        #expect((local?["anchoring"]?["anchored"]?.numberValue ?? 0) >= 2, "the local backend anchors first")

        let now = Int(Date().timeIntervalSince1970 * 1000)
        try """
            {"format": 1, "target": {"gateway": "fleet-evm-gw"}, "version": 1, "not_before": \(now - 60_000),
             "expires": \(now + 3_600_000),
             "ledger": {"backend": "evm", "endpoint": "\(setup.endpoint)", "chain_id": \(peer.chainID),
                        "contract": "\(setup.contract.checksummed)", "confirmations": 2}}
            """.write(toFile: dir.appending("doc.json").path, atomically: true, encoding: .utf8)
        let envelope = dir.appending("doc.signed.json").path
        #expect(try AgentBinary.run(["fleet", "sign", dir.appending("doc.json").path, "--key", keys + "/alice.key",
                                     "--out", envelope], log: log).code == 0)
        #expect(try AgentBinary.run(["fleet", "push", envelope, "--broker", broker.address.description,
                                     "--gateway", "fleet-evm-gw"], log: log).code == 0)
        Thread.sleep(forTimeInterval: 0.5)
        // More readings: two more batches, anchored on the chain this time.
        let bridge = try MQTTTestClient.connect(broker.address, id: "bridge-late")
        let ts = Int64(Date().timeIntervalSince1970 * 1000) - 30_000
        try MQTTTestClient.publishAll(bridge, (100..<110).map { seq in
            MQTTOptions.Message(topic: "wban/v1/OXP-7F31A2/vitals",
                                payload: Array(#"{"seq":\#(seq),"ts":\#(ts + Int64(seq) * 10),"spo2":96,"pr":71}"#.utf8))
        })
        let onChain = try Self.mineUntilAnchored(peer, data: setup.data, size: 4, dir: dir)
        agent.terminate(signal: SIGTERM)
        #expect(agent.exitCode == 0)
        #expect((onChain?["anchoring"]?["anchored"]?.numberValue ?? 0) >= 4,
                "agent: \((try? String(contentsOfFile: dir.appending("agent.txt").path, encoding: .utf8))?.suffix(3000) ?? "")")
        let status = try AgentBinary.run(["fleet", "status", "--broker", broker.address.description, "--json", "--wait-ms", "300"],
                                         log: dir.appending("status.txt").path)
        #expect(status.output.contains("\"status\":\"applied\""), "\(status.output)")
        // The reading in the last batches is proven through an evm anchor.
        let bundle = dir.appending("bundle.json").path
        #expect(try AgentBinary.run(["prove", "14", "--out", bundle, "--config", config], log: log).code == 0)
        let text = try String(contentsOfFile: bundle, encoding: .utf8)
        #expect(text.contains("evm-receipt-log"), "\(text.prefix(400))")
    }

    /// A ledger node that is down does not slow ingest: every reading is stored and sealed, the
    /// agent stops cleanly, and `stats` says why anchoring lags.
    @Test func aDeadNodeNeverBlocksIngest() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let data = dir.appending("data").path
        #expect(try AgentBinary.run(["keys", "init", "--data-dir", data], log: dir.appending("log.txt").path).code == 0)
        let deadPort = try LocalBroker.freeLoopbackPort()
        let config = dir.appending("agent.conf").path
        try AgentBinary.writeConfig(config, id: "dead-node-gw", dataDir: data, extra: """
                [sealing]
                batch_max_readings = 5
                [ledger]
                backend = "evm"
                poll_seconds = 0.2
                endpoint = "http://127.0.0.1:\(deadPort)"
                chain_id = 1337
                contract = "0x\(String(repeating: "11", count: 20))"
                confirmations = 2
                """)
        let broker = try LocalBroker()
        let agent = try AgentBinary.start(["run", "--config", config, "--broker", broker.address.description],
                                          log: dir.appending("agent.txt").path)
        Thread.sleep(forTimeInterval: 0.5)
        try Self.publishReadings(broker, count: 20)
        Thread.sleep(forTimeInterval: 1.5)
        let stopping = Date()
        agent.terminate(signal: SIGTERM)
        #expect(agent.exitCode == 0 && Date().timeIntervalSince(stopping) < 10)
        let stats = try AgentBinary.run(["stats", "--json", "--data-dir", data], log: dir.appending("stats.txt").path)
        let json = try JSONParser().parse(String(stats.output.split(separator: "\n").last ?? ""))
        #expect(json["readings"]?.numberValue == 20)
        let anchoring = json["anchoring"]
        #expect(anchoring?["latest_checkpoint"]?.numberValue == 4 && anchoring?["anchored"]?.numberValue == 0)
        #expect(anchoring?["last_failure"]?["reason"]?.stringValue?.contains("unavailable") == true, "\(stats.output)")
    }
}
