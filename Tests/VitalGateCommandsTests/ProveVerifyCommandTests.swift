import Foundation
import LocalBroker
import MQTT
import Testing
import VitalGateTesting

/// `prove` and `verify` as an auditor uses them: the real binary, files on disk, exit codes.
@Suite struct ProveVerifyCommandTests {
    @Test func aProvenReadingVerifiesOfflineAndATamperedBundleFailsNamingTheStep() throws {
        let workspace = try AgentWorkspace()
        defer { workspace.remove() }
        let (data, log) = (workspace.data, workspace.log)
        let broker = try LocalBroker()
        let (agent, _) = try workspace.startAgent(["--data-dir", data, "--gateway", "audit-gw", "--schemas", AgentBinary.schemas],
                                                  broker: broker, publishing: 0..<10)
        Thread.sleep(forTimeInterval: 1.0)
        agent.terminate(signal: SIGTERM)  // clean stop: the open batch is sealed
        #expect(agent.exitCode == 0)

        let bundle = workspace.path("bundle.json")
        let trust = workspace.path("trust.json")
        let agentArgs = ["--data-dir", data, "--gateway", "audit-gw"]
        #expect(try AgentBinary.run(["prove", "5", "--out", bundle] + agentArgs, log: log).code == 0)
        #expect(try AgentBinary.run(["keys", "trust", "--out", trust] + agentArgs, log: log).code == 0)
        let good = try AgentBinary.run(["verify", bundle, "--trust", trust], log: workspace.path("v1.txt"))
        #expect(good.code == 0 && good.output.contains("OK: reading 5 verifies"), "\(good.output)")

        // One hex digit of the batch audit path changed: the batch inclusion step fails.
        var text = try String(contentsOfFile: bundle, encoding: .utf8)
        let marker = try #require(text.range(of: "\"audit_path\":[\""))
        let digit = text.index(marker.upperBound, offsetBy: 3)
        text.replaceSubrange(digit...digit, with: text[digit] == "0" ? "1" : "0")
        try text.write(toFile: bundle, atomically: true, encoding: .utf8)
        let bad = try AgentBinary.run(["verify", bundle, "--trust", trust], log: workspace.path("v2.txt"))
        #expect(bad.code == 1 && bad.output.contains("first failed step: batch-inclusion"), "\(bad.output)")
    }
}
