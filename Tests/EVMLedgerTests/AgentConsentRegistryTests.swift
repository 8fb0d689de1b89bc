@testable import EVMLedger
import EVMLightClient
import Foundation
import Glibc
import LocalBroker
import Secp256k1
import Telemetry
import Testing
import VitalGateTesting

/// `vitalgate run` with `[consent.registry]` on py-evm: the agent reads the registry for the
/// vault's patient (MRN-7 of the sample telemetry) through the `[ledger]` finality rule (a witness
/// that agrees). An NDJSON sink for a research recipient the default policy denies skips MRN-7's
/// readings until the authority grants on chain, delivers them after, and skips them again after
/// the revocation; `stats` shows the last verified block, and with the node lying, the failed step.
/// (Part of the serialized agent suite.)
extension AgentEVMAnchoringTests {
    @Test func anOnChainGrantOpensASinkARevocationClosesItAndStatsShowsTheReads() throws {
        let peer = try EVMPeer()
        defer { peer.stop() }
        let workspace = try AgentWorkspace()
        defer { workspace.remove() }
        let authority = PrivateKey()
        try peer.fund(authority.publicKey.ethereumAddress)
        let registry = try ConsentRegistry.deploy(rpc: peer.rpc, key: authority, chainID: peer.chainID)
        let key = [UInt8](repeating: 0x42, count: 32)
        try peer.mine(2)

        let keyFile = workspace.path("registry.key")
        try Hex.encode(key).write(toFile: keyFile, atomically: true, encoding: .utf8)
        let out = workspace.path("research")
        let config = workspace.path("agent.conf")
        try AgentBinary.writeConfig(config, id: "registry-gw", dataDir: workspace.data, extra: """
            [ledger]
            endpoint = "\(peer.endpoint.url)"
            chain_id = \(peer.chainID)
            confirmations = 1
            witnesses = ["http://localhost:\(peer.endpoint.port)"]
            [egress]
            ndjson = "\(out)"
            ndjson_max_age_seconds = 1
            ndjson_recipient = "research-unit"
            ndjson_purpose = "HRESCH"
            [consent]
            enabled = true
            treatment_recipients = ["hospital-ehr"]
            when_denied = "skip"
            [consent.registry]
            contract = "\(registry.checksummed)"
            authority = "\(authority.publicKey.ethereumAddress.checksummed)"
            pseudonym_key_file = "\(keyFile)"
            grantees = ["research-unit"]
            purposes = ["TREAT", "HRESCH"]
            poll_seconds = 1
            """)
        let broker = try LocalBroker()
        // Five readings of MRN-7 before anything is on chain: the default policy denies research.
        let (agent, bridge) = try workspace.startAgent(["--config", config], broker: broker, publishing: 0..<5,
                                                       log: workspace.path("agent.txt"))
        defer { agent.terminate(signal: SIGTERM) }
        try waitFor("5 skipped", workspace) { try Self.ndjsonSink(workspace)?["consent"]?["skipped"]?.numberValue == 5 }

        // The authority grants HRESCH (vitals) to research-unit for MRN-7's registry pseudonym.
        let pseudonym = ConsentRegistry.pseudonym(mrn: "MRN-7", key: key)
        let grantee = try #require(ConsentRegistry.granteeWord("research-unit"))
        try write(peer, registry, authority, pseudonym, grantee, .init(status: .granted, classes: ConsentRegistry.DataClass.vitals.rawValue))
        try waitForVerifiedRead(after: try peer.blockNumber() - 1, workspace)
        try MQTTTestClient.publishAll(bridge, SampleTelemetry.oxiPatch(5..<10))
        try waitFor("5 delivered", workspace) { try Self.ndjsonSink(workspace)?["delivered"]?.numberValue == 5 }

        // The authority revokes it: the next five are skipped again.
        try write(peer, registry, authority, pseudonym, grantee, .init(status: .revoked, classes: 0))
        try waitForVerifiedRead(after: try peer.blockNumber() - 1, workspace)
        try MQTTTestClient.publishAll(bridge, SampleTelemetry.oxiPatch(10..<15))
        try waitFor("10 skipped", workspace) { try Self.ndjsonSink(workspace)?["consent"]?["skipped"]?.numberValue == 10 }
        #expect(try Self.ndjsonSink(workspace)?["delivered"]?.numberValue == 5)

        // A lying node: stats names the refused step.
        try peer.lie("storage-value")
        defer { try? peer.lie("none") }
        let refused = try statsLine(workspace) { $0.contains("last failure: storage-value") }
        #expect(refused.contains("last failure: storage-value"), "\(refused) \(Self.agentOutput(workspace))")
        #expect(!Self.agentOutput(workspace).contains("MRN-7"), "the log names no patient")
        agent.terminate(signal: SIGTERM)
        #expect(agent.exitCode == 0)
    }

    /// The authority's write, then one block so it is below the trusted head (confirmations 1).
    private func write(_ peer: EVMPeer, _ registry: EthereumAddress, _ authority: PrivateKey, _ pseudonym: [UInt8],
                       _ grantee: [UInt8], _ terms: ConsentRegistry.Terms) throws {
        let node = EthereumNode(rpc: peer.rpc)
        let fees = try EVMLedgerBackend.currentFees(node: node, policy: .init())
        let transaction = EIP1559Transaction(
            chainId: peer.chainID, nonce: try node.transactionCount(authority.publicKey.ethereumAddress, "pending"),
            maxPriorityFeePerGas: Quantity(fees.priority), maxFeePerGas: Quantity(fees.maxFee), gasLimit: 200_000,
            to: registry, value: Quantity(0),
            data: ConsentRegistry.calldata(pseudonym: pseudonym, grantee: grantee,
                                           purpose: try #require(ConsentRegistry.purposeWord("HRESCH")), terms: terms))
        _ = try node.sendRawTransaction(try transaction.sign(with: authority).rawBytes)
        try peer.mine(1)
    }

    /// The `consent registry` line of `stats`, polled until `done` (30 s at most).
    private func statsLine(_ workspace: AgentWorkspace, until done: (String) -> Bool) throws -> String {
        let deadline = Date().addingTimeInterval(30)
        var line = ""
        while Date() < deadline {
            Thread.sleep(forTimeInterval: 0.3)
            let stats = try AgentBinary.run(["stats", "--data-dir", workspace.data], log: workspace.path("stats.txt"))
            line = stats.output.split(separator: "\n").last { $0.hasPrefix("consent registry") }.map(String.init) ?? ""
            if done(line) { break }
        }
        return line
    }

    /// Waits until `stats` shows a verified read at a block above `block`.
    private func waitForVerifiedRead(after block: UInt64, _ workspace: AgentWorkspace) throws {
        func verified(_ line: String) -> UInt64? {
            guard let range = line.range(of: "last verified block ") else { return nil }
            return UInt64(line[range.upperBound...].prefix { $0.isNumber })
        }
        let line = try statsLine(workspace) { (verified($0) ?? 0) >= block }
        #expect((verified(line) ?? 0) >= block, "\(line) \(Self.agentOutput(workspace))")
    }

    private func waitFor(_ what: String, _ workspace: AgentWorkspace, _ condition: () throws -> Bool) throws {
        for _ in 0..<150 {
            if try condition() { return }
            Thread.sleep(forTimeInterval: 0.2)
        }
        Issue.record("timed out waiting for \(what) \(Self.agentOutput(workspace))")
    }

    /// The NDJSON sink's entry of `stats --json`.
    static func ndjsonSink(_ workspace: AgentWorkspace) throws -> JSONValue? {
        let stats = try AgentBinary.run(["stats", "--json", "--data-dir", workspace.data], log: workspace.path("stats.txt"))
        let line = stats.output.split(separator: "\n").last { $0.hasPrefix("{") }.map(String.init) ?? ""
        return (try? JSONParser().parse(Array(line.utf8)))?["egress"]?.arrayValue?.first { $0["sink"]?.stringValue == "ndjson" }
    }
}
