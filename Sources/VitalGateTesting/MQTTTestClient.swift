public import MQTT

/// Helpers for driving real MQTT clients in tests.
public enum MQTTTestClient {
    /// A connected client with a unique id (clean session unless `persistent`).
    public static func connect(_ broker: BrokerAddress, id: String, persistent: Bool = false,
                               version: MQTTOptions.ProtocolVersion = .v5) throws -> MQTTClient {
        let client = try MQTTClient(options: MQTTOptions(broker: broker, clientID: id, protocolVersion: version,
                                                         persistentSession: persistent))
        try client.connect()
        return client
    }

    /// Publishes `messages` at QoS 1 and waits until the broker has acknowledged all of them.
    public static func publishAll(_ client: MQTTClient, _ messages: [MQTTOptions.Message],
                                  timeoutMs: Int = 20_000) throws {
        let target = client.completedPublishes + messages.count
        var index = 0
        let clock = ContinuousClock()
        let deadline = clock.now + .milliseconds(timeoutMs)
        while client.completedPublishes < target {
            // Keep a bounded window in flight.
            while index < messages.count && index - (client.completedPublishes - (target - messages.count)) < 50 {
                try client.publish(messages[index])
                index += 1
            }
            try client.flush()
            _ = try client.receive(timeoutMs: 10)
            try client.acknowledge()
            // Wall time: a round returns early whenever an acknowledgement arrives.
            if clock.now > deadline { throw MQTTError(code: -1, operation: "publishAll", reason: "timeout") }
        }
    }

    /// Receives and acknowledges until `count` messages arrived or the timeout passed.
    public static func collect(_ client: MQTTClient, count: Int, timeoutMs: Int = 10_000) throws -> [InboundMessage] {
        var received: [InboundMessage] = []
        let clock = ContinuousClock()
        let deadline = clock.now + .milliseconds(timeoutMs)  // wall time: a round returns early when messages arrive
        while received.count < count && clock.now < deadline {
            received += try client.receive(timeoutMs: 20)
            try client.acknowledge()
        }
        return received
    }
}
