public import MQTT

/// A client of an `InMemoryBroker`, with the contract of `MessageTransport`: acknowledgements
/// are withheld until `acknowledge()`, and a dropped or aborted connection leaves the
/// unacknowledged messages with the broker for redelivery.
public final class InMemoryTransport: MessageTransport {
    public let options: MQTTOptions
    private let broker: InMemoryBroker
    public private(set) var isConnected = false
    public private(set) var sessionPresent = false
    public private(set) var unacknowledgedCount = 0
    private var nextPublicationID: Int32 = 0

    init(broker: InMemoryBroker, options: MQTTOptions) {
        self.broker = broker
        self.options = options
    }

    public func connect() throws(MQTTError) {
        unacknowledgedCount = 0
        isConnected = false
        sessionPresent = try broker.connect(options)
        isConnected = true
    }

    public func reconnect() throws(MQTTError) {
        if isConnected { broker.disconnect(options.clientID) }
        try connect()
    }

    public func subscribe(_ filter: String, qos: Int32) throws(MQTTError) {
        try live("subscribe")
        broker.subscribe(options.clientID, filter)
    }

    public func unsubscribe(_ filter: String) throws(MQTTError) {
        try live("unsubscribe")
        broker.unsubscribe(options.clientID, filter)
    }

    @discardableResult
    public func publish(_ message: MQTTOptions.Message) throws(MQTTError) -> Int32 {
        try live("publish")
        broker.clientPublished(message)
        nextPublicationID += 1
        return nextPublicationID
    }

    public func receive(timeoutMs: Int, maxMessages: Int) throws(MQTTError) -> [InboundMessage] {
        try live("receive")
        let batch = broker.deliver(options.clientID, maxMessages: maxMessages, receiveMaximum: Int(options.maxInflight))
        if batch.isEmpty && timeoutMs > 0 { broker.clock?.advance(ms: Int64(timeoutMs)) }
        unacknowledgedCount += batch.count
        return batch
    }

    public func acknowledge() throws(MQTTError) {
        try live("acknowledge")
        broker.acknowledge(options.clientID)
        unacknowledgedCount = 0
    }

    public func flush() throws(MQTTError) {
        try live("flush")
    }

    public func abortConnection(awaitingConfirmationsMs: Int) {
        guard isConnected else { return }
        broker.disconnect(options.clientID)
        isConnected = false
        unacknowledgedCount = 0
    }

    public func disconnect() {
        abortConnection(awaitingConfirmationsMs: 0)
    }

    /// Throws (and goes disconnected) if the broker dropped the connection.
    private func live(_ operation: String) throws(MQTTError) {
        guard isConnected else {
            throw MQTTError(code: 4, operation: operation, reason: "not connected (in-memory broker)")
        }
        do { try broker.checkConnection(options.clientID, operation) } catch {
            isConnected = false
            unacknowledgedCount = 0
            broker.disconnect(options.clientID)
            throw error
        }
    }
}
