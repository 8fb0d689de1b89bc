/// How to reach and talk to a broker.
public struct MQTTOptions: Sendable {
    public enum ProtocolVersion: String, Sendable, CaseIterable {
        case v311 = "3.1.1"
        case v5 = "5"
    }

    /// A retained or plain message registered as the last will, or published on connect.
    public struct Message: Sendable, Equatable {
        public var topic: String
        public var payload: [UInt8]
        public var qos: Int32
        public var retain: Bool

        public init(topic: String, payload: [UInt8], qos: Int32 = 1, retain: Bool = false) {
            self.topic = topic
            self.payload = payload
            self.qos = qos
            self.retain = retain
        }
    }

    /// TLS settings; a client certificate and key enable mutual TLS.
    public struct TLS: Sendable, Equatable {
        public var caFile: String?
        public var caPath: String?
        public var certFile: String?
        public var keyFile: String?
        /// Skip hostname verification (testing only).
        public var insecure: Bool

        public init(caFile: String? = nil, caPath: String? = nil, certFile: String? = nil, keyFile: String? = nil,
                    insecure: Bool = false) {
            self.caFile = caFile
            self.caPath = caPath
            self.certFile = certFile
            self.keyFile = keyFile
            self.insecure = insecure
        }
    }

    public var broker: BrokerAddress
    public var clientID: String
    public var protocolVersion: ProtocolVersion
    /// Keep the session (subscriptions and queued QoS 1 messages) across disconnects.
    public var persistentSession: Bool
    /// MQTT 5 session expiry in seconds when `persistentSession` (3.1.1 brokers keep sessions per their config).
    public var sessionExpirySeconds: UInt32
    public var keepAliveSeconds: Int32
    public var username: String?
    public var password: String?
    public var tls: TLS?
    public var will: Message?
    /// Unacknowledged QoS 1/2 messages the client allows in each direction (MQTT 5 receive maximum).
    public var maxInflight: UInt16
    public var connectTimeoutMs: Int

    public init(broker: BrokerAddress, clientID: String, protocolVersion: ProtocolVersion = .v5,
                persistentSession: Bool = true, sessionExpirySeconds: UInt32 = 7 * 24 * 3600,
                keepAliveSeconds: Int32 = 30, username: String? = nil, password: String? = nil, tls: TLS? = nil,
                will: Message? = nil, maxInflight: UInt16 = 100, connectTimeoutMs: Int = 10_000) {
        self.broker = broker
        self.clientID = clientID
        self.protocolVersion = protocolVersion
        self.persistentSession = persistentSession
        self.sessionExpirySeconds = sessionExpirySeconds
        self.keepAliveSeconds = keepAliveSeconds
        self.username = username
        self.password = password
        self.tls = tls
        self.will = will
        self.maxInflight = maxInflight
        self.connectTimeoutMs = connectTimeoutMs
    }
}

/// `mqtt://HOST:PORT` or `mqtts://HOST:PORT` (ports default to 1883 and 8883).
public struct BrokerAddress: Sendable, Equatable, CustomStringConvertible {
    public var host: String
    public var port: Int32
    public var usesTLS: Bool

    public init(host: String, port: Int32, usesTLS: Bool = false) {
        self.host = host
        self.port = port
        self.usesTLS = usesTLS
    }

    /// Parses a broker URL; `nil` when the scheme, host or port is invalid.
    public init?(url: String) {
        let tls: Bool
        let rest: Substring
        if url.hasPrefix("mqtt://") {
            tls = false
            rest = url.dropFirst("mqtt://".count)
        } else if url.hasPrefix("mqtts://") {
            tls = true
            rest = url.dropFirst("mqtts://".count)
        } else {
            return nil
        }
        let hostPort = rest.hasSuffix("/") ? rest.dropLast() : rest
        var host = hostPort
        var port: Int32 = tls ? 8883 : 1883
        if let colon = hostPort.lastIndex(of: ":"), !hostPort.hasSuffix("]") {
            host = hostPort[..<colon]
            guard let p = Int32(hostPort[hostPort.index(after: colon)...]), (1...65535).contains(p) else { return nil }
            port = p
        }
        if host.hasPrefix("["), host.hasSuffix("]") { host = host.dropFirst().dropLast() }
        guard !host.isEmpty, !host.contains("/"), !host.contains("@") else { return nil }
        self.init(host: String(host), port: port, usesTLS: tls)
    }

    public var description: String { "\(usesTLS ? "mqtts" : "mqtt")://\(host):\(port)" }
}

/// A message received from the broker.
public struct InboundMessage: Sendable, Equatable {
    public var topic: String
    public var payload: [UInt8]
    public var qos: Int32
    public var retain: Bool
    public var messageID: Int32

    public init(topic: String, payload: [UInt8], qos: Int32, retain: Bool, messageID: Int32) {
        self.topic = topic
        self.payload = payload
        self.qos = qos
        self.retain = retain
        self.messageID = messageID
    }
}
