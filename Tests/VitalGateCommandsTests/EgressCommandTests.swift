import Fleet
import Foundation
import LocalBroker
import MQTT
import Telemetry
import Testing
import Vault
@testable import VitalGateCommands
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
        // Consent (issue 21): under the default policy the ndjson recipient is a treatment recipient.
        #expect(sink["consent"]?["held"]?.numberValue == 0 && sink["consent"]?["skipped"]?.numberValue == 0, "\(line)")
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

/// Issue 19: a backlog of 100,000 readings, stored while the upstream broker is down, goes out
/// once it is back: every reading once, each patient's in order.
@Suite struct UpstreamOutageTests {
    @Test func aBacklogOf100000ReadingsWaitsForTheUpstreamAndArrivesOnceInOrder() throws {
        let workspace = try AgentWorkspace()
        defer { workspace.remove() }
        let local = try LocalBroker()
        // The cloud broker keeps the consumer's session across its outage (persistence on disk).
        let cloudDirectory = try TemporaryDirectory(prefix: "vitalgate-cloud")
        defer { cloudDirectory.remove() }
        let port = try LocalBroker.freeLoopbackPort()
        var cloud: LocalBroker? = try LocalBroker(directory: cloudDirectory.url, port: port, persistent: true)
        let consumerID = "cloud-consumer"
        do {
            let consumer = try MQTTTestClient.connect(try #require(cloud).address, id: consumerID, persistent: true)
            try consumer.subscribe("vitalgate/outage-gw/#", qos: 1)
            // `subscribe` does not wait for the SUBACK: a disconnect right after it may go before the
            // SUBSCRIBE, and the cloud then keeps a session without the subscription, which takes
            // the backlog and routes it nowhere. A probe on the filter, come back, proves it is in.
            _ = try consumer.publish(MQTTOptions.Message(topic: "vitalgate/outage-gw/probe", payload: [1], qos: 1))
            try consumer.flush()
            #expect(try MQTTTestClient.collect(consumer, count: 1, timeoutMs: 10_000).count == 1, "the subscription is in place")
            consumer.disconnect()
        }
        cloud?.stop()  // the outage starts
        cloud = nil
        // The port stays ours while the cloud is down: another test's broker taking it would
        // receive (and acknowledge) the backlog in the cloud's place.
        let reservation = try PortReservation(port: port)
        let perPatient = 50_000
        let upstream = "mqtt://127.0.0.1:\(port)"
        let agent = try AgentBinary.start(["run", "--data-dir", workspace.data, "--gateway", "outage-gw", "--schemas",
                                           AgentBinary.schemas, "--upstream", upstream, "--no-detection",
                                           "--broker", local.address.description], log: workspace.log)
        defer { agent.terminate(signal: SIGKILL) }
        let bridge = try MQTTTestClient.connect(local.address, id: "bridge")
        let first = SampleTelemetry.oxiPatch(0..<perPatient, device: "OXP-000001", patient: "MRN-1")
        let second = SampleTelemetry.oxiPatch(0..<perPatient, device: "OXP-000002", patient: "MRN-2")
        var interleaved = Array(first.prefix(2)) + Array(second.prefix(2))
        for index in 2..<first.count { interleaved += [first[index], second[index]] }
        Thread.sleep(forTimeInterval: 0.5)
        try MQTTTestClient.publishAll(bridge, interleaved, timeoutMs: 300_000)
        // Everything stored and waiting for the upstream.
        var backlog = 0.0
        let deadline = Date().addingTimeInterval(120)
        while Date() < deadline {
            let status = try AgentBinary.run(["egress", "status", "--json", "--data-dir", workspace.data],
                                             log: workspace.path("egress.txt"))
            let line = status.output.split(separator: "\n").last { $0.hasPrefix("{") }.map(String.init) ?? ""
            let sink = (try? JSONParser().parse(Array(line.utf8)))?["sinks"]?.arrayValue?.first { $0["sink"]?.stringValue == "mqtt" }
            backlog = sink?["backlog"]?.numberValue ?? 0
            if backlog >= Double(2 * perPatient) { break }
            Thread.sleep(forTimeInterval: 0.5)
        }
        #expect(backlog == Double(2 * perPatient), "the backlog while the upstream is down")

        // The upstream returns on the same address; the agent finds it by itself.
        reservation.release()
        cloud = try LocalBroker(directory: cloudDirectory.url, port: port, persistent: true)
        let consumer = try MQTTTestClient.connect(try #require(cloud).address, id: consumerID, persistent: true)
        #expect(consumer.sessionPresent, "the cloud's persisted session, with its subscription")
        // Up to a minute for the worker's backoff, then the backlog from a thread below every
        // other (SCHED_IDLE): generous, for a CI machine running other suites beside this one.
        let received = try MQTTTestClient.collect(consumer, count: 2 * perPatient, timeoutMs: 480_000)
        if received.count != 2 * perPatient {
            // What the agent's upstream worker saw (its log and cursor carry no patient data).
            let status = try AgentBinary.run(["egress", "status", "--json", "--data-dir", workspace.data],
                                             log: workspace.path("egress.txt"))
            let log = (try? String(contentsOfFile: workspace.log, encoding: .utf8)) ?? ""
            let brokerLog = (try? String(contentsOf: cloudDirectory.appending("mosquitto.log"), encoding: .utf8)) ?? ""
            Issue.record("""
                received \(received.count); the consumer's session present: \(consumer.sessionPresent)
                cloud broker log: \(brokerLog.suffix(1500))
                egress status: \(status.output.suffix(1500))
                agent log: \(log.split(separator: "\n").filter { $0.contains("sink=mqtt") || $0.contains("error") }.suffix(30)
                    .joined(separator: "\n"))
                """)
        }
        #expect(try MQTTTestClient.collect(consumer, count: 1, timeoutMs: 1000).isEmpty, "nothing twice")
        var sequences: [String: [Int]] = [:]
        for message in received {
            let json = try JSONParser().parse(message.payload)
            sequences[json["patient"]?.stringValue ?? "-", default: []].append(Int(json["seq"]?.numberValue ?? -1))
        }
        #expect(received.count == 2 * perPatient)
        #expect(sequences["MRN-1"] == Array(0..<perPatient) && sequences["MRN-2"] == Array(0..<perPatient),
                "each patient's readings once, in order")
        bridge.disconnect()
        consumer.disconnect()
        agent.terminate(signal: SIGTERM)
        #expect(agent.exitCode == 0)
    }
}

/// Issue 19: the supervisor of `run`'s delivery workers switches them when a fleet `egress`
/// section arrives (here handed over directly; `FleetEgressTests` covers the fleet's side).
@Suite struct EgressSupervisorTests {
    @Test func aFleetSectionStartsAnUpstreamAndItsRemovalStopsIt() throws {
        let workspace = try AgentWorkspace()
        defer { workspace.remove() }
        let local = try LocalBroker()
        let (agent, bridge) = try workspace.startAgent(["--data-dir", workspace.data, "--gateway", "sup-gw", "--schemas",
                                                        AgentBinary.schemas], broker: local, publishing: 0..<10)
        Thread.sleep(forTimeInterval: 1.5)
        agent.terminate(signal: SIGTERM)
        bridge.disconnect()

        var config = AgentConfig()
        config.gateway.id = "sup-gw"
        config.gateway.dataDirectory = workspace.data
        let keys = try FileKeyStore.load(path: DataPaths(workspace.data).keyFile)
        let supervisor = EgressSupervisor(base: config, keys: keys)
        try supervisor.start()  // the local [egress]: no sinks
        let cloud = try LocalBroker()
        let consumer = try MQTTTestClient.connect(cloud.address, id: "cloud-consumer")
        try consumer.subscribe("site/#", qos: 1)
        #expect(throws: ConfigRejection.self) {
            try supervisor.check(ConfigSections.Egress(fhir: "", upstream: "mqtt://", upstreamTopic: nil))
        }
        let section = ConfigSections.Egress(fhir: "", upstream: cloud.address.description, upstreamTopic: "site/{gateway}/{kind}")
        try supervisor.check(section)
        supervisor.apply(section)
        let received = try MQTTTestClient.collect(consumer, count: 10, timeoutMs: 15_000)
        #expect(received.count == 10 && received.allSatisfy { $0.topic == "site/sup-gw/vitals" })
        supervisor.apply(nil)  // back to the local configuration: no upstream
        Thread.sleep(forTimeInterval: 0.5)
        supervisor.stop()
        let vault = try Vault(path: DataPaths(workspace.data).vault, keys: keys)
        #expect(try vault.sinkCursor("mqtt").delivered == 10)
    }
}
