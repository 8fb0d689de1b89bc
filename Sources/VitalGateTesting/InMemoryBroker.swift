public import MQTT
import Threading

/// An MQTT broker in memory, for testing the ingest pipeline's rules without mosquitto,
/// sockets or sleeps: QoS 1 sessions kept across connections, retained messages, the receive
/// maximum, and redelivery of whatever a client received and did not acknowledge.
///
/// It is a model of the broker behaviour the agent relies on, not of MQTT: there is no QoS 0
/// or 2, no wildcards other than `+` and `#`, and no packet encoding. The real-broker tests
/// (`MQTTTests`, `IngestServiceTests`) are the proof that libmosquitto and mosquitto behave
/// like this model.
///
/// With a `ManualClock`, a `receive` that finds nothing moves the clock forward by its timeout,
/// so a pipeline's periodic work and backoffs run in test time.
public final class InMemoryBroker: @unchecked Sendable {
    // @unchecked Sendable is safe: every mutable field is in `state`, read and written only
    // inside `lock.withLock`.
    private let lock = PThreadLock()
    private var state = State()
    let clock: ManualClock?

    struct Session {
        var subscriptions: [String] = []
        /// Waiting for delivery, in order.
        var queue: [InboundMessage] = []
        /// Delivered and not acknowledged.
        var inflight: [InboundMessage] = []
        var connected = false
        /// The connection is lost: the client's next operation fails.
        var dropped = false
    }

    struct State {
        var sessions: [String: Session] = [:]
        var retained: [String: [UInt8]] = [:]
        var published: [MQTTOptions.Message] = []
        var acknowledged = 0
        var connects = 0
        var refusals = 0
        var nextMessageID: Int32 = 1
    }

    /// Called on the client's thread with the messages each `acknowledge()` acknowledges,
    /// before they count as acknowledged.
    public let onAcknowledge: (@Sendable (_ clientID: String, _ messages: [InboundMessage]) -> Void)?

    public init(clock: ManualClock? = nil,
                onAcknowledge: (@Sendable (_ clientID: String, _ messages: [InboundMessage]) -> Void)? = nil) {
        self.clock = clock
        self.onAcknowledge = onAcknowledge
    }

    /// A transport connected to this broker (`IngestConfiguration.transport`).
    public func transport(_ options: MQTTOptions) -> any MessageTransport {
        InMemoryTransport(broker: self, options: options)
    }

    /// Creates a persistent session for `clientID` subscribed to `filters`, as one left by an
    /// earlier connection: messages published from now on wait in it for the client.
    public func openSession(_ clientID: String, subscribedTo filters: [String]) {
        lock.withLock {
            var session = state.sessions[clientID] ?? Session()
            for filter in filters where !session.subscriptions.contains(filter) { session.subscriptions.append(filter) }
            state.sessions[clientID] = session
        }
    }

    /// Publishes as a device or bridge would, at QoS 1.
    public func publish(_ message: MQTTOptions.Message) {
        lock.withLock { route(message) }
    }

    /// Publishes each message in order.
    public func publishAll(_ messages: [MQTTOptions.Message]) {
        lock.withLock { for message in messages { route(message) } }
    }

    /// Everything clients published (not what `publish` injected), in order.
    public var published: [MQTTOptions.Message] { lock.withLock { state.published } }

    /// The payloads clients published on `topic`, in order.
    public func payloads(on topic: String) -> [[UInt8]] {
        published.filter { $0.topic == topic }.map(\.payload)
    }

    /// The retained message of `topic`, if any.
    public func retained(_ topic: String) -> [UInt8]? { lock.withLock { state.retained[topic] } }

    /// Messages acknowledged by clients so far.
    public var acknowledged: Int { lock.withLock { state.acknowledged } }

    /// Messages waiting for `clientID`, queued or delivered and unacknowledged.
    public func undelivered(to clientID: String) -> Int {
        lock.withLock { state.sessions[clientID].map { $0.queue.count + $0.inflight.count } ?? 0 }
    }

    /// Successful connections so far.
    public var connects: Int { lock.withLock { state.connects } }

    /// The next `count` connection attempts are refused.
    public func refuseConnections(_ count: Int) { lock.withLock { state.refusals += count } }

    /// Every connected client loses its connection (its next operation fails).
    public func dropConnections() {
        lock.withLock {
            for id in state.sessions.keys where state.sessions[id]!.connected { state.sessions[id]!.dropped = true }
        }
    }

    // MARK: What the transport calls (under the lock)

    private func route(_ message: MQTTOptions.Message) {
        if message.retain {
            state.retained[message.topic] = message.payload.isEmpty ? nil : message.payload
        }
        for id in state.sessions.keys
        where state.sessions[id]!.subscriptions.contains(where: { Self.matches($0, message.topic) }) {
            state.sessions[id]!.queue.append(inbound(message, retain: false))
        }
    }

    private func inbound(_ message: MQTTOptions.Message, retain: Bool) -> InboundMessage {
        defer { state.nextMessageID = state.nextMessageID % 65_535 + 1 }
        return InboundMessage(topic: message.topic, payload: message.payload, qos: 1, retain: retain,
                              messageID: state.nextMessageID)
    }

    func connect(_ options: MQTTOptions) throws(MQTTError) -> Bool {
        try lock.withLock { () throws(MQTTError) -> Bool in
            if state.refusals > 0 {
                state.refusals -= 1
                throw MQTTError(code: 14, operation: "connect", reason: "connection refused (in-memory broker)")
            }
            var session = state.sessions[options.clientID] ?? Session()
            let present = options.persistentSession && state.sessions[options.clientID] != nil
            if !options.persistentSession { session = Session() }
            // Whatever was delivered and not acknowledged comes again, first.
            session.queue = session.inflight + session.queue
            session.inflight = []
            session.connected = true
            session.dropped = false
            state.sessions[options.clientID] = session
            state.connects += 1
            return present
        }
    }

    func disconnect(_ clientID: String) {
        lock.withLock {
            guard var session = state.sessions[clientID] else { return }
            session.connected = false
            session.queue = session.inflight + session.queue
            session.inflight = []
            state.sessions[clientID] = session
        }
    }

    /// Throws if the client's connection was dropped (and marks it disconnected).
    func checkConnection(_ clientID: String, _ operation: String) throws(MQTTError) {
        try lock.withLock { () throws(MQTTError) in
            guard let session = state.sessions[clientID], session.connected else {
                throw MQTTError(code: 4, operation: operation, reason: "not connected (in-memory broker)")
            }
            if session.dropped {
                state.sessions[clientID]!.connected = false
                throw MQTTError(code: 7, operation: operation, reason: "connection lost (in-memory broker)")
            }
        }
    }

    func subscribe(_ clientID: String, _ filter: String) {
        lock.withLock {
            guard state.sessions[clientID] != nil else { return }
            if !state.sessions[clientID]!.subscriptions.contains(filter) { state.sessions[clientID]!.subscriptions.append(filter) }
            for (topic, payload) in state.retained.sorted(by: { $0.key < $1.key }) where Self.matches(filter, topic) {
                state.sessions[clientID]!.queue.append(inbound(MQTTOptions.Message(topic: topic, payload: payload), retain: true))
            }
        }
    }

    func unsubscribe(_ clientID: String, _ filter: String) {
        lock.withLock { state.sessions[clientID]?.subscriptions.removeAll { $0 == filter } }
    }

    func clientPublished(_ message: MQTTOptions.Message) {
        lock.withLock {
            state.published.append(message)
            route(message)
        }
    }

    /// Delivers up to `maxMessages`, within the receive maximum.
    func deliver(_ clientID: String, maxMessages: Int, receiveMaximum: Int) -> [InboundMessage] {
        lock.withLock {
            guard var session = state.sessions[clientID] else { return [] }
            let count = min(maxMessages, max(0, receiveMaximum - session.inflight.count), session.queue.count)
            let batch = Array(session.queue.prefix(count))
            session.queue.removeFirst(count)
            session.inflight += batch
            state.sessions[clientID] = session
            return batch
        }
    }

    func acknowledge(_ clientID: String) {
        let messages = lock.withLock { state.sessions[clientID]?.inflight ?? [] }
        onAcknowledge?(clientID, messages)
        lock.withLock {
            state.sessions[clientID]?.inflight.removeFirst(messages.count)
            state.acknowledged += messages.count
        }
    }

    /// MQTT topic filter matching with `+` (one level) and `#` (the rest).
    public static func matches(_ filter: String, _ topic: String) -> Bool {
        let filterLevels = filter.split(separator: "/", omittingEmptySubsequences: false)
        let topicLevels = topic.split(separator: "/", omittingEmptySubsequences: false)
        for (index, level) in filterLevels.enumerated() {
            if level == "#" { return true }
            guard index < topicLevels.count else { return false }
            if level != "+" && level != topicLevels[index] { return false }
        }
        return filterLevels.count == topicLevels.count
    }
}
