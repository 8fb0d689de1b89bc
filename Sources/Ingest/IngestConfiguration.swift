public import Detection
public import MQTT
public import Schemas
public import Telemetry
public import Threading
public import Vault

/// Everything the ingest service needs, resolved from the config file and command line.
public struct IngestConfiguration: Sendable {
    /// Gateway id, used in `vitalgate/{gateway}/...` topics.
    public var gatewayID: String
    public var mqtt: MQTTOptions
    public var topics: [String]
    /// Messages per vault transaction (and per acknowledgement round).
    public var maxBatch: Int
    public var backoff: ReconnectBackoff
    public var limits: DecodeLimits
    /// `nil` disables detection.
    public var detection: DetectionConfig?
    /// Stop after this many seconds (`nil`: until asked to stop).
    public var durationSeconds: Double?
    /// `nil` disables sealing (readings are still stored).
    public var sealing: SealingConfiguration?
    /// `nil` disables remote configuration.
    public var fleet: FleetSettings?
    /// The consent book and where its documents come from (`[consent]`); `nil`: no consent
    /// documents are taken (the book, if any, is the caller's alone).
    public var consent: ConsentSettings?
    /// Where fleet `ledger` sections go; `nil`: only the `local` backend is accepted from the fleet.
    public var ledgerControl: (any LedgerControl)?
    /// Told the ingest connection's options at start and whenever a fleet document moves the
    /// gateway to another broker: the local alerts sink, which publishes the stored alerts on
    /// the gateway's alerts topic, follows it.
    public var brokerObserver: (@Sendable (MQTTOptions) -> Void)?
    /// Where fleet `egress` sections go; `nil`: the fleet cannot change delivery.
    public var egressControl: (any EgressControl)?
    /// The vault's byte budget (bytes in use, including the WAL; 0: none): pruning starts early
    /// near it, and above it with nothing to prune `whenFull` decides. Crossing it raises a
    /// storage alert.
    public var storageMaxBytes: UInt64 = 0
    /// What is pruned, and when (`[retention]`); `nil`: nothing is pruned (and only `evict-oldest`
    /// removes content at the budget).
    public var retention: RetentionPolicy? = RetentionPolicy()
    /// The names of the configured sinks, asked at each pruning step (a fleet `egress` section
    /// may change them); `nil`: `retention.sinks`.
    public var retentionSinks: (@Sendable () -> [String])?
    /// What happens when the vault is over `storageMaxBytes` and nothing can be pruned.
    public var whenFull = WhenFull.block
    /// Readings pruned (or evicted) at most per retention step, and free pages returned per step
    /// (one step a second, between batches).
    public var pruneStepLimit = 250
    public var vacuumStepPages = 64
    /// Seconds between publications of the counters on `GatewayTopics.metrics` (retained); 0: never.
    public var metricsIntervalSeconds: Double = 0
    /// Where the pipeline posts its figures and heartbeat for the HTTP endpoints (`nil`: nowhere).
    public var board: IngestBoard?
    /// The clocks: monotonic for periodic work and deadlines, wall for timestamps (tests inject
    /// a manual one).
    public var clock: any PipelineClock = SystemClock()
    /// Makes the connection to a broker: libmosquitto's `MQTTClient` (tests inject an in-memory one).
    public var transport: @Sendable (MQTTOptions) throws(MQTTError) -> any MessageTransport = { options throws(MQTTError) in
        try MQTTClient(options: options)
    }

    public init(gatewayID: String, mqtt: MQTTOptions, topics: [String] = ["wban/v1/+/+"], maxBatch: Int = 256,
                backoff: ReconnectBackoff = ReconnectBackoff(), limits: DecodeLimits = DecodeLimits(),
                detection: DetectionConfig? = DetectionConfig(), durationSeconds: Double? = nil,
                sealing: SealingConfiguration? = nil) {
        self.gatewayID = gatewayID
        self.mqtt = mqtt
        self.topics = topics
        self.maxBatch = maxBatch
        self.backoff = backoff
        self.limits = limits
        self.detection = detection
        self.durationSeconds = durationSeconds
        self.sealing = sealing
    }

    /// The gateway's own topics, `vitalgate/{gateway}/…`.
    public var gatewayTopics: GatewayTopics { GatewayTopics(gateway: gatewayID) }
    /// Topics that carry fleet configuration for this gateway (empty without `fleet`).
    public var configTopics: [String] {
        guard let fleet else { return [] }
        return [gatewayTopics.configDesired] + fleet.groups.map { GatewayTopics.configDesired(group: $0) }
    }

    /// Topics that carry signed consent documents for this gateway (empty without an authority).
    public var consentTopics: [String] {
        guard let consent, consent.authority != nil else { return [] }
        return [gatewayTopics.consent] + consent.groups.map { GatewayTopics.consent(group: $0) }
    }

    /// The last will the broker publishes if the gateway vanishes: `offline`, retained.
    public var will: MQTTOptions.Message {
        MQTTOptions.Message(topic: gatewayTopics.status, payload: Array("offline".utf8), qos: 1, retain: true)
    }
}
