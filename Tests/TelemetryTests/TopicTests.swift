import Telemetry
import Testing

@Suite struct TopicTests {
    @Test("device topics parse into device and kind, and print back the same", arguments: MessageKind.allCases)
    func validTopics(kind: MessageKind) throws {
        for device in ["CST-0A1B2C", "abc", String(repeating: "Z9-", count: 21) + "x"] {
            let topic = "wban/v1/\(device)/\(kind.rawValue)"
            let parsed = try #require(DeviceTopic(topic), "\(topic)")
            #expect(parsed.device.rawValue == device && parsed.kind == kind)
            #expect(parsed.topic == topic)
        }
    }

    @Test("anything else is not a device topic", arguments: [
        "", "wban/v1/", "wban/v1/CST-1", "wban/v1/CST-1/", "wban/v1//vitals", "wban/v1/ab/vitals",
        "wban/v1/\(String(repeating: "a", count: 65))/vitals", "wban/v1/CST 1/vitals", "wban/v1/CST_1/vitals",
        "wban/v1/CSTé1/vitals", "wban/v1/CST-1/vital", "wban/v1/CST-1/vitalsx", "wban/v1/CST-1/Vitals",
        "wban/v1/CST-1/vitals/extra", "WBAN/v1/CST-1/vitals", "wban/v2/CST-1/vitals", "xwban/v1/CST-1/vitals",
        "wban/v1CST-1/vitals",
    ])
    func invalidTopics(topic: String) {
        #expect(DeviceTopic(topic) == nil)
    }
}

/// The gateway's own topics come from one type; none carries a patient.
@Suite struct GatewayTopicsTests {
    @Test func everyTopicIsUnderTheGatewaysPrefix() {
        let topics = GatewayTopics(gateway: "gw-7")
        #expect([topics.status, topics.alerts, topics.checkpoint, topics.metrics, topics.configDesired, topics.configReported]
            == ["vitalgate/gw-7/status", "vitalgate/gw-7/alerts", "vitalgate/gw-7/checkpoint", "vitalgate/gw-7/metrics",
                "vitalgate/gw-7/config/desired", "vitalgate/gw-7/config/reported"])
        #expect(GatewayTopics.configDesired(group: "ward-3") == "vitalgate/groups/ward-3/config/desired")
        #expect(GatewayTopics.everyConfigReported == "vitalgate/+/config/reported")
    }
}
