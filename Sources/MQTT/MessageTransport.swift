/// The connection the ingest pipeline receives telemetry on and publishes the gateway's own
/// topics through: MQTT QoS 1 with **acknowledgements held back until the owner says so**.
///
/// `MQTTClient` (libmosquitto) is the production transport; `InMemoryBroker` in
/// `VitalGateTesting` gives pipeline tests one without a broker process, sockets or sleeps.
/// Every implementation keeps the contract the pipeline's guarantees rest on:
/// - `receive` hands out messages whose acknowledgements are withheld; `acknowledge()`
///   acknowledges everything received since the previous call, and nothing else does;
/// - `abortConnection` (and `reconnect`) discard the withheld acknowledgements, so the broker
///   delivers those messages again;
/// - `publish` queues; `acknowledge()` or `flush()` writes.
///
/// Driven by one thread, like the pipeline that owns it.
public protocol MessageTransport: AnyObject {
    /// The options the transport was created with (broker address, receive maximum).
    var options: MQTTOptions { get }
    /// True between a successful connect and the loss of the connection.
    var isConnected: Bool { get }
    /// Whether the broker resumed a stored session at the last connect.
    var sessionPresent: Bool { get }
    /// Messages handed out by `receive` and not yet acknowledged.
    var unacknowledgedCount: Int { get }

    /// Connects for the first time.
    func connect() throws(MQTTError)
    /// Connects again after a loss; withheld acknowledgements of the old connection are dropped.
    func reconnect() throws(MQTTError)
    /// Subscribes to a topic filter.
    func subscribe(_ filter: String, qos: Int32) throws(MQTTError)
    /// Unsubscribes from a topic filter.
    func unsubscribe(_ filter: String) throws(MQTTError)
    /// Queues a publication; written by the next `acknowledge()` or `flush()`. Returns its id.
    @discardableResult
    func publish(_ message: MQTTOptions.Message) throws(MQTTError) -> Int32
    /// Waits up to `timeoutMs` and returns what arrived (about `maxMessages` at most), with
    /// acknowledgements withheld. Throws when the connection is lost.
    func receive(timeoutMs: Int, maxMessages: Int) throws(MQTTError) -> [InboundMessage]
    /// Acknowledges everything received since the previous call. Call only once it is durable.
    func acknowledge() throws(MQTTError)
    /// Writes queued publications without acknowledging anything.
    func flush() throws(MQTTError)
    /// Drops the connection without acknowledging (after a batch could not be stored); waits up
    /// to `awaitingConfirmationsMs` for the broker to confirm this client's own publications.
    func abortConnection(awaitingConfirmationsMs: Int)
    /// Disconnects cleanly (aborts instead if anything received is unacknowledged).
    func disconnect()
}

extension MQTTClient: MessageTransport {}
