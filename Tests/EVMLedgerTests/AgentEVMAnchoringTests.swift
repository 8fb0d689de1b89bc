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
    /// A py-evm peer, and a gateway's workspace whose derived ledger address the peer funded and
    /// that deployed the anchor contract.
    struct Setup {
        let peer: EVMPeer
        let workspace: AgentWorkspace
        let endpoint: String
        let contract: EthereumAddress
        var data: String { workspace.data }

        func remove() {
            peer.stop()
            workspace.remove()
        }
    }

    /// With `pki` the peer serves HTTPS and requires a client certificate from it.
    static func setUp(pki: TestPKI? = nil) throws -> Setup {
        let peer = try EVMPeer(pki: pki)  // stopped when released
        let workspace = try AgentWorkspace()
        do {
            let (endpoint, contract) = try deployContract(peer, workspace)
            return Setup(peer: peer, workspace: workspace, endpoint: endpoint, contract: contract)
        } catch {
            workspace.remove()
            throw error
        }
    }

    /// Funds the gateway's ledger address and deploys the anchor contract with `ledger deploy`
    /// (over HTTPS with the TLS files of `[ledger]` when the peer serves TLS).
    static func deployContract(_ peer: EVMPeer, _ workspace: AgentWorkspace) throws -> (endpoint: String, contract: EthereumAddress) {
        let data = workspace.data
        let shown = try AgentBinary.run(["keys", "show", "--ledger-address", "--data-dir", data], log: workspace.path("addr.txt"))
        try peer.fund(try EthereumAddress(hex: shown.output.trimmingCharacters(in: .whitespacesAndNewlines)))
        let endpoint = peer.endpoint.url
        let config = workspace.path("deploy.conf")
        try AgentBinary.writeConfig(config, id: "evm-deployer", dataDir: data, extra: "[ledger]\n" + tlsFiles(peer.pki))
        let deployed = try AgentBinary.run(["ledger", "deploy", "--config", config, "--endpoint", endpoint,
                                            "--chain-id", "\(peer.chainID)"], log: workspace.path("deploy.txt"))
        #expect(deployed.code == 0, "\(deployed.output)")
        return (endpoint, try EthereumAddress(hex: deployed.output.trimmingCharacters(in: .whitespacesAndNewlines)))
    }

    /// The ledger section anchoring on the chain at `endpoint` (batches of five, polled every 0.2 s),
    /// with the TLS files of `pki`'s CA and client certificate.
    /// `trust` is what backs the confirmations (one peer here: single-node unless a test names a witness).
    static func evmLedger(endpoint: String, chainID: UInt64, contract: String, pki: TestPKI? = nil,
                          trust: String = "trust = \"single-node\"") -> String {
        """
        [sealing]
        batch_max_readings = 5
        [ledger]
        backend = "evm"
        poll_seconds = 0.2
        endpoint = "\(endpoint)"
        chain_id = \(chainID)
        contract = "\(contract)"
        confirmations = 2
        \(trust)
        \(tlsFiles(pki))
        """
    }

    /// `[ledger]`'s TLS settings for `pki` (none without one).
    static func tlsFiles(_ pki: TestPKI?) -> String {
        guard let pki else { return "" }
        return """
            endpoint_ca_file = "\(pki.ca)"
            endpoint_cert_file = "\(pki.clientCert)"
            endpoint_key_file = "\(pki.clientKey)"

            """
    }

    /// The last lines of the agent's output, for failure messages.
    /// `prove 2` and `keys trust` from `/` with `args`: the bundle's and the trust file's paths,
    /// and the bundle's first anchor entry.
    static func proveReadingTwo(_ args: [String], workspace: AgentWorkspace, log: String) throws
        -> (bundle: String, trust: String, entry: JSONValue) {
        let bundle = workspace.path("bundle.json")
        let trust = workspace.path("trust.json")
        #expect(try AgentBinary.run(["prove", "2", "--out", bundle] + args, log: log).code == 0)
        #expect(try AgentBinary.run(["keys", "trust", "--out", trust] + args, log: log).code == 0)
        let entry = try #require(try JSONParser(maxBytes: 1 << 22, maxDepth: 16)
            .parse(try Data(contentsOf: URL(fileURLWithPath: bundle)))["anchors"]?.arrayValue?.first)
        return (bundle, trust, entry)
    }

    static func agentOutput(_ workspace: AgentWorkspace) -> String {
        "agent: " + ((try? String(contentsOfFile: workspace.path("agent.txt"), encoding: .utf8))?.suffix(3000) ?? "")
    }

    /// Mines a block every 0.3 s until `stats` reports at least `size` anchored; returns the last stats line.
    static func mineUntilAnchored(_ peer: EVMPeer, data: String, size: Double, workspace: AgentWorkspace) throws -> JSONValue? {
        let deadline = Date().addingTimeInterval(30)
        var last: JSONValue?
        while Date() < deadline {
            try peer.mine()
            Thread.sleep(forTimeInterval: 0.3)
            let stats = try AgentBinary.run(["stats", "--json", "--data-dir", data], log: workspace.path("stats.txt"))
            last = try? JSONParser().parse(String(stats.output.split(separator: "\n").last ?? ""))  // the log accumulates runs
            if (last?["anchoring"]?["anchored"]?.numberValue ?? 0) >= size { break }
        }
        return last
    }

    @Test func theAgentAnchorsOnAChainAndAnAuditorVerifiesTheBundle() throws {
        let setup = try Self.setUp()
        defer { setup.remove() }
        let (peer, workspace, data, log) = (setup.peer, setup.workspace, setup.data, setup.workspace.log)
        let config = workspace.path("agent.conf")
        // Confirmations backed by a witness: the same peer under another URL here (one py-evm chain
        // exists; FinalityTrustTests has witnesses that disagree).
        let witness = setup.endpoint.replacingOccurrences(of: "127.0.0.1", with: "localhost")
        #expect(witness != setup.endpoint)
        try AgentBinary.writeConfig(config, id: "evm-gw", dataDir: data,
                                    extra: Self.evmLedger(endpoint: setup.endpoint, chainID: peer.chainID,
                                                          contract: setup.contract.checksummed,
                                                          trust: "witnesses = [\"\(witness)\"]"))

        let broker = try LocalBroker()
        let (agent, _) = try workspace.startAgent(["--config", config], broker: broker, publishing: 0..<10, log: workspace.path("agent.txt"))
        // The chain moves on (blocks for the confirmations) until the agent reports an anchor.
        let stats = try Self.mineUntilAnchored(peer, data: data, size: 2, workspace: workspace)
        agent.terminate(signal: SIGTERM)
        #expect(agent.exitCode == 0)
        #expect((stats?["anchoring"]?["anchored"]?.numberValue ?? 0) >= 2, "\(Self.agentOutput(workspace))")

        let args = ["--config", config]
        let (bundle, trust, entry) = try Self.proveReadingTwo(args, workspace: workspace, log: log)
        #expect(entry["type"]?.stringValue == "evm-receipt-log")
        let body = try EVMAnchorEvidence(body: JSONWriter.canonicalBytes(try #require(entry["body"])))
        guard case .confirmations(let headers) = body.finality else { Issue.record("expected confirmations"); return }

        // The auditor's independent knowledge: the canonical hash of the evidence's last confirmation.
        let pinned = "0x" + (try peer.blockHash(body.blockNumber + UInt64(headers.count))).map { String(format: "%02x", $0) }.joined()
        let good = try AgentBinary.run(["verify", bundle, "--trust", trust, "--trusted-block", pinned],
                                       log: workspace.path("v1.txt"))
        #expect(good.code == 0 && good.output.contains("PASS  anchors"), "\(good.output)")
        let unpinned = try AgentBinary.run(["verify", bundle, "--trust", trust], log: workspace.path("v2.txt"))
        #expect(unpinned.code == 1 && unpinned.output.contains("FAIL  anchors") && unpinned.output.contains("trusted block"),
                "\(unpinned.output)")
        let wrong = try AgentBinary.run(["verify", bundle, "--trust", trust, "--trusted-block", "0x" + String(repeating: "ab", count: 32)],
                                        log: workspace.path("v3.txt"))
        #expect(wrong.code == 1 && wrong.output.contains("finality"), "\(wrong.output)")
    }

    /// `endpoint = "https://…"` with a CA bundle and a client certificate in `[ledger]`: `ledger
    /// deploy` and `run` reach a node that requires mutual TLS, and checkpoints are anchored.
    @Test func theAgentAnchorsOverMutualTLS() throws {
        let setup = try Self.setUp(pki: try TestPKI())
        defer { setup.remove() }
        let (peer, workspace) = (setup.peer, setup.workspace)
        #expect(setup.endpoint.hasPrefix("https://"))
        let config = workspace.path("agent.conf")
        try AgentBinary.writeConfig(config, id: "evm-tls-gw", dataDir: setup.data,
                                    extra: Self.evmLedger(endpoint: setup.endpoint, chainID: peer.chainID,
                                                          contract: setup.contract.checksummed, pki: peer.pki))
        let broker = try LocalBroker()
        let (agent, _) = try workspace.startAgent(["--config", config], broker: broker, publishing: 0..<10, log: workspace.path("agent.txt"))
        let stats = try Self.mineUntilAnchored(peer, data: setup.data, size: 2, workspace: workspace)
        agent.terminate(signal: SIGTERM)
        #expect(agent.exitCode == 0)
        #expect((stats?["anchoring"]?["anchored"]?.numberValue ?? 0) >= 2, "\(Self.agentOutput(workspace))")
    }

    /// Issue 4 meets issue 7: a signed fleet document moves a running gateway from the embedded
    /// log to the chain; later checkpoints are anchored there.
    @Test func aFleetDocumentMovesARunningGatewayToTheChain() throws {
        let setup = try Self.setUp()
        defer { setup.remove() }
        let (peer, workspace, log) = (setup.peer, setup.workspace, setup.workspace.log)
        let keys = workspace.path("ops")
        #expect(try AgentBinary.run(["fleet", "keygen", "--name", "alice", "--out", keys], log: log).code == 0)
        let alice = try JSONParser().parse(try Data(contentsOf: URL(fileURLWithPath: keys + "/alice.pub.json")))
        try JSONWriter.canonicalString(.object([("keys", .array([.object([("name", alice["name"]!), ("public_key", alice["public_key"]!)])]))]))
            .write(toFile: workspace.path("operators.json"), atomically: true, encoding: .utf8)
        let config = workspace.path("agent.conf")
        try AgentBinary.writeConfig(config, id: "fleet-evm-gw", dataDir: setup.data, extra: """
                [sealing]
                batch_max_readings = 5
                [ledger]
                poll_seconds = 0.2
                trust = "single-node"
                [fleet]
                enabled = true
                operators_file = "\(workspace.path("operators.json"))"
                """)
        let broker = try LocalBroker()
        let (agent, _) = try workspace.startAgent(["--config", config], broker: broker, publishing: 0..<10, log: workspace.path("agent.txt"))
        let local = try Self.mineUntilAnchored(peer, data: setup.data, size: 2, workspace: workspace)
        #expect((local?["anchoring"]?["anchored"]?.numberValue ?? 0) >= 2, "the local backend anchors first")

        let now = Int(Date().timeIntervalSince1970 * 1000)
        try """
            {"format": 1, "target": {"gateway": "fleet-evm-gw"}, "version": 1, "not_before": \(now - 60_000),
             "expires": \(now + 3_600_000),
             "ledger": {"backend": "evm", "endpoint": "\(setup.endpoint)", "chain_id": \(peer.chainID),
                        "contract": "\(setup.contract.checksummed)", "confirmations": 2}}
            """.write(toFile: workspace.path("doc.json"), atomically: true, encoding: .utf8)
        let envelope = workspace.path("doc.signed.json")
        #expect(try AgentBinary.run(["fleet", "sign", workspace.path("doc.json"), "--key", keys + "/alice.key",
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
        let onChain = try Self.mineUntilAnchored(peer, data: setup.data, size: 4, workspace: workspace)
        agent.terminate(signal: SIGTERM)
        #expect(agent.exitCode == 0)
        #expect((onChain?["anchoring"]?["anchored"]?.numberValue ?? 0) >= 4, "\(Self.agentOutput(workspace))")
        let status = try AgentBinary.run(["fleet", "status", "--broker", broker.address.description, "--json", "--wait-ms", "300"],
                                         log: workspace.path("status.txt"))
        #expect(status.output.contains("\"status\":\"applied\""), "\(status.output)")
        // The reading in the last batches is proven through an evm anchor.
        let bundle = workspace.path("bundle.json")
        #expect(try AgentBinary.run(["prove", "14", "--out", bundle, "--config", config], log: log).code == 0)
        let text = try String(contentsOfFile: bundle, encoding: .utf8)
        #expect(text.contains("evm-receipt-log"), "\(text.prefix(400))")
    }

    /// A ledger node that is down does not slow ingest: every reading is stored and sealed, the
    /// agent stops cleanly, and `stats` says why anchoring lags.
    @Test func aDeadNodeNeverBlocksIngest() throws {
        let workspace = try AgentWorkspace()
        defer { workspace.remove() }
        let data = workspace.data
        let deadPort = try LocalBroker.freeLoopbackPort()
        let config = workspace.path("agent.conf")
        try AgentBinary.writeConfig(config, id: "dead-node-gw", dataDir: data,
                                    extra: Self.evmLedger(endpoint: "http://127.0.0.1:\(deadPort)", chainID: 1337,
                                                          contract: "0x\(String(repeating: "11", count: 20))"))
        let broker = try LocalBroker()
        let (agent, _) = try workspace.startAgent(["--config", config], broker: broker, publishing: 0..<20, log: workspace.path("agent.txt"))
        Thread.sleep(forTimeInterval: 1.5)
        let stopping = Date()
        agent.terminate(signal: SIGTERM)
        #expect(agent.exitCode == 0 && Date().timeIntervalSince(stopping) < 10)
        let stats = try AgentBinary.run(["stats", "--json", "--data-dir", data], log: workspace.path("stats.txt"))
        let json = try JSONParser().parse(String(stats.output.split(separator: "\n").last ?? ""))
        #expect(json["readings"]?.numberValue == 20, "\(Self.agentOutput(workspace))")
        let anchoring = json["anchoring"]
        #expect(anchoring?["latest_checkpoint"]?.numberValue == 4 && anchoring?["anchored"]?.numberValue == 0)
        #expect(anchoring?["last_failure"]?["reason"]?.stringValue?.contains("unavailable") == true, "\(stats.output)")
    }
}
