import FoundationEssentials
public import MQTT
import Telemetry
public import Vault

/// Delivers the outbox to an MQTT broker at QoS 1: each record as one message, confirmed when
/// the broker's PUBACK for it arrived. Its own client id, TLS and mutual TLS as `MQTTOptions`
/// gives them. Two uses:
///
/// - **upstream** (a cloud broker): every record, as its canonical JSON (the reading as the
///   vault commits it, or the alert's line) with `record`, a stable `{gateway}:{record id}` the
///   receiver deduplicates by (QoS 1 is at least once: a batch interrupted before its PUBACKs
///   is published again), `patient` and `received_at`;
///   When consent denies the receiver the patient's identity, `patient` is `null` and
///   `patient_pseudonym` names the patient instead.
/// - **local alerts** (``localAlerts(source:gatewayID:patient:)``): the alerts only, each as the
///   line the detector wrote with the patient's identifier replaced by the bed of the alert's
///   device (`bed`) and, per the deployment's policy, the vault's keyed pseudonym
///   (`patient_pseudonym`), nothing, or the MRN (only where policy and consent allow it), on the
///   gateway's own alerts topic. Stored before they are published, so an alert whose
///   publication a crash cut off goes out after the restart.
public final class MQTTSink: DeliverySink {
    /// What a message carries.
    public enum Payload: Sendable {
        /// The record's canonical JSON with `record`, `patient` and `received_at`.
        case record
        /// An alert's line as the detector wrote it, `patient` replaced by `bed` and what
        /// ``AlertTopicPatient`` says (the local alerts topic's format).
        case alertLine
    }

    /// How the local alerts topic names an alert's patient, beside the bed and the device
    /// (`[consent] alerts_topic_patient`).
    public enum AlertTopicPatient: String, Sendable, CaseIterable {
        /// Not at all: the bed and the device only.
        case none
        /// By the vault's keyed pseudonym (`patient_pseudonym`; `vitalgate export --alerts` shows it beside the MRN).
        case pseudonym
        /// By the MRN (`patient`), where consent permits the alerts recipient the identity
        /// class; the pseudonym where it does not.
        case identifier
    }

    public let name: String
    public let selection: OutboxSelection
    let source: MQTTOptionsSource
    let gatewayID: String
    /// The topic of each message: `{gateway}`, `{kind}` (`vitals`, `waveform`, `alert`) and
    /// `{device}` are replaced. Never the patient.
    let topicTemplate: String
    let payload: Payload
    /// How an alert line names the patient (``Payload/alertLine`` only).
    let alertPatient: AlertTopicPatient
    let confirmTimeoutMs: Int
    private var client: MQTTClient?
    /// The source's version the client was made with.
    private var clientVersion = -1

    /// A sink publishing every record through `options` (its broker, client id, TLS).
    public convenience init(name: String = "mqtt", options: MQTTOptions, gatewayID: String,
                            topicTemplate: String = "vitalgate/{gateway}/{kind}", confirmTimeoutMs: Int = 10_000) {
        self.init(name: name, source: MQTTOptionsSource(options), gatewayID: gatewayID, topicTemplate: topicTemplate,
                  payload: .record, selection: .all, confirmTimeoutMs: confirmTimeoutMs)
    }

    /// A sink publishing `selection` through the options `source` holds (it reconnects when
    /// they change).
    public init(name: String, source: MQTTOptionsSource, gatewayID: String, topicTemplate: String, payload: Payload,
                selection: OutboxSelection, alertPatient: AlertTopicPatient = .pseudonym, confirmTimeoutMs: Int = 10_000) {
        self.alertPatient = alertPatient
        self.name = name
        self.source = source
        self.gatewayID = gatewayID
        self.topicTemplate = topicTemplate
        self.payload = payload
        self.selection = selection
        self.confirmTimeoutMs = confirmTimeoutMs
    }

    /// The name of the local alerts sink's cursor.
    public static let localAlertsName = "local-alerts"

    /// The sink of the gateway's own alerts topic on the local broker: alerts only, as the
    /// detector wrote them, naming the bed and the device and the patient as `patient` says,
    /// through `source` (the ingest connection's broker, followed when a fleet document moves
    /// it; give it a client id of its own).
    public static func localAlerts(source: MQTTOptionsSource, gatewayID: String,
                                   patient: AlertTopicPatient = .pseudonym) -> MQTTSink {
        MQTTSink(name: localAlertsName, source: source, gatewayID: gatewayID,
                 topicTemplate: GatewayTopics(gateway: gatewayID).alerts, payload: .alertLine, selection: .alerts,
                 alertPatient: patient)
    }

    /// A record sends the MRN unless consent denies it; an alert line only when its policy names it.
    public var sendsIdentity: Bool { payload == .record || alertPatient == .identifier }

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
            throw DeliveryError(.unavailable, "cannot publish to the broker: \(error.reason)")
        }
        let clock = ContinuousClock()
        let deadline = clock.now + .milliseconds(confirmTimeoutMs)
        while client.completedPublishes - baseline < entries.count {
            guard clock.now < deadline else {
                drop(client)
                throw DeliveryError(.timeout, "the broker confirmed \(client.completedPublishes - baseline) of "
                                    + "\(entries.count) messages within \(confirmTimeoutMs) ms")
            }
            do { _ = try client.receive(timeoutMs: 20, maxMessages: 256) } catch {
                drop(client)
                throw DeliveryError(.unavailable, "the connection to the broker was lost: \(error.reason)")
            }
        }
        return DeliveryReceipt()
    }

    /// The record's message: its topic and payload.
    func message(_ entry: OutboxEntry) -> MQTTOptions.Message {
        if payload == .alertLine, case .alert(let alert) = entry.content {
            // The local broker is not a recipient of patient identity unless policy says so:
            // the alert names the bed and the device (issue 21).
            guard case .object(let fields) = alert else { preconditionFailure("an alert record is an object") }
            var line = fields.filter { $0.key != "patient" } + [("bed", entry.bed.map { .string($0) } ?? .null)]
            switch alertPatient {
            case .none: break
            case .identifier where entry.patient != nil: line.append(("patient", .string(entry.patient ?? "")))
            case .pseudonym, .identifier: line.append(("patient_pseudonym", entry.patientPseudonym.map { .string($0) } ?? .null))
            }
            return MQTTOptions.Message(topic: topic(kind: "alert", device: entry.device),
                                       payload: JSONWriter.canonicalBytes(.object(line)), qos: 1)
        }
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
        if entry.identityWithheld, let pseudonym = entry.patientPseudonym {
            members.append(("patient_pseudonym", .string(pseudonym)))  // consent denied this receiver the MRN
        }
        return MQTTOptions.Message(topic: topic(kind: kind, device: entry.device),
                                   payload: JSONWriter.canonicalBytes(.object(members)), qos: 1)
    }

    private func topic(kind: String, device: String) -> String {
        topicTemplate.replacing("{gateway}", with: gatewayID).replacing("{kind}", with: kind).replacing("{device}", with: device)
    }

    /// The connection, made (or made again) when there is none, or when the source's options changed.
    private func connected() throws(DeliveryError) -> MQTTClient {
        let (options, version) = source.current
        if let client, version != clientVersion {
            client.disconnect()
            self.client = nil
        }
        if let client, client.isConnected { return client }
        do throws(MQTTError) {
            if let client = self.client {
                try client.reconnect()
                return client
            }
            let client = try MQTTClient(options: options)
            try client.connect()
            self.client = client
            clientVersion = version
            return client
        } catch {
            // libmosquitto's MOSQ_ERR_TLS (8) and MOSQ_ERR_TLS_HANDSHAKE (23).
            let code: DeliveryError.Code = [8, 23].contains(error.code) ? .tls : .unavailable
            throw DeliveryError(code, "cannot connect to the broker \(options.broker): \(error.reason)")
        }
    }

    private func drop(_ client: MQTTClient) {
        client.abortConnection(awaitingConfirmationsMs: 0)
    }
}
