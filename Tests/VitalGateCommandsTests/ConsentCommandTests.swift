import Foundation
import LocalBroker
import Telemetry
import Testing
import VitalGateTesting

/// The consent tools against the real agent binary, each run from `/`: an authority key from
/// `fleet keygen`, `consent sign`, `consent push` over a real broker to a running agent, then
/// `consent list` and `stats` on the gateway's vault.
@Suite struct ConsentCommandTests {
    @Test func anAuthoritySignsAndPushesAndTheGatewayListsTheRecord() throws {
        let workspace = try AgentWorkspace()
        defer { workspace.remove() }
        let log = workspace.log
        let keys = try Self.makeAuthority(workspace)
        let config = workspace.path("agent.conf")
        try AgentBinary.writeConfig(config, id: "gw-cli", dataDir: workspace.data, extra: """
                [consent]
                enabled = true
                authority_keys_file = "\(workspace.path("authorities.json"))"
                treatment_recipients = ["hospital-ehr"]
                """)
        let broker = try LocalBroker()
        let agent = try AgentBinary.start(["run", "--config", config, "--broker", broker.address.description],
                                          log: workspace.path("agent.txt"))
        Thread.sleep(forTimeInterval: 1.0)

        let now = Int(Date().timeIntervalSince1970 * 1000)
        let fixture = try String(contentsOf: AgentBinary.repositoryRoot
            .appendingPathComponent("Tests/ConsentDocumentsTests/Fixtures/consent-document.json"), encoding: .utf8)
            .replacingOccurrences(of: "\"gw-a\"", with: "\"gw-cli\"")
            .replacingOccurrences(of: "\"issued_at\": 1800000000000", with: "\"issued_at\": \(now - 60_000)")
            .replacingOccurrences(of: "\"expires\": 1800604800000", with: "\"expires\": \(now + 3_600_000)")
        try fixture.write(toFile: workspace.path("consent.json"), atomically: true, encoding: .utf8)
        let signed = workspace.path("consent.signed.json")
        let sign = try AgentBinary.runFromRoot(["consent", "sign", workspace.path("consent.json"), "--key",
                                                keys + "/consent-office.key", "--out", signed], log: log)
        #expect(sign.code == 0, "\(sign.output)")
        let push = try AgentBinary.runFromRoot(["consent", "push", signed, "--broker", broker.address.description],
                                               log: workspace.path("push.txt"))
        #expect(push.code == 0 && push.output.contains("vitalgate/gw-cli/consent"), "\(push.output)")
        // An unsigned document is refused by the tool itself.
        #expect(try AgentBinary.runFromRoot(["consent", "push", workspace.path("consent.json"), "--broker",
                                             broker.address.description], log: log).code != 0)

        var listed = ""
        for _ in 0..<50 {
            listed = try AgentBinary.runFromRoot(["consent", "list", "--patient", "MRN-00012345", "--config", config],
                                                 log: workspace.path("list.txt")).output
            if listed.contains("consent-research-1") { break }
            Thread.sleep(forTimeInterval: 0.2)
        }
        #expect(listed.contains("consent-research-1  version 3  active"), "\(listed)")
        #expect(listed.contains("permit to research-lab for HRESCH classes vitals,alerts"), "\(listed)")
        agent.terminate(signal: SIGTERM)
        let json = try AgentBinary.runFromRoot(["consent", "list", "--patient", "MRN-00012345", "--config", config, "--json"],
                                               log: workspace.path("list.json.txt"))
        #expect(try JSONParser().parse(json.output.split(separator: "\n").last.map(String.init) ?? "")
            .arrayValue?.first?["version"]?.numberValue == 3)
        let stats = try AgentBinary.runFromRoot(["stats", "--data-dir", workspace.data], log: workspace.path("stats.txt"))
        #expect(stats.output.contains("consent_applied: 1"), "\(stats.output)")
    }

    /// A consent authority made with `fleet keygen` (from `/`) in `workspace`: its key directory,
    /// with `authorities.json` beside it pinning it alone (threshold 1).
    static func makeAuthority(_ workspace: AgentWorkspace) throws -> String {
        let keys = workspace.path("authority")
        let keygen = try AgentBinary.runFromRoot(["fleet", "keygen", "--name", "consent-office", "--out", keys], log: workspace.log)
        #expect(keygen.code == 0, "\(keygen.output)")
        let pinned = try JSONParser().parse(try Data(contentsOf: URL(fileURLWithPath: keys + "/consent-office.pub.json")))
        try JSONWriter.canonicalString(.object([("keys", .array([pinned])), ("threshold", .number(1))]))
            .write(toFile: workspace.path("authorities.json"), atomically: true, encoding: .utf8)
        return keys
    }
}
