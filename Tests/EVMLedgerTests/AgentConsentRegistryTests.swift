import EVMLedger
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
/// that agrees), and `stats` shows the last verified block; with the node lying, the failed step.
/// (Part of the serialized agent suite.)
extension AgentEVMAnchoringTests {
    @Test func theAgentReadsTheRegistryAndStatsShowsTheLastVerifiedBlockAndTheFailedStep() throws {
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
        let config = workspace.path("agent.conf")
        try AgentBinary.writeConfig(config, id: "registry-gw", dataDir: workspace.data, extra: """
            [ledger]
            endpoint = "\(peer.endpoint.url)"
            chain_id = \(peer.chainID)
            confirmations = 1
            witnesses = ["http://localhost:\(peer.endpoint.port)"]
            [consent]
            enabled = true
            [consent.registry]
            contract = "\(registry.checksummed)"
            authority = "\(authority.publicKey.ethereumAddress.checksummed)"
            pseudonym_key_file = "\(keyFile)"
            grantees = ["research-unit"]
            purposes = ["TREAT", "HRESCH"]
            poll_seconds = 1
            """)
        let broker = try LocalBroker()
        let (agent, _) = try workspace.startAgent(["--config", config], broker: broker, publishing: 0..<5,
                                                  log: workspace.path("agent.txt"))
        defer { agent.terminate(signal: SIGTERM) }

        func statsLine(until done: (String) -> Bool) throws -> String {
            let deadline = Date().addingTimeInterval(30)
            var line = ""
            while Date() < deadline {
                Thread.sleep(forTimeInterval: 0.5)
                let stats = try AgentBinary.run(["stats", "--data-dir", workspace.data], log: workspace.path("stats.txt"))
                line = stats.output.split(separator: "\n").last { $0.hasPrefix("consent registry") }.map(String.init) ?? ""
                if done(line) { break }
            }
            return line
        }
        let verified = try statsLine { $0.contains("last verified block") && !$0.contains("last failure") }
        #expect(verified.contains("last verified block"), "\(verified) \(Self.agentOutput(workspace))")

        try peer.lie("storage-value")
        defer { try? peer.lie("none") }
        let refused = try statsLine { $0.contains("last failure: storage-value") }
        #expect(refused.contains("last failure: storage-value"), "\(refused) \(Self.agentOutput(workspace))")
        #expect(!Self.agentOutput(workspace).contains("MRN-7"), "the log names no patient")
        agent.terminate(signal: SIGTERM)
        #expect(agent.exitCode == 0)
    }
}
