public import MQTT

/// The behaviour of a `MessageTransport` the ingest pipeline relies on, checked the same way
/// against every backend: libmosquitto on a real mosquitto, and the `InMemoryBroker` the
/// pipeline-rule tests use (so that the model cannot drift from the real thing).
///
/// Each check returns a list of the ways the backend broke the contract (empty: kept).
public struct MessageTransportContract {
    /// Makes a transport with the given client id (persistent session).
    public let makeTransport: (String) throws -> any MessageTransport
    /// Publishes as a device would, from another client.
    public let publish: ([MQTTOptions.Message]) throws -> Void

    public init(makeTransport: @escaping (String) throws -> any MessageTransport,
                publish: @escaping ([MQTTOptions.Message]) throws -> Void) {
        self.makeTransport = makeTransport
        self.publish = publish
    }

    /// Receives until `count` messages came or about `timeoutMs` passed.
    public static func receive(_ transport: any MessageTransport, count: Int, timeoutMs: Int = 5000) throws -> [InboundMessage] {
        var messages: [InboundMessage] = []
        var waited = 0
        while messages.count < count && waited < timeoutMs {
            messages += try transport.receive(timeoutMs: 50, maxMessages: 256)
            waited += 50
        }
        return messages
    }

    private static func payloads(_ messages: [InboundMessage]) -> [String] {
        messages.map { String(decoding: $0.payload, as: UTF8.self) }
    }

    /// Messages received and not acknowledged come again after an abort; acknowledged ones do not.
    public func unacknowledgedMessagesComeAgain(topic: String) throws -> [String] {
        var broken: [String] = []
        let transport = try makeTransport("contract-redelivery")
        try transport.connect()
        try transport.subscribe(topic, qos: 1)
        try transport.flush()
        let sent = (1...3).map { MQTTOptions.Message(topic: topic, payload: Array("m\($0)".utf8)) }
        try publish(sent)
        let first = try Self.receive(transport, count: 3)
        if Self.payloads(first) != ["m1", "m2", "m3"] { broken.append("first delivery: \(Self.payloads(first))") }
        if transport.unacknowledgedCount != first.count { broken.append("unacknowledged count \(transport.unacknowledgedCount)") }
        transport.abortConnection(awaitingConfirmationsMs: 0)
        if transport.isConnected { broken.append("connected after an abort") }
        try transport.reconnect()
        let again = try Self.receive(transport, count: 3)
        if Self.payloads(again) != ["m1", "m2", "m3"] { broken.append("after the abort: \(Self.payloads(again))") }
        try transport.acknowledge()
        if transport.unacknowledgedCount != 0 { broken.append("unacknowledged after acknowledge()") }
        // Nothing else comes on this connection meanwhile. (Waiting also lets the broker read the
        // acknowledgements: a reconnect at once can take the session over before mosquitto has
        // read the old socket's last packets, and it then sends those messages again.)
        let more = try Self.receive(transport, count: 1, timeoutMs: 300)
        if !more.isEmpty { broken.append("after acknowledge(): \(Self.payloads(more))") }
        transport.disconnect()
        try transport.reconnect()
        let after = try Self.receive(transport, count: 1, timeoutMs: 500)
        if !after.isEmpty { broken.append("acknowledged messages came again: \(Self.payloads(after))") }
        transport.disconnect()
        return broken
    }

    /// A retained message is delivered, flagged retained, to a client that subscribes later;
    /// a client's publication reaches other subscribers.
    public func retainedMessagesAndPublications(topic: String) throws -> [String] {
        var broken: [String] = []
        try publish([MQTTOptions.Message(topic: topic, payload: Array("kept".utf8), retain: true)])
        let transport = try makeTransport("contract-retained")
        try transport.connect()
        try transport.subscribe(topic, qos: 1)
        let retained = try Self.receive(transport, count: 1)
        if Self.payloads(retained) != ["kept"] || retained.first?.retain != true {
            broken.append("retained: \(Self.payloads(retained)) retain=\(retained.map(\.retain))")
        }
        try transport.acknowledge()
        let listener = try makeTransport("contract-listener")
        try listener.connect()
        try listener.subscribe(topic + "/echo", qos: 1)
        try listener.flush()
        try transport.publish(MQTTOptions.Message(topic: topic + "/echo", payload: Array("hello".utf8)))
        try transport.flush()
        let echoed = try Self.receive(listener, count: 1)
        if Self.payloads(echoed) != ["hello"] { broken.append("publication: \(Self.payloads(echoed))") }
        try listener.acknowledge()
        listener.disconnect()
        transport.disconnect()
        return broken
    }
}
