import FoundationEssentials
import Glibc
import MQTT

/// Short-lived MQTT sessions for the operator tools (clean session, random client id).
enum FleetMQTT {
    static func options(_ broker: BrokerAddress) -> MQTTOptions {
        var options = MQTTOptions(broker: broker, clientID: "vitalgate-fleet-\(getpid())-\(UInt32.random(in: 0...UInt32.max))",
                                  persistentSession: false, connectTimeoutMs: 5_000)
        if broker.usesTLS { options.tls = MQTTOptions.TLS(caPath: "/etc/ssl/certs") }
        return options
    }

    /// Publishes `message` and returns once the broker acknowledged it (PUBACK).
    static func publishRetained(_ message: MQTTOptions.Message, broker: BrokerAddress, timeoutMs: Int = 10_000) throws {
        let client = try MQTTClient(options: options(broker))
        try client.connect()
        defer { client.disconnect() }
        try client.publish(message)
        try client.flush()
        let deadline = Date().addingTimeInterval(Double(timeoutMs) / 1000)
        while client.completedPublishes < 1 {
            guard Date() < deadline else { throw MQTTError(code: 0, operation: "publish", reason: "no PUBACK within \(timeoutMs) ms") }
            _ = try client.receive(timeoutMs: 50)
            try client.acknowledge()
        }
    }

    /// Subscribes to `filter` and returns what arrives within `waitMs` (retained messages first).
    static func collect(filter: String, broker: BrokerAddress, waitMs: Int) throws -> [InboundMessage] {
        let client = try MQTTClient(options: options(broker))
        try client.connect()
        defer { client.disconnect() }
        try client.subscribe(filter, qos: 1)
        var messages: [InboundMessage] = []
        let deadline = Date().addingTimeInterval(Double(waitMs) / 1000)
        while Date() < deadline {
            messages += try client.receive(timeoutMs: 50)
            try client.acknowledge()
        }
        return messages
    }
}
