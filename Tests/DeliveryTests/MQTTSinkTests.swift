import Delivery
import Foundation
import LocalBroker
import MQTT
import Telemetry
import Testing
import Vault
import VitalGateTesting

/// Issue 19, the upstream (cloud) MQTT sink: a second mosquitto plays the cloud broker.
@Suite struct MQTTSinkTests {
    static func sink(_ broker: BrokerAddress) -> MQTTSink {
        MQTTSink(options: MQTTOptions(broker: broker, clientID: "vitalgate-upstream-gw-1", connectTimeoutMs: 2000),
                 gatewayID: "gw-1", topicTemplate: "cloud/{gateway}/{kind}", confirmTimeoutMs: 5000)
    }

    @Test func everyRecordArrivesUpstreamInOrderWithItsRecordID() throws {
        let fixture = try DeliveryFixture(patients: 1, seconds: 30)
        let vault = try Vault(path: fixture.vaultPath, keys: fixture.keys)
        let cloud = try LocalBroker()
        let consumer = try MQTTTestClient.connect(cloud.address, id: "cloud-consumer")
        try consumer.subscribe("cloud/#", qos: 1)
        let worker = DeliveryWorker(configuration: .init(vaultPath: fixture.vaultPath, keys: fixture.keys, batchLimit: 40),
                                    sink: Self.sink(cloud.address))
        NDJSONDeliveryTests.drain(worker, vault)
        let expected = fixture.readings + fixture.alerts
        let received = try MQTTTestClient.collect(consumer, count: expected, timeoutMs: 10_000)
        #expect(received.count == expected)
        let records = try received.map { message -> Int in
            let json = try JSONParser().parse(message.payload)
            let record = try #require(json["record"]?.stringValue)
            #expect(message.topic.hasPrefix("cloud/gw-1/") && !message.topic.contains("MRN"))
            return Int(record.dropFirst("gw-1:".count))!
        }
        #expect(records == records.sorted() && Set(records).count == records.count, "in order, each once")
        let alert = try #require(received.first { $0.topic == "cloud/gw-1/alert" })
        #expect(try JSONParser().parse(alert.payload)["kind"]?.stringValue == "probe_off")
        #expect(try vault.sinkCursor("mqtt").delivered == Int64(expected))
    }

    @Test func anUpstreamThatIsDownHoldsTheCursorAndTheBacklogGoesOutWhenItReturns() throws {
        let fixture = try DeliveryFixture(patients: 1, seconds: 10)
        let vault = try Vault(path: fixture.vaultPath, keys: fixture.keys)
        let cloud = try LocalBroker()
        let address = cloud.address
        cloud.stop()
        let worker = DeliveryWorker(configuration: .init(vaultPath: fixture.vaultPath, keys: fixture.keys),
                                    sink: Self.sink(address))
        guard case .failed = worker.round(vault) else { Issue.record("delivery to a stopped broker succeeded"); return }
        #expect(try vault.sinkCursor("mqtt").lastID == 0)
        #expect(try vault.sinkCursor("mqtt").lastError?.contains("cannot connect to the broker") == true)
        #expect(worker.metrics.failures["unavailable"] == 1)
        // The cloud broker is back on the same port.
        let back = try LocalBroker(port: address.port)
        let consumer = try MQTTTestClient.connect(back.address, id: "cloud-consumer")
        try consumer.subscribe("cloud/#", qos: 1)
        NDJSONDeliveryTests.drain(worker, vault)
        let expected = fixture.readings + fixture.alerts
        #expect(try MQTTTestClient.collect(consumer, count: expected, timeoutMs: 10_000).count == expected)
        #expect(try vault.sinkCursor("mqtt").lastID == (try vault.newestRecordID()))
    }
}
