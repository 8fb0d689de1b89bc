import Foundation
import LocalBroker
import Telemetry
import Testing
import VitalGateTesting

/// Issue 21 end to end, the real binary run from `/`: a signed consent document pushed over the
/// broker opens an NDJSON sink for a research recipient the default policy denies, a signed
/// revocation closes it again, and what went out is in the sealed disclosure log.
@Suite struct ConsentEndToEndTests {
    static let patient = "MRN-00012345"

    @Test func signedDocumentsOpenAndCloseASinkAndTheDisclosureLogAccountsForWhatWent() throws {
        let workspace = try AgentWorkspace()
        defer { workspace.remove() }
        let keys = try ConsentCommandTests.makeAuthority(workspace)
        let out = workspace.path("research")
        let config = workspace.path("agent.conf")
        try AgentBinary.writeConfig(config, id: "gw-e2e", dataDir: workspace.data, extra: """
                [egress]
                ndjson = "\(out)"
                ndjson_max_age_seconds = 1
                ndjson_recipient = "research-lab"
                ndjson_purpose = "HRESCH"
                [consent]
                enabled = true
                authority_keys_file = "\(workspace.path("authorities.json"))"
                treatment_recipients = ["hospital-ehr"]
                when_denied = "skip"
                """)
        let broker = try LocalBroker()
        let agent = try AgentBinary.start(["run", "--config", config, "--broker", broker.address.description],
                                          log: workspace.path("agent.txt"))
        defer { agent.terminate(signal: SIGTERM) }
        let bridge = try MQTTTestClient.connect(broker.address, id: "bridge-e2e")
        defer { bridge.disconnect() }
        Thread.sleep(forTimeInterval: 1.0)

        // 1. No consent yet: the default policy denies research; five readings are skipped.
        try MQTTTestClient.publishAll(bridge, SampleTelemetry.oxiPatch(0..<5, patient: Self.patient))
        try waitFor("5 skipped") { try sink(workspace)?["consent"]?["skipped"]?.numberValue == 5 }

        // 2. A signed permit (version 3): the next five go out, under the pseudonym (identity is not granted).
        try push(workspace, keys: keys, broker: broker, version: 3, status: "active")
        try waitForList(workspace, config, "version 3  active")
        try MQTTTestClient.publishAll(bridge, SampleTelemetry.oxiPatch(5..<10, patient: Self.patient))
        try waitFor("5 delivered") { try sink(workspace)?["delivered"]?.numberValue == 5 }

        // 3. A signed revocation (version 4, inactive): the next five are skipped again.
        try push(workspace, keys: keys, broker: broker, version: 4, status: "inactive")
        try waitForList(workspace, config, "version 4  inactive")
        try MQTTTestClient.publishAll(bridge, SampleTelemetry.oxiPatch(10..<15, patient: Self.patient))
        try waitFor("10 skipped") { try sink(workspace)?["consent"]?["skipped"]?.numberValue == 10 }
        agent.terminate(signal: SIGTERM)
        #expect(agent.exitCode == 0)

        let final = try #require(try sink(workspace))
        #expect(final["delivered"]?.numberValue == 5 && final["consent"]?["skipped"]?.numberValue == 10, "\(final)")
        // What reached the recipient: the five permitted readings, none naming the patient.
        let files = try FileManager.default.contentsOfDirectory(atPath: out).filter { $0.hasSuffix(".ndjson") }
        var lines: [String] = []
        for file in files {
            lines += try String(contentsOfFile: out + "/" + file, encoding: .utf8).split(separator: "\n").map(String.init)
        }
        #expect(!lines.isEmpty)
        #expect(!lines.contains { $0.contains(Self.patient) }, "the MRN reached a recipient without identity consent")
        #expect(lines.contains { $0.contains("patient-pseudonym") }, "\(lines.prefix(2))")

        // The accounting: disclosures to research-lab for HRESCH on consent version 3, five records in all.
        let listed = try AgentBinary.runFromRoot(["disclosures", "--patient", Self.patient, "--json", "--data-dir", workspace.data],
                                                 log: workspace.path("disclosures.txt"))
        #expect(listed.code == 0, "\(listed.output)")
        let line = listed.output.split(separator: "\n").last { $0.hasPrefix("{") }.map(String.init) ?? ""
        let json = try JSONParser().parse(Array(line.utf8))
        // Within one disclosure window (the default hour) every delivery is one open aggregate.
        let sealed = try #require(json["disclosures"]?.arrayValue, "\(listed.output)")
        let open = try #require(json["open"]?.arrayValue, "\(listed.output)")
        #expect(sealed.isEmpty && open.count == 1, "\(line)")
        let disclosures = sealed + open
        #expect(disclosures.allSatisfy { $0["recipient"]?.stringValue == "research-lab" && $0["purpose"]?.stringValue == "HRESCH" },
                "\(line)")
        #expect(disclosures.compactMap { $0["count"]?.numberValue }.reduce(0, +) == 5, "\(line)")
        #expect(line.contains("consent-research-1"), "\(line)")
    }

    /// The NDJSON sink's entry of `stats --json`.
    private func sink(_ workspace: AgentWorkspace) throws -> JSONValue? {
        let stats = try AgentBinary.run(["stats", "--json", "--data-dir", workspace.data], log: workspace.path("stats.txt"))
        let line = stats.output.split(separator: "\n").last { $0.hasPrefix("{") }.map(String.init) ?? ""
        return (try? JSONParser().parse(Array(line.utf8)))?["egress"]?.arrayValue?.first { $0["sink"]?.stringValue == "ndjson" }
    }

    private func waitFor(_ what: String, _ condition: () throws -> Bool) throws {
        for _ in 0..<100 {
            if try condition() { return }
            Thread.sleep(forTimeInterval: 0.2)
        }
        Issue.record("timed out waiting for \(what)")
    }

    private func waitForList(_ workspace: AgentWorkspace, _ config: String, _ text: String) throws {
        try waitFor(text) {
            try AgentBinary.runFromRoot(["consent", "list", "--patient", Self.patient, "--config", config],
                                        log: workspace.path("list.txt")).output.contains(text)
        }
    }

    /// Signs and pushes the fixture's document as `version` with `status`, in force from a day ago.
    private func push(_ workspace: AgentWorkspace, keys: String, broker: LocalBroker, version: Int, status: String) throws {
        let now = Int64(Date().timeIntervalSince1970 * 1000)
        let day: Int64 = 86_400_000
        let fixture = try String(contentsOf: AgentBinary.repositoryRoot
            .appendingPathComponent("Tests/ConsentDocumentsTests/Fixtures/consent-document.json"), encoding: .utf8)
            .replacingOccurrences(of: "\"gw-a\"", with: "\"gw-e2e\"")
            .replacingOccurrences(of: "\"version\": 3", with: "\"version\": \(version)")
            .replacingOccurrences(of: "\"status\": \"active\"", with: "\"status\": \"\(status)\"")
            .replacingOccurrences(of: "\"issued_at\": 1800000000000", with: "\"issued_at\": \(now - 60_000)")
            .replacingOccurrences(of: "\"expires\": 1800604800000", with: "\"expires\": \(now + 3_600_000)")
            .replacingOccurrences(of: "2027-01-15T08:00:00Z", with: UTCTimestamp.iso8601(milliseconds: now - day))
            .replacingOccurrences(of: "2027-07-15T08:00:00Z", with: UTCTimestamp.iso8601(milliseconds: now + day))
            .replacingOccurrences(of: "2027-01-01T00:00:00Z", with: UTCTimestamp.iso8601(milliseconds: now - 2 * day))
        let document = workspace.path("consent-\(version).json")
        try fixture.write(toFile: document, atomically: true, encoding: .utf8)
        let signed = workspace.path("consent-\(version).signed.json")
        let sign = try AgentBinary.runFromRoot(["consent", "sign", document, "--key", keys + "/consent-office.key",
                                                "--out", signed], log: workspace.log)
        #expect(sign.code == 0, "\(sign.output)")
        let pushed = try AgentBinary.runFromRoot(["consent", "push", signed, "--broker", broker.address.description],
                                                 log: workspace.path("push.txt"))
        #expect(pushed.code == 0, "\(pushed.output)")
    }
}
