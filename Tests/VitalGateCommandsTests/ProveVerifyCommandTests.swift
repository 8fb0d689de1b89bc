import Foundation
import LocalBroker
import MQTT
import Testing
import VitalGateTesting

/// `prove` and `verify` as an auditor uses them: the real binary, files on disk, exit codes.
@Suite struct ProveVerifyCommandTests {
    @Test func aProvenReadingVerifiesOfflineAndATamperedBundleFailsNamingTheStep() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let data = dir.appending("data").path
        let log = dir.appending("log.txt").path
        #expect(try AgentBinary.run(["keys", "init", "--data-dir", data], log: log).code == 0)
        let broker = try LocalBroker()
        let agent = try AgentBinary.start(["run", "--broker", broker.address.description, "--data-dir", data,
                                           "--gateway", "audit-gw", "--schemas", AgentBinary.schemas], log: log)
        let bridge = try MQTTTestClient.connect(broker.address, id: "bridge")
        Thread.sleep(forTimeInterval: 0.5)
        try MQTTTestClient.publishAll(bridge, SampleTelemetry.oxiPatch(0..<10))
        Thread.sleep(forTimeInterval: 1.0)
        agent.terminate(signal: SIGTERM)  // clean stop: the open batch is sealed
        #expect(agent.exitCode == 0)

        let bundle = dir.appending("bundle.json").path
        let trust = dir.appending("trust.json").path
        let agentArgs = ["--data-dir", data, "--gateway", "audit-gw"]
        #expect(try AgentBinary.run(["prove", "5", "--out", bundle] + agentArgs, log: log).code == 0)
        #expect(try AgentBinary.run(["keys", "trust", "--out", trust] + agentArgs, log: log).code == 0)
        let good = try AgentBinary.run(["verify", bundle, "--trust", trust], log: dir.appending("v1.txt").path)
        #expect(good.code == 0 && good.output.contains("OK: reading 5 verifies"), "\(good.output)")

        // One hex digit of the batch audit path changed: the batch inclusion step fails.
        var text = try String(contentsOfFile: bundle, encoding: .utf8)
        let marker = try #require(text.range(of: "\"audit_path\":[\""))
        let digit = text.index(marker.upperBound, offsetBy: 3)
        text.replaceSubrange(digit...digit, with: text[digit] == "0" ? "1" : "0")
        try text.write(toFile: bundle, atomically: true, encoding: .utf8)
        let bad = try AgentBinary.run(["verify", bundle, "--trust", trust], log: dir.appending("v2.txt").path)
        #expect(bad.code == 1 && bad.output.contains("first failed step: batch-inclusion"), "\(bad.output)")
    }
}
