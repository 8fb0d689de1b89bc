import FoundationEssentials
public import MQTT
import Telemetry
public import Vault

/// Delivers the outbox to an upstream (cloud) MQTT broker at QoS 1: each record as one message,
/// confirmed when the broker's PUBACK for it arrived. Its own client id and persistent session,
/// TLS and mutual TLS as `MQTTOptions` gives them.
///
/// The payload is the record's canonical JSON (the reading as the vault commits it, or the
/// alert's line) with `record`, a stable `{gateway}:{record id}` the receiver deduplicates by:
/// QoS 1 is at least once, and a batch interrupted before its PUBACKs is published again.
public final class MQTTSink: DeliverySink {
    public let name: String
    let options: MQTTOptions
    let gatewayID: String
    /// The topic of each message: `{gateway}`, `{kind}` (`vitals`, `waveform`, `alert`) and
    /// `{device}` are replaced. Never the patient.
    let topicTemplate: String
    let confirmTimeoutMs: Int
    private var client: MQTTClient?

    /// A sink publishing through `options` (its broker, client id, TLS).
    public init(name: String = "mqtt", options: MQTTOptions, gatewayID: String,
                topicTemplate: String = "vitalgate/{gateway}/{kind}", confirmTimeoutMs: Int = 10_000) {
        self.name = name
        self.options = options
        self.gatewayID = gatewayID
        self.topicTemplate = topicTemplate
        self.confirmTimeoutMs = confirmTimeoutMs
    }

    deinit { client?.disconnect() }

    public func isReady(_ pending: [OutboxEntry], now: Int64) -> Bool { true }

    public func deliver(_ entries: [OutboxEntry]) throws(DeliveryError) -> DeliveryReceipt {
        let client = try connected()
        let baseline = client.completedPublishes
        do {
            for entry in entries { try client.publish(message(entry)) }
            try client.flush()
        } catch {
            drop(client)
            throw DeliveryError(.unavailable, "cannot publish to the upstream broker: \(error.reason)")
        }
        let clock = ContinuousClock()
        let deadline = clock.now + .milliseconds(confirmTimeoutMs)
        while client.completedPublishes - baseline < entries.count {
            guard clock.now < deadline else {
                drop(client)
                throw DeliveryError(.timeout, "the upstream broker confirmed \(client.completedPublishes - baseline) of "
                                    + "\(entries.count) messages within \(confirmTimeoutMs) ms")
            }
            do { _ = try client.receive(timeoutMs: 20, maxMessages: 256) } catch {
                drop(client)
                throw DeliveryError(.unavailable, "the upstream connection was lost: \(error.reason)")
            }
        }
        return DeliveryReceipt()
    }

    /// The record's message: its topic and canonical JSON with the `record` id.
    func message(_ entry: OutboxEntry) -> MQTTOptions.Message {
        let kind: String
        var members: [(key: String, value: JSONValue)]
        switch entry.content {
        case .reading(let reading):
            kind = reading.kind.rawValue
            guard case .object(let fields) = reading.canonicalJSON else { preconditionFailure("a reading is an object") }
            members = fields + [("received_at", .number(Double(entry.receivedAt)))]
        case .alert(let alert):
            kind = "alert"
            guard case .object(let fields) = alert else { preconditionFailure("an alert record is an object") }
            members = fields.filter { $0.key != "patient" }
        }
        members.append(("record", .string("\(gatewayID):\(entry.id)")))
        members.append(("patient", entry.patient.map { .string($0) } ?? .null))
        let topic = topicTemplate.replacing("{gateway}", with: gatewayID).replacing("{kind}", with: kind)
            .replacing("{device}", with: entry.device)
        return MQTTOptions.Message(topic: topic, payload: JSONWriter.canonicalBytes(.object(members)), qos: 1)
    }

    /// The connection, made (or made again) when there is none.
    private func connected() throws(DeliveryError) -> MQTTClient {
        if let client, client.isConnected { return client }
        do throws(MQTTError) {
            if let client = self.client {
                try client.reconnect()
                return client
            }
            let client = try MQTTClient(options: options)
            try client.connect()
            self.client = client
            return client
        } catch {
            // libmosquitto's MOSQ_ERR_TLS (8) and MOSQ_ERR_TLS_HANDSHAKE (23).
            let code: DeliveryError.Code = [8, 23].contains(error.code) ? .tls : .unavailable
            throw DeliveryError(code, "cannot connect to the upstream broker \(options.broker): \(error.reason)")
        }
    }

    private func drop(_ client: MQTTClient) {
        client.abortConnection(awaitingConfirmationsMs: 0)
    }
}
