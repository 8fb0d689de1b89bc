import Foundation
import HTTP
import LocalBroker
import MQTT
import Telemetry
import Testing
import Vault
import VitalGateTesting

/// Issue 19: `vitalgate run --fhir`, the real binary, against the test FHIR R4 server
/// (`Tests/DeliveryTests/Endpoint`), and alerts that outlive a crash.
@Suite(.serialized) struct FHIRDeliveryCommandTests {
    /// Polls `condition` every 50 ms for up to `seconds`.
    static func eventually(_ seconds: Double, _ condition: () throws -> Bool) rethrows -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if try condition() { return true }
            Thread.sleep(forTimeInterval: 0.05)
        }
        return try condition()
    }

    @Test func theAgentChartsWhatItStoresOnAFHIRServerAsValidResources() throws {
        let workspace = try AgentWorkspace()
        defer { workspace.remove() }
        let endpoint = try FHIREndpoint()
        let broker = try LocalBroker()
        let (agent, bridge) = try workspace.startAgent(
            ["--data-dir", workspace.data, "--gateway", "fhir-gw", "--schemas", AgentBinary.schemas, "--fhir", endpoint.baseURL],
            broker: broker, publishing: 0..<30)
        // Each OxiPatch reading: its SpO2 and its pulse rate; the patch itself once.
        let arrived = try Self.eventually(20) { try endpoint.count("Observation") >= 60 }
        agent.terminate(signal: SIGTERM)
        bridge.disconnect()
        #expect(arrived && agent.exitCode == 0)
        let stats = try endpoint.stats()
        #expect(stats["resources"] as? [String: Int] == ["Observation": 60, "Device": 1])
        #expect((stats["validation_errors"] as? [Any])?.isEmpty == true && stats["duplicates"] as? Int == 0)
        let status = try AgentBinary.run(["egress", "status", "--json", "--data-dir", workspace.data], log: workspace.path("egress.txt"))
        #expect(status.output.contains(#""sink":"fhir""#) && status.output.contains(#""delivered":30"#), "\(status.output)")
    }

    /// `http_proxy` in the agent's environment sends its uploads through that proxy (libcurl
    /// reads the usual variables): the FHIR URL names a host that does not resolve, which only
    /// the proxy can reach.
    @Test func uploadsGoThroughTheProxyTheEnvironmentNames() throws {
        let workspace = try AgentWorkspace()
        defer { workspace.remove() }
        let endpoint = try FHIREndpoint(arguments: ["--no-validate"])
        let proxy = try PythonServer(script: AgentBinary.repositoryRoot.appendingPathComponent(
            "Tests/VitalGateCommandsTests/Proxy/forward_proxy.py").path, arguments: ["--upstream", "127.0.0.1:\(endpoint.server.port)"])
        let broker = try LocalBroker()
        let agent = try AgentBinary.start(["run", "--data-dir", workspace.data, "--gateway", "proxy-gw", "--schemas",
                                           AgentBinary.schemas, "--fhir", "http://fhir.hospital.invalid/",
                                           "--broker", broker.address.description],
                                          log: workspace.log, environment: ["http_proxy": proxy.baseURL(), "no_proxy": ""])
        let bridge = try MQTTTestClient.connect(broker.address, id: "bridge")
        Thread.sleep(forTimeInterval: 0.5)
        try MQTTTestClient.publishAll(bridge, SampleTelemetry.oxiPatch(0..<10))
        let arrived = try Self.eventually(20) { try endpoint.count("Observation") >= 20 }
        agent.terminate(signal: SIGTERM)
        bridge.disconnect()
        #expect(arrived, "\((try? String(contentsOfFile: workspace.log, encoding: .utf8))?.suffix(1500) ?? "")\n\(proxy.log)")
        let client = try HTTPClient()
        let proxied = try client.send(HTTPRequest(method: "GET", url: proxy.baseURL() + "/_proxied"))
        #expect((Int(String(decoding: proxied.body, as: UTF8.self)) ?? 0) >= 1)
    }

    /// The agent is killed (SIGKILL) at random moments while it uploads, and restarted each time:
    /// the server ends up holding every reading exactly once.
    @Test func killedAtRandomWhileDeliveringTheServerHoldsEveryReadingOnce() throws {
        let workspace = try AgentWorkspace()
        defer { workspace.remove() }
        let endpoint = try FHIREndpoint()  // validating: each Bundle takes a while, so the kills land mid-upload
        let broker = try LocalBroker()
        let readings = 1500
        let arguments = ["--data-dir", workspace.data, "--gateway", "kill-gw", "--schemas", AgentBinary.schemas,
                         "--fhir", endpoint.baseURL]
        var (agent, bridge) = try workspace.startAgent(arguments, broker: broker, publishing: 0..<readings)
        var generator = SystemRandomNumberGenerator()
        var killedMidUpload = 0
        for kill in 0..<4 {
            let before = try endpoint.count("Observation")
            // Wait until the upload is under way, then kill at a random moment within it.
            // (Generous waits: after a kill the agent sends its whole delivery again, and the
            // validating server takes a while per Bundle on a machine busy with other suites.)
            guard try Self.eventually(60, { try endpoint.count("Observation") > before }) else { break }
            let delayMs = Int.random(in: 0..<400, using: &generator)
            Thread.sleep(forTimeInterval: Double(delayMs) / 1000)
            agent.terminate(signal: SIGKILL)
            agent.waitForExit()
            let atKill = try endpoint.count("Observation")
            if atKill < 2 * readings { killedMidUpload += 1 }
            print("kill \(kill) after \(delayMs) ms: \(atKill) of \(2 * readings) observations on the server")
            agent = try AgentBinary.start(["run"] + arguments + ["--broker", broker.address.description], log: workspace.log)
        }
        let complete = try Self.eventually(240) { try endpoint.count("Observation") >= 2 * readings }
        agent.terminate(signal: SIGTERM)
        bridge.disconnect()
        #expect(killedMidUpload >= 2, "the kills landed while uploading")
        #expect(complete)
        let stats = try endpoint.stats()
        // (Detection may add DetectedIssues: the restarts leave gaps in the stream.)
        let resources = stats["resources"] as? [String: Int] ?? [:]
        #expect(resources["Observation"] == 2 * readings && resources["Device"] == 1)
        #expect(stats["duplicates"] as? Int == 0)
        #expect((stats["validation_errors"] as? [Any])?.isEmpty == true)
        let identifiers = try endpoint.dump("Observation").compactMap { $0["identifier"] as? String }
        #expect(Set(identifiers).count == 2 * readings)
    }

    /// An alert stored whose publication never happened (the state a crash between the commit
    /// and the publication leaves) is published on the alerts topic when the agent starts, once.
    @Test func anAlertStoredBeforeACrashIsPublishedAfterTheRestartOnce() throws {
        let workspace = try AgentWorkspace()
        defer { workspace.remove() }
        let keys = try FileKeyStore.load(path: workspace.path("data/keys/gateway.keys"))
        let raised = Int64(Date().timeIntervalSince1970 * 1000)
        let line = #"{"t":\#(raised),"category":"clinical","kind":"desaturation","score":0.97,"device":"OXP-7F31A2"}"#
        do {
            let vault = try Vault(path: workspace.path("data/vault.sqlite"), keys: keys)
            _ = try vault.store([], alerts: [AlertRecord(at: raised, device: "OXP-7F31A2", patient: nil, category: "clinical",
                                                         kind: "desaturation", score: 0.97, body: Array(line.utf8))])
        }
        let broker = try LocalBroker()
        let nurse = try MQTTTestClient.connect(broker.address, id: "nurse-station")
        try nurse.subscribe("vitalgate/alert-gw/alerts", qos: 1)
        let arguments = ["--data-dir", workspace.data, "--gateway", "alert-gw", "--schemas", AgentBinary.schemas]
        let (agent, bridge) = try workspace.startAgent(arguments, broker: broker, publishing: 0..<0)
        let published = try MQTTTestClient.collect(nurse, count: 1, timeoutMs: 10_000)
        agent.terminate(signal: SIGTERM)
        #expect(agent.exitCode == 0)
        let alert = try JSONParser().parse(try #require(published.first).payload)
        #expect(alert["kind"]?.stringValue == "desaturation" && alert["t"]?.numberValue == Double(raised))
        // Its cursor moved: the next start publishes nothing again.
        let (again, bridge2) = try workspace.startAgent(arguments, broker: broker, publishing: 0..<0)
        #expect(try MQTTTestClient.collect(nurse, count: 1, timeoutMs: 1500).isEmpty)
        again.terminate(signal: SIGTERM)
        bridge.disconnect()
        bridge2.disconnect()
    }
}

/// Issue 19: `vitalgate export --fhir` for an offline hand-off, as NDJSON and as a transaction
/// Bundle that a FHIR server takes (and takes again without duplicates).
@Suite struct ExportFHIRTests {
    @Test func exportsValidResourcesAsNDJSONAndAsABundleAServerTakesOnce() throws {
        let workspace = try AgentWorkspace()
        defer { workspace.remove() }
        let broker = try LocalBroker()
        let (agent, bridge) = try workspace.startAgent(["--data-dir", workspace.data, "--gateway", "export-gw",
                                                        "--schemas", AgentBinary.schemas], broker: broker, publishing: 0..<12)
        Thread.sleep(forTimeInterval: 1.5)
        agent.terminate(signal: SIGTERM)
        bridge.disconnect()

        let ndjson = workspace.path("Observation.ndjson")
        let exported = try AgentBinary.run(["export", "--data-dir", workspace.data, "--fhir", "ndjson", "--gateway", "export-gw",
                                            "--out", ndjson], log: workspace.path("export.txt"))
        #expect(exported.code == 0 && exported.output.contains("exported 12 readings as 25 FHIR resources"), "\(exported.output)")
        let (passed, report) = try FHIRValidator.validate([ndjson])
        #expect(passed, "\((report["errors"] as? [String])?.prefix(5) ?? [])")
        #expect(report["resources"] as? [String: Int] == ["Observation": 24, "Device": 1])

        let bundle = workspace.path("bundle.json")
        let asBundle = try AgentBinary.run(["export", "--data-dir", workspace.data, "--fhir", "bundle", "--gateway", "export-gw",
                                            "--out", bundle], log: workspace.path("export-bundle.txt"))
        #expect(asBundle.code == 0)
        let endpoint = try FHIREndpoint()
        let client = try HTTPClient()
        for _ in 0..<2 {
            let response = try client.send(HTTPRequest(method: "POST", url: endpoint.baseURL,
                                                       headers: [("Content-Type", "application/fhir+json")],
                                                       body: Array(try Data(contentsOf: URL(fileURLWithPath: bundle)))))
            #expect(response.status == 200, "\(String(decoding: response.body.prefix(500), as: UTF8.self))")
        }
        let stats = try endpoint.stats()
        #expect(stats["resources"] as? [String: Int] == ["Observation": 24, "Device": 1] && stats["duplicates"] as? Int == 0)

        let noGateway = try AgentBinary.run(["export", "--data-dir", workspace.data, "--fhir", "ndjson"], log: workspace.path("e.txt"))
        #expect(noGateway.code != 0 && noGateway.output.contains("--fhir needs --gateway"))
    }
}
