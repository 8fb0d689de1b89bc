import Foundation
import HTTP
import HTTPServer
import LocalBroker
import Logging
import MQTT
import Testing
@testable import VitalGateCommands
import VitalGateTesting

/// Issue 22, items 4, 5 and 7: the running agent's HTTP endpoints, read as Prometheus, a
/// supervisor and a technician's browser would, and its whole output searched for patient data.
@Suite struct MonitorEndpointTests {
    private func get(_ url: String) throws -> (status: Int, text: String) {
        let response = try HTTPClient(options: .init(timeoutMs: 5000)).send(HTTPRequest(method: "GET", url: url))
        return (response.status, String(decoding: response.body, as: UTF8.self))
    }

    /// Polls `url` until `done` holds for the answer (at most `seconds`).
    private func poll(_ url: String, seconds: Double = 20, until done: (Int, String) -> Bool) throws -> (Int, String) {
        let deadline = Date().addingTimeInterval(seconds)
        var last = (0, "")
        while Date() < deadline {
            if let answer = try? get(url) {
                last = answer
                if done(answer.status, answer.text) { return answer }
            }
            Thread.sleep(forTimeInterval: 0.2)
        }
        return last
    }

    @Test func theAgentsMetricsPassPromtoolAndReadinessFollowsTheBroker() throws {
        let workspace = try AgentWorkspace()
        defer { workspace.remove() }
        let broker = try LocalBroker()
        let address = ListenAddress(host: "127.0.0.1", port: try ListenAddress.freePort(host: "127.0.0.1"))
        let (agent, bridge) = try workspace.startAgent(["--data-dir", workspace.data, "--gateway", "http-gw", "--http", address.description,
                                                        "--no-detection"], broker: broker, publishing: 0..<200)
        defer {
            bridge.disconnect()
            agent.terminate(signal: SIGKILL)
        }
        let base = "http://\(address)"
        let (_, metrics) = try poll(base + "/metrics") { status, text in
            status == 200 && text.contains("vitalgate_readings_stored_total 200\n")
        }
        #expect(metrics.contains("vitalgate_readings_stored_total 200\n"), "\(metrics.prefix(3000))")
        let (passed, output) = try ExternalTools.promtoolCheckMetrics(metrics)
        #expect(passed && output.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty, "promtool: \(output)")
        #expect(metrics.contains("vitalgate_broker_connected 1\n"))
        #expect(metrics.contains("vitalgate_batch_commit_duration_seconds_count "))
        #expect(metrics.contains("vitalgate_delivery_backlog_records{sink=\"local-alerts\"} 0\n"))
        #expect(!metrics.contains("MRN-") && !metrics.contains("OXP-7F31A2"))
        #expect(try poll(base + "/readyz") { status, _ in status == 200 }.0 == 200)
        #expect(try get(base + "/healthz").status == 200)

        broker.stop()
        let (status, readiness) = try poll(base + "/readyz") { status, _ in status == 503 }
        #expect(status == 503 && readiness.contains("FAIL broker: not connected to the local broker"), "\(readiness)")
        #expect(try get(base + "/healthz").status == 200)  // reconnecting is progress: a supervisor leaves it be
        #expect(try poll(base + "/metrics") { _, text in text.contains("vitalgate_broker_connected 0\n") }.1
            .contains("vitalgate_broker_connected 0\n"))
    }

    @Test func aTechnicianSeesTheDemoInABrowserAndNothingAnywhereNamesAPatient() throws {
        let dir = try TemporaryDirectory(prefix: "vitalgate-page")
        defer { dir.remove() }
        let address = ListenAddress(host: "127.0.0.1", port: try ListenAddress.freePort(host: "127.0.0.1"))
        let data = dir.appending("demo").path
        let demo = try AgentBinary.start(["demo", "--duration", "25", "--patients", "3", "--data-dir", data,
                                          "--http", address.description, "--log-format", "json"],
                                         log: dir.appending("demo.txt").path)
        defer { demo.terminate(signal: SIGKILL) }
        let base = "http://\(address)"
        // Wait until every bed has a chart, then let the browser load the page as a technician would.
        _ = try poll(base + "/", seconds: 30) { status, text in status == 200 && text.components(separatedBy: "<polyline class=\"hr\"").count > 3 }
        let screenshot = dir.appending("status-page.png").path
        let dom = try ExternalTools.chromiumDOM(base + "/", screenshot: screenshot)
        #expect(dom.contains("<span id=\"gateway\">demo-gw</span>"))
        #expect(dom.contains("<td class=\"ok\">connected</td>"))
        for bed in ["ICU-1", "ICU-2", "ICU-3"] { #expect(dom.contains("data-bed=\"\(bed)\""), "\(bed) missing") }
        #expect(dom.components(separatedBy: "class=\"muted pseudonym\">patient ").count == 4)
        #expect(dom.contains("OxiPatch") && dom.contains("CardioStrip"))
        #expect(dom.contains("<svg class=\"chart\""))
        #expect(dom.contains("Delivery: ndjson") && !dom.contains("(not running)"))
        let png = try Data(contentsOf: URL(fileURLWithPath: screenshot))
        #expect(png.count > 10_000 && png.starts(with: [0x89, 0x50, 0x4E, 0x47]))
        let metrics = try get(base + "/metrics").text
        let readiness = try get(base + "/readyz").text
        demo.waitForExit()
        #expect(demo.exitCode == 0, "\(String(decoding: (try? Data(contentsOf: dir.appending("demo.txt"))) ?? Data(), as: UTF8.self))")

        // Item 7: the page, the metrics, the health answers, the agent's whole log and the demo's
        // output: no MRN anywhere (the simulator's are all `MRN-…`), and no payload in any but the page.
        let agentLog = try String(contentsOfFile: data + "/agent.log", encoding: .utf8)
        let demoOutput = try String(contentsOf: dir.appending("demo.txt"), encoding: .utf8)
        #expect(agentLog.split(separator: "\n").filter { $0.hasPrefix("{") }.count >= 3, "the log is JSON lines")
        for (name, text) in [("page", dom), ("metrics", metrics), ("readyz", readiness), ("agent log", agentLog),
                             ("demo output", demoOutput)] {
            #expect(!text.contains("MRN-"), "an MRN in the \(name)")
        }
        for (name, text) in [("metrics", metrics), ("agent log", agentLog), ("demo output", demoOutput)] {
            for fragment in ["\"spo2\":", "\"SpO2\":", "\"hr\":", "\"temp_c\":", "\"sys\":", "\"uV\":", "\"patient\":"] {
                #expect(!text.contains(fragment), "a payload fragment \(fragment) in the \(name)")
            }
        }
    }

    @Test func aJSONLogLineHasItsFieldsInOrderAndMetadataCannotShadowThem() {
        let event = LogEvent(level: .warning, message: "connect failed; retrying",
                             metadata: ["delay_ms": "500", "msg": "shadow"], source: "VitalGateCommands",
                             file: #fileID, function: #function, line: #line)
        let line = JSONLogHandler.line(event, label: "vitalgate.ingest", handlerMetadata: ["gateway": "gw-1"], at: 1_796_000_000_123)
        #expect(line == #"{"ts":"2026-11-30T00:53:20.123Z","level":"warning","logger":"vitalgate.ingest","msg":"connect failed; retrying","delay_ms":"500","gateway":"gw-1","meta.msg":"shadow"}"# + "\n")
    }
}
