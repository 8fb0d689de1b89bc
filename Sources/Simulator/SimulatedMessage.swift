public import Telemetry

/// One MQTT message the simulator wants published.
public struct SimulatedMessage: Sendable, Equatable {
    /// `wban/v1/{device_id}/{info|vitals|waveform|pair}`.
    public var topic: String
    /// The payload bytes (JSON, except when a fault truncated or corrupted it).
    public var payload: [UInt8]
    /// MQTT QoS: 1 for every topic of DEVICES.md.
    public var qos: Int
    /// Whether to publish retained: `true` for `info` and `pair`.
    public var retain: Bool
    /// When to publish it, milliseconds since the Unix epoch.
    public var at: Int64
    /// The fault this message carries or belongs to; `nil` for normal traffic.
    public var fault: FaultKind?

    public init(topic: String, payload: [UInt8], qos: Int = 1, retain: Bool = false, at: Int64,
                fault: FaultKind? = nil) {
        self.topic = topic
        self.payload = payload
        self.qos = qos
        self.retain = retain
        self.at = at
        self.fault = fault
    }

    /// The parsed topic.
    public var deviceTopic: DeviceTopic? { DeviceTopic(topic) }

    /// The payload as text (lossy for corrupted payloads), for logs and demos.
    public var payloadText: String { String(decoding: payload, as: UTF8.self) }
}
