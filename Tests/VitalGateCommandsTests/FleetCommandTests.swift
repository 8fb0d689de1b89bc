import Foundation
import LocalBroker
import Telemetry
import Testing
import VitalGateTesting

/// The operator tools against the real agent binary: keygen, sign (adding a second operator's
/// signature to an envelope), push and status over a real broker.
@Suite struct FleetCommandTests {
    @Test func operatorsSignPushAndWatchTheOutcome() throws {
        let workspace = try AgentWorkspace()
        defer { workspace.remove() }
        let log = workspace.log
        let keys = workspace.path("operators")
        for name in ["alice", "bob"] {
            let made = try AgentBinary.run(["fleet", "keygen", "--name", name, "--out", keys], log: log)
            #expect(made.code == 0, "\(made.output)")
        }
        let secretMode = try FileManager.default.attributesOfItem(atPath: keys + "/alice.key")[.posixPermissions] as? Int
        #expect(secretMode == 0o600)
        #expect(try AgentBinary.run(["fleet", "keygen", "--name", "alice", "--out", keys], log: log).code != 0,
                "keygen must refuse to overwrite a key")

        // The gateway pins both public keys; detection needs both operators.
        let pinned = try ["alice", "bob"].map { name in
            try JSONParser().parse(try Data(contentsOf: URL(fileURLWithPath: "\(keys)/\(name).pub.json")))
        }
        let operators = JSONWriter.canonicalString(.object([
            ("keys", .array(pinned.map { .object([("name", $0["name"]!), ("public_key", $0["public_key"]!)]) })),
            ("thresholds", .object([("detection", .number(2))])),
        ]))
        try operators.write(toFile: workspace.path("operators.json"), atomically: true, encoding: .utf8)
        let data = workspace.data
        try AgentBinary.writeConfig(workspace.path("agent.conf"), id: "gw-cli", dataDir: data, extra: """
                [fleet]
                enabled = true
                operators_file = "\(workspace.path("operators.json"))"
                """)

        let broker = try LocalBroker()
        let agent = try AgentBinary.start(["run", "--config", workspace.path("agent.conf"),
                                           "--broker", broker.address.description], log: workspace.path("agent.txt"))
        defer { agent.terminate(signal: SIGTERM) }
        Thread.sleep(forTimeInterval: 0.5)

        func document(_ version: Int) throws -> String {
            let now = Int(Date().timeIntervalSince1970 * 1000)
            let path = workspace.path("doc-\(version).json")
            try """
                {"format": 1, "target": {"gateway": "gw-cli"}, "version": \(version),
                 "not_before": \(now - 60_000), "expires": \(now + 3_600_000),
                 "detection": {"enabled": true, "threshold": 0.9}}
                """.write(toFile: path, atomically: true, encoding: .utf8)
            return path
        }
        func status() throws -> JSONValue? {
            let out = try AgentBinary.run(["fleet", "status", "--broker", broker.address.description, "--json",
                                           "--wait-ms", "500"], log: workspace.path("status.txt"))
            return try JSONParser().parse(out.output.split(separator: "\n").last.map(String.init) ?? "")["gw-cli"]
        }
        func push(_ envelope: String) throws -> Int32? {
            try AgentBinary.run(["fleet", "push", envelope, "--broker", broker.address.description, "--gateway", "gw-cli"],
                                log: log).code
        }
        func waitForStatus(_ version: Int) throws -> JSONValue? {
            for _ in 0..<20 {
                if let report = try status(), report["version"]?.numberValue == Double(version) { return report }
            }
            return nil
        }

        // One signature is not enough for a detection threshold.
        let single = workspace.path("single.json")
        #expect(try AgentBinary.run(["fleet", "sign", try document(1), "--key", keys + "/alice.key", "--out", single],
                                    log: log).code == 0)
        #expect(try push(single) == 0)
        let rejected = try #require(try waitForStatus(1))
        #expect(rejected["status"]?.stringValue == "rejected" && rejected["code"]?.stringValue == "insufficient-signatures")

        // alice signs, bob adds his signature to the envelope: applied.
        let first = workspace.path("alice-only.json")
        let both = workspace.path("both.json")
        #expect(try AgentBinary.run(["fleet", "sign", try document(2), "--key", keys + "/alice.key", "--out", first],
                                    log: log).code == 0)
        #expect(try AgentBinary.run(["fleet", "sign", first, "--key", keys + "/bob.key", "--out", both], log: log).code == 0)
        #expect(try push(both) == 0)
        let applied = try #require(try waitForStatus(2))
        #expect(applied["status"]?.stringValue == "applied" && applied["running"]?["gateway:gw-cli"]?.numberValue == 2)

        // push refuses a document addressed to someone else.
        let wrong = try AgentBinary.run(["fleet", "push", both, "--broker", broker.address.description, "--gateway", "gw-x"],
                                        log: workspace.path("wrong.txt"))
        #expect(wrong.code != 0 && wrong.output.contains("targets gateway:gw-cli"), "\(wrong.output)")

        let table = try AgentBinary.run(["fleet", "status", "--broker", broker.address.description], log: workspace.path("t.txt"))
        #expect(table.output.contains("gw-cli") && table.output.contains("applied"), "\(table.output)")
    }
}
