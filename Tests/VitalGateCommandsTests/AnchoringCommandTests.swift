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
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let data = dir.appending("data").path
        let log = dir.appending("log.txt").path
        try AgentBinary.writeConfig(dir.appending("agent.conf").path, id: "anchor-cli", dataDir: data, extra: """
                [sealing]
                batch_max_readings = 5
                [ledger]
                poll_seconds = 0.2
                """)
        #expect(try AgentBinary.run(["keys", "init", "--data-dir", data], log: log).code == 0)
        let broker = try LocalBroker()
        let agent = try AgentBinary.start(["run", "--config", dir.appending("agent.conf").path,
                                           "--broker", broker.address.description], log: dir.appending("agent.txt").path)
        let bridge = try MQTTTestClient.connect(broker.address, id: "bridge")
        Thread.sleep(forTimeInterval: 0.5)
        try MQTTTestClient.publishAll(bridge, SampleTelemetry.oxiPatch(0..<10))
        Thread.sleep(forTimeInterval: 1.5)  // two batches of five close; the worker polls every 0.2 s
        agent.terminate(signal: SIGTERM)
        #expect(agent.exitCode == 0)

        let args = ["--config", dir.appending("agent.conf").path]
        let stats = try AgentBinary.run(["stats", "--json", "--data-dir", data], log: dir.appending("stats.txt").path)
        let anchoring = try JSONParser().parse(stats.output)["anchoring"]
        #expect((anchoring?["anchored"]?.numberValue ?? 0) >= 2, "\(stats.output)")

        let bundle = dir.appending("bundle.json").path
        let trust = dir.appending("trust.json").path
        #expect(try AgentBinary.run(["prove", "2", "--out", bundle] + args, log: log).code == 0)
        #expect(try AgentBinary.run(["keys", "trust", "--out", trust] + args, log: log).code == 0)
        let verified = try AgentBinary.run(["verify", bundle, "--trust", trust], log: dir.appending("v.txt").path)
        #expect(verified.code == 0 && verified.output.contains("PASS  anchors"), "\(verified.output)")
    }
}
