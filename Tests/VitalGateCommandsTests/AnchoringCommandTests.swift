import Foundation
import LocalBroker
import MQTT
import Telemetry
import Testing
import VitalGateTesting

/// The agent binary anchors its checkpoints (local backend) while it runs; `stats` reports the
/// lag and `prove`/`verify` carry and check the anchor.
@Suite struct AnchoringCommandTests {
    @Test func checkpointsAreAnchoredWhileTheAgentRunsAndBundlesCarryTheAnchor() throws {
        let workspace = try AgentWorkspace()
        defer { workspace.remove() }
        let (data, log, config) = (workspace.data, workspace.log, workspace.path("agent.conf"))
        try AgentBinary.writeConfig(config, id: "anchor-cli", dataDir: data, extra: """
                [sealing]
                batch_max_readings = 5
                [ledger]
                poll_seconds = 0.2
                """)
        let broker = try LocalBroker()
        let (agent, _) = try workspace.startAgent(["--config", config], broker: broker, publishing: 0..<10,
                                                  log: workspace.path("agent.txt"))
        Thread.sleep(forTimeInterval: 1.5)  // two batches of five close; the worker polls every 0.2 s
        agent.terminate(signal: SIGTERM)
        #expect(agent.exitCode == 0)

        let args = ["--config", config]
        let stats = try AgentBinary.run(["stats", "--json", "--data-dir", data], log: workspace.path("stats.txt"))
        let anchoring = try JSONParser().parse(stats.output)["anchoring"]
        #expect((anchoring?["anchored"]?.numberValue ?? 0) >= 2, "\(stats.output)")

        let bundle = workspace.path("bundle.json")
        let trust = workspace.path("trust.json")
        #expect(try AgentBinary.run(["prove", "2", "--out", bundle] + args, log: log).code == 0)
        #expect(try AgentBinary.run(["keys", "trust", "--out", trust] + args, log: log).code == 0)
        let verified = try AgentBinary.run(["verify", bundle, "--trust", trust], log: workspace.path("v.txt"))
        #expect(verified.code == 0 && verified.output.contains("PASS  anchors"), "\(verified.output)")
    }
}
