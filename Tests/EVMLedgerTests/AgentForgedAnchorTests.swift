import EVMLedger
import EVMLightClient
import Foundation
import Glibc
import LocalBroker
import Telemetry
import Testing
import VitalGateTesting

/// Issue 21's measurement with the agent binary: a node that forges an anchor block and five
/// linked descendants for every anchor transaction. On its own word (`trust = "single-node"`)
/// the forgery is recorded as anchored and `prove` bundles it; with a witness that has other
/// blocks at those heights nothing is anchored and `stats` names the witness and the step.
/// (Part of the serialized agent suite: its helpers.)
extension AgentEVMAnchoringTests {
    @Test func aForgingNodeIsBelievedOnItsOwnWordAndRefusedWithAWitness() throws {
        let contract = try EthereumAddress(hex: "0x00000000000000000000000000000000000a11c0")
        let liar = try ForgingNode(contract: contract)
        // Another node: at every height a block of its own.
        let witness = try ScriptedNode { method, params in
            switch method {
            case "eth_chainId": return .result(.string("0x539"))
            case "eth_getBlockByNumber":
                guard let number = Quantity(hexQuantity: params.first?.stringValue ?? "")?.uint64Value else {
                    return .result(.null)
                }
                return .result(.object([("number", .string(Quantity(number).description)),
                                        ("hash", .string(Hex.encode(Keccak256.hash(Array("block \(number)".utf8)),
                                                                    prefix: true)))]))
            default: return .error(-32601, "method not found")
            }
        }
        for (believed, trust) in [(true, "trust = \"single-node\""), (false, "witnesses = [\"\(witness.endpoint.url)\"]")] {
            let workspace = try AgentWorkspace()
            defer { workspace.remove() }
            let config = workspace.path("agent.conf")
            try AgentBinary.writeConfig(config, id: "evm-forged-gw", dataDir: workspace.data, extra: Self.evmLedger(
                endpoint: liar.endpoint.url, chainID: 1337, contract: contract.checksummed, trust: trust))
            let broker = try LocalBroker()
            let (agent, _) = try workspace.startAgent(["--config", config], broker: broker, publishing: 0..<10,
                                                      log: workspace.path("agent.txt"))
            var anchoring: JSONValue?
            let deadline = Date().addingTimeInterval(believed ? 20 : 6)
            while Date() < deadline {
                Thread.sleep(forTimeInterval: 0.3)
                let stats = try AgentBinary.run(["stats", "--json", "--data-dir", workspace.data], log: workspace.path("stats.txt"))
                anchoring = (try? JSONParser().parse(String(stats.output.split(separator: "\n").last ?? "")))?["anchoring"]
                if believed && (anchoring?["anchored"]?.numberValue ?? 0) >= 1 { break }
            }
            agent.terminate(signal: SIGTERM)
            #expect(agent.exitCode == 0)
            let anchored = anchoring?["anchored"]?.numberValue ?? 0
            if believed {
                #expect(anchored >= 1, "the forgery was not believed: \(Self.agentOutput(workspace))")
                #expect(anchoring?["trust"]?.stringValue == "single-node")
                let text = try AgentBinary.run(["stats", "--data-dir", workspace.data], log: workspace.path("stats.txt"))
                #expect(text.output.contains("finality trust: single-node (one node's word"), "\(text.output)")
                let bundle = workspace.path("bundle.json")
                #expect(try AgentBinary.run(["prove", "2", "--out", bundle, "--config", config], log: workspace.log).code == 0)
                let bundled = try String(contentsOfFile: bundle, encoding: .utf8)
                #expect(bundled.contains("evm-receipt-log"), "prove bundles the forged anchor")
            } else {
                #expect(anchoring?["trust"]?.stringValue == "witnesses")
                #expect(anchored == 0, "a forged anchor was recorded: \(anchoring.map(JSONWriter.canonicalString) ?? "")")
                let reason = anchoring?["last_failure"]?["reason"]?.stringValue ?? ""
                #expect(reason.contains("at step witness") && reason.contains("witness node 1"), "\(reason)")
                #expect(!reason.contains("\(witness.endpoint.port)"), "the witness's URL stays out of stats")
            }
        }
    }
}
