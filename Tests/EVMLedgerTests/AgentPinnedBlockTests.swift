import EVMLedger
import EVMLightClient
import Foundation
import Glibc
import LocalBroker
import Telemetry
import Testing
import VitalGateTesting

/// The operator's flow with `pinned_blocks` (issue 21, item 3), with the agent binary on py-evm:
/// an anchor newer than every pin waits and `stats` says so; pinning a newer block (config,
/// restart) anchors it with the chain up to the pin; `keys trust` carries the pins, so `verify`
/// needs no other trusted block. (Part of the serialized agent suite: its helpers.)
extension AgentEVMAnchoringTests {
    @Test func anAnchorWaitsForANewerPinAndVerifiesAgainstIt() throws {
        let setup = try Self.setUp()
        defer { setup.remove() }
        let (peer, workspace, data, log) = (setup.peer, setup.workspace, setup.data, setup.workspace.log)
        func hex(_ bytes: [UInt8]) -> String { Hex.encode(bytes, prefix: true) }
        let oldPin = hex(try peer.blockHash(try peer.blockNumber()))
        let config = workspace.path("agent.conf")
        func write(pins: [String]) throws {
            try AgentBinary.writeConfig(config, id: "evm-pinned-gw", dataDir: data, extra: Self.evmLedger(
                endpoint: setup.endpoint, chainID: peer.chainID, contract: setup.contract.checksummed,
                trust: "pinned_blocks = [\(pins.map { "\"\($0)\"" }.joined(separator: ", "))]"))
        }
        try write(pins: [oldPin])

        let broker = try LocalBroker()
        let (agent, _) = try workspace.startAgent(["--config", config], broker: broker, publishing: 0..<10,
                                                  log: workspace.path("agent.txt"))
        var waiting: String?
        let deadline = Date().addingTimeInterval(30)
        while Date() < deadline {
            Thread.sleep(forTimeInterval: 0.3)
            let stats = try AgentBinary.run(["stats", "--json", "--data-dir", data], log: workspace.path("stats.txt"))
            let json = try? JSONParser().parse(String(stats.output.split(separator: "\n").last ?? ""))
            #expect((json?["anchoring"]?["anchored"]?.numberValue ?? 0) == 0, "anchored beyond every pin")
            waiting = json?["anchoring"]?["waiting"]?.stringValue
            if waiting?.contains("newer than the newest pinned block") == true { break }
        }
        agent.terminate(signal: SIGTERM)
        #expect(agent.exitCode == 0)
        #expect(waiting?.contains("waiting for a newer pin") == true, "\(waiting ?? "nothing") \(Self.agentOutput(workspace))")
        let text = try AgentBinary.run(["stats", "--data-dir", data], log: workspace.path("stats.txt"))
        #expect(text.output.contains("  waiting: block "), "\(text.output)")

        // The operator pins a block above the anchor (from a source other than this node) and restarts.
        try peer.mine(2)
        try write(pins: [oldPin, hex(try peer.blockHash(try peer.blockNumber()))])
        let (again, _) = try workspace.startAgent(["--config", config], broker: broker, publishing: 0..<0,
                                                  log: workspace.path("agent.txt"))
        // (Whatever checkpoint was pending is below the new pin; one signed later would wait again.)
        let stats = try Self.mineUntilAnchored(peer, data: data, size: 1, workspace: workspace)
        again.terminate(signal: SIGTERM)
        #expect((stats?["anchoring"]?["anchored"]?.numberValue ?? 0) >= 1, "\(Self.agentOutput(workspace))")

        let args = ["--config", config]
        let (bundle, trust, entry) = try Self.proveReadingTwo(args, workspace: workspace, log: log)
        let body = try EVMAnchorEvidence(body: JSONWriter.canonicalBytes(try #require(entry["body"])))
        guard case .pinned(let headers) = body.finality else { Issue.record("\(body.finality)"); return }
        #expect(!headers.isEmpty)
        let verified = try AgentBinary.run(["verify", bundle, "--trust", trust], log: workspace.path("v1.txt"))
        #expect(verified.code == 0 && verified.output.contains("PASS  anchors"), "\(verified.output)")
    }
}
