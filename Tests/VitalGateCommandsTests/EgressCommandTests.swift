import Foundation
import LocalBroker
import MQTT
import Telemetry
import Testing
import VitalGateTesting

/// Issue 19: `vitalgate run` with an NDJSON sink, the real binary from outside the checkout.
@Suite struct EgressCommandTests {
    @Test func theAgentDeliversWhatItStoresAsValidFHIRAndPicksUpItsCursorAfterARestart() throws {
        let workspace = try AgentWorkspace()
        defer { workspace.remove() }
        let out = workspace.path("fhir")
        let config = workspace.path("vitalgate.conf")
        try """
            [gateway]
            id = "egress-gw"
            data_dir = "\(workspace.data)"
            [schemas]
            directory = "\(AgentBinary.schemas)"
            [egress]
            ndjson = "\(out)"
            ndjson_max_age_seconds = 3600
            patient_identifier_system = "urn:oid:2.16.840.1.113883.19.5"
            """.write(toFile: config, atomically: true, encoding: .utf8)
        let broker = try LocalBroker()
        // The files wait an hour for more: the clean stop delivers them.
        let (agent, bridge) = try workspace.startAgent(["--config", config], broker: broker, publishing: 0..<10)
        Thread.sleep(forTimeInterval: 1.5)
        agent.terminate(signal: SIGTERM)
        #expect(agent.exitCode == 0)
        // A second run takes the next readings from its cursor: nothing is written twice.
        let (second, bridge2) = try workspace.startAgent(["--config", config], broker: broker, publishing: 10..<20)
        Thread.sleep(forTimeInterval: 1.5)
        second.terminate(signal: SIGTERM)
        #expect(second.exitCode == 0)
        bridge.disconnect()
        bridge2.disconnect()

        let (passed, report) = try FHIRValidator.validate([out])
        #expect(passed, "\((report["errors"] as? [String])?.prefix(5) ?? [])")
        let observations = try #require(report["observations"] as? [[String: Any]])
        // Each OxiPatch reading: its SpO2 and its pulse rate, charted for the paired patient.
        #expect(observations.count == 40, "\(observations.count) observations")
        #expect(observations.allSatisfy { $0["subject"] as? String == "MRN-7" })
        let identifiers = try #require(report["identifiers"] as? [String: Int])
        #expect(identifiers.filter { $0.key.contains(":observation|") }.values.allSatisfy { $0 == 1 })
        let stats = try AgentBinary.run(["stats", "--json", "--data-dir", workspace.data], log: workspace.path("stats.txt"))
        let line = stats.output.split(separator: "\n").last { $0.hasPrefix("{") }.map(String.init) ?? ""
        let json = try #require(try? JSONParser().parse(Array(line.utf8)), "\(stats.output)")
        let sink = try #require(json["egress"]?.arrayValue?.first { $0["sink"]?.stringValue == "ndjson" })
        #expect(sink["sink"]?.stringValue == "ndjson" && sink["backlog"]?.numberValue == 0)
        #expect(sink["delivered"]?.numberValue == 20 && sink["dead_letters"]?.numberValue == 0, "\(line)")
        let status = try AgentBinary.run(["egress", "status", "--json", "--data-dir", workspace.data],
                                         log: workspace.path("egress.txt"))
        let statusLine = status.output.split(separator: "\n").last { $0.hasPrefix("{") }.map(String.init) ?? ""
        let egress = try #require(try? JSONParser().parse(Array(statusLine.utf8)), "\(status.output)")
        let ndjson = try #require(egress["sinks"]?.arrayValue?.first { $0["sink"]?.stringValue == "ndjson" })
        #expect(ndjson["backlog"]?.numberValue == 0 && ndjson["dead_letter_list"]?.arrayValue?.isEmpty == true)
        #expect(ndjson["last_success_at"]?.numberValue != nil && ndjson["last_error"]?.isNull == true, "\(statusLine)")
    }
}

/// Issue 19: `vitalgate run --upstream`, a second mosquitto playing the cloud broker.
@Suite struct UpstreamCommandTests {
    @Test func theAgentForwardsWhatItStoresToTheUpstreamBrokerOnce() throws {
        let workspace = try AgentWorkspace()
        defer { workspace.remove() }
        let local = try LocalBroker()
        let cloud = try LocalBroker()
        let consumer = try MQTTTestClient.connect(cloud.address, id: "cloud-consumer")
        try consumer.subscribe("vitalgate/upstream-gw/#", qos: 1)
        let (agent, bridge) = try workspace.startAgent(
            ["--data-dir", workspace.data, "--gateway", "upstream-gw", "--schemas", AgentBinary.schemas,
             "--upstream", cloud.address.description], broker: local, publishing: 0..<10)
        let received = try MQTTTestClient.collect(consumer, count: 10, timeoutMs: 15_000)
        agent.terminate(signal: SIGTERM)
        #expect(agent.exitCode == 0)
        bridge.disconnect()
        #expect(received.count == 10 && received.allSatisfy { $0.topic == "vitalgate/upstream-gw/vitals" })
        let seqs = try received.map { try #require(JSONParser().parse($0.payload)["seq"]?.numberValue) }
        #expect(seqs == (0..<10).map(Double.init), "in order, each once")
        #expect(try MQTTTestClient.collect(consumer, count: 1, timeoutMs: 500).isEmpty, "nothing twice")
    }
}

/// Issue 19: the demo delivers what it stores as FHIR R4 NDJSON (its embedded default sink) and says so.
@Suite struct DemoDeliveryTests {
    @Test func theDemoShowsWhatItDeliveredAndTheFilesValidate() throws {
        let dir = try TemporaryDirectory()
        defer { dir.remove() }
        let data = dir.appending("demo").path
        let demo = try AgentBinary.run(["demo", "--json", "--duration", "6", "--patients", "2", "--data-dir", data,
                                        "--schemas", AgentBinary.schemas], log: dir.appending("demo.txt").path)
        #expect(demo.code == 0, "\(demo.output.suffix(2000))")
        let line = demo.output.split(separator: "\n").last { $0.hasPrefix("{") }.map(String.init) ?? ""
        let summary = try #require(try? JSONParser().parse(Array(line.utf8)), "\(demo.output.suffix(2000))")
        let readings = try #require(summary["readings"]?.numberValue)
        let alerts = try #require(summary["alerts"]?.numberValue)
        #expect(readings > 0 && summary["clean_stop"]?.boolValue == true)
        #expect(summary["delivered_fhir_ndjson"]?.numberValue == readings + alerts && summary["delivery_backlog"]?.numberValue == 0)
        let (passed, report) = try FHIRValidator.validate([try #require(summary["delivery_dir"]?.stringValue)])
        #expect(passed, "\((report["errors"] as? [String])?.prefix(5) ?? [])")
    }
}
