import Foundation
import LocalBroker
import MQTT
import Telemetry
import Testing
import VitalGateTesting

/// `erase-patient` run by an operator while the agent is ingesting: the real binaries, one vault.
@Suite struct EraseWhileRunningTests {
    @Test func anErasureDuringIngestStopsNothingAndAReadmissionGetsANewKey() throws {
        let workspace = try AgentWorkspace()
        defer { workspace.remove() }
        let data = workspace.data
        let gateway = ["--data-dir", data, "--gateway", "erase-gw"]
        let broker = try LocalBroker()
        let (agent, bridge) = try workspace.startAgent(["--schemas", AgentBinary.schemas] + gateway, broker: broker,
                                                       publishing: 0..<10)
        Thread.sleep(forTimeInterval: 1.0)
        let erase = try AgentBinary.run(["erase-patient", "MRN-7", "--by", "dpo", "--yes"] + gateway,
                                        log: workspace.path("erase.txt"))
        #expect(erase.code == 0, "\(erase.output)")
        Thread.sleep(forTimeInterval: 6.0)  // the agent looks for erasures every 5 s
        try MQTTTestClient.publishAll(bridge, SampleTelemetry.oxiPatch(10..<20))
        Thread.sleep(forTimeInterval: 1.5)
        agent.terminate(signal: SIGTERM)
        #expect(agent.exitCode == 0)

        // Nothing stalled: every reading after the erasure was stored (before the fix the erasure's
        // sealed record took the agent's next reading id and every later store failed).
        let stats = try AgentBinary.run(["stats", "--json", "--data-dir", data], log: workspace.path("stats.txt"))
        let line = stats.output.split(separator: "\n").last { $0.hasPrefix("{") }.map(String.init) ?? ""
        let json = try #require(try? JSONParser().parse(Array(line.utf8)), "\(stats.output)")
        #expect(json["readings"]?.numberValue == 20, "\(stats.output)")
        // The re-admitted patient's new readings are readable under a new key; the erased ones are not.
        let export = try AgentBinary.run(["export", "--patient", "MRN-7", "--data-dir", data], log: workspace.path("export.txt"))
        let lines = export.output.split(separator: "\n").filter { $0.hasPrefix("{") }
        #expect(lines.count == 10, "\(export.output)")
        let audit = try AgentBinary.run(["audit"] + gateway, log: workspace.path("audit.txt"))
        #expect(audit.code == 0 && audit.output.contains("(10 erased, 0 pruned)"), "\(audit.output)")
    }
}
