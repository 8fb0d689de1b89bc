import FoundationEssentials
public import MQTT
public import Schemas
import Telemetry

/// The agent's settings, one nested struct per section of `Config/vitalgate.conf`, each
/// value defaulting to what that file documents.
///
/// ```swift
/// let config = try AgentConfig.load(path: "Config/vitalgate.conf")  // missing keys keep defaults
/// let client = try MQTTClient(options: config.mqttOptions())
/// ```
/// Unknown sections and keys, duplicate keys and wrong types are errors that name the line
/// and key, so a typo fails loudly instead of silently keeping a default.
public struct AgentConfig: Sendable, Equatable {
    /// `[gateway]`: who this gateway is and where it keeps its files.
    public struct GatewaySection: Sendable, Equatable {
        /// Gateway id, used in `vitalgate/{id}/...` topics and the default client id.
        public var id = "gw-local"
        /// Directory of the vault, keys and state (`data_dir`).
        public var dataDirectory = "data"
        /// `metrics_interval_seconds`: how often the agent's counters are published, retained, on
        /// `vitalgate/{id}/metrics`; 0: never.
        public var metricsIntervalSeconds = 60

        /// The documented defaults.
        public init() {}
    }

    /// `[mqtt.tls]`: TLS files; a client certificate and key enable mutual TLS.
    public struct TLSSection: Sendable, Equatable {
        /// CA bundle (`ca_file`); empty: the system's CA directory.
        public var caFile = ""
        /// Client certificate (`cert_file`), PEM.
        public var certFile = ""
        /// Client private key (`key_file`), PEM.
        public var keyFile = ""
        /// Skip hostname verification (testing only).
        public var insecure = false

        /// The documented defaults.
        public init() {}

        /// Whether any TLS setting differs from its default (which turns TLS on).
        public var isConfigured: Bool { self != TLSSection() }
    }

    /// `[mqtt]`: the broker connection.
    public struct MQTTSection: Sendable, Equatable {
        /// `mqtt://host:port` or `mqtts://host:port`.
        public var broker = "mqtt://127.0.0.1:1883"
        /// `protocol`: "5" or "3.1.1".
        public var protocolVersion = MQTTOptions.ProtocolVersion.v5
        /// `client_id`; empty means `vitalgate-<gateway id>` (stable, so the session persists).
        public var clientID = ""
        /// `keepalive_seconds`, 5...65535.
        public var keepAliveSeconds = 30
        /// `session_expiry_seconds` (MQTT 5), how long the broker keeps the session offline.
        public var sessionExpirySeconds = 604_800
        /// `max_inflight`: unacknowledged QoS 1 messages the broker may send at once, and the
        /// acknowledgement window under a backlog (docs/DECISIONS.md 20).
        public var maxInflight = 10_000
        /// `username`; empty for anonymous.
        public var username = ""
        /// `password_file`: a file holding the password (never the password itself).
        public var passwordFile = ""
        /// `[mqtt.tls]`.
        public var tls = TLSSection()

        /// The documented defaults.
        public init() {}
    }

    /// `[reconnect]`: capped exponential backoff with jitter.
    public struct ReconnectSection: Sendable, Equatable {
        /// `initial_ms`: the first delay.
        public var initialMs = 500
        /// `max_ms`: the cap.
        public var maxMs = 30_000
        /// `jitter`: fraction randomised either way, 0...1.
        public var jitter = 0.2

        /// The documented defaults.
        public init() {}

        /// A fresh backoff with these settings.
        public var backoff: ReconnectBackoff { ReconnectBackoff(initialMs: initialMs, maxMs: maxMs, jitter: jitter) }
    }

    /// `[ingest]`: what to subscribe to and how to batch it into the vault.
    public struct IngestSection: Sendable, Equatable {
        /// SQLite `synchronous` level of the vault.
        public enum Synchronous: String, Sendable, CaseIterable {
            case off, normal, full
        }

        /// `topics`: subscription filters.
        public var topics = ["wban/v1/+/+"]
        /// `max_batch`: messages per vault transaction.
        public var maxBatch = 256
        /// `max_payload_bytes`: larger payloads are quarantined unread.
        public var maxPayloadBytes = 16_384
        /// `max_future_skew_seconds`: device timestamps further ahead of the gateway clock are rejected.
        public var maxFutureSkewSeconds = 900
        /// `synchronous`: `full` (default) survives power loss: every acknowledged batch is on disk;
        /// `normal` survives process crashes only (the last commits may roll back after a power cut,
        /// and the broker has already discarded them); `off` is for benchmarks.
        public var synchronous = Synchronous.full

        /// The documented defaults.
        public init() {}
    }

    /// `[schemas]`: the firmware schema catalogue, built into the binary.
    public struct SchemasSection: Sendable, Equatable {
        /// `directory` of firmware schemas that extend the built-in ones (same id: the file's
        /// schema replaces the built-in one); empty: the built-in schemas only.
        public var directory = ""

        /// The built-in schemas extended by `directory`.
        public func catalog() throws(SchemaError) -> SchemaCatalog {
            try SchemaCatalog.builtIn(extendedBy: directory.isEmpty ? nil : directory)
        }

        /// The documented defaults.
        public init() {}
    }

    /// `[sealing]`: readings are sealed in signed batches of RFC 6962 Merkle roots.
    public struct SealingSection: Sendable, Equatable {
        /// `batch_max_readings`: a batch closes when it holds this many readings.
        public var batchMaxReadings = 256
        /// `batch_max_age_ms`: or when its oldest reading is this old.
        public var batchMaxAgeMs = 10_000
        /// `witness_keys`: C2SP verifier keys of the witnesses whose cosignatures are accepted.
        public var witnessKeys: [String] = []
        /// `min_cosignatures`: how many pinned witnesses an auditor should require (`keys trust`).
        public var minCosignatures = 0

        /// The documented defaults.
        public init() {}
    }

    /// `[detection]`: anomaly detection on ingested readings.
    public struct DetectionSection: Sendable, Equatable {
        /// `enabled`: run detection while ingesting.
        public var enabled = true
        /// `threshold`: alert threshold in 0...1.
        public var threshold = 0.92

        /// The documented defaults.
        public init() {}
    }

    /// `[storage]`: the vault's byte budget.
    public struct StorageSection: Sendable, Equatable {
        /// `when_full` values.
        public enum WhenFull: String, Sendable, CaseIterable {
            case block
            case evictOldest = "evict-oldest"
        }

        /// `max_bytes`: the vault's budget (pages in use and the WAL); 0 means none. Crossing it
        /// raises a storage alert; pruning starts early at 90 % of it.
        public var maxBytes = 0
        /// `when_full`: over the budget with nothing to prune, `block` (stop acknowledging) or
        /// `evict-oldest` (evict the oldest content, delivered or not, as sealed events).
        public var whenFull = WhenFull.block
        /// `vacuum_at_start_max_bytes`: a vault made before incremental vacuum is converted (a full
        /// `VACUUM`) when the agent starts, if it is at most this large; 0: never.
        public var vacuumAtStartMaxBytes = 64 << 20

        /// The documented defaults.
        public init() {}
    }

    /// `[retention]`: when a reading's content is pruned (issue 20).
    public struct RetentionSection: Sendable, Equatable {
        /// `enabled`: prune content that every sink confirmed, that is anchored, and older than `keep_days`.
        public var enabled = true
        /// `keep_days`: days content is kept after it arrived, once delivered and anchored.
        public var keepDays = 7

        /// The documented defaults.
        public init() {}
    }

    /// `[ledger]`: where the log's checkpoints are anchored.
    public struct LedgerSection: Sendable, Equatable {
        /// `backend`: `local` (the embedded log; the default) or `evm`.
        public var backend = "local"
        /// `poll_seconds`: time between anchoring rounds while a submission is pending.
        public var pollSeconds = 2.0
        /// `endpoint` (evm): the node's JSON-RPC URL, `http(s)://host[:port][/path]`.
        public var endpoint = ""
        /// `endpoint_ca_file`, `endpoint_cert_file`, `endpoint_key_file` (evm, `https://` only):
        /// TLS to the node (a client certificate and key: mutual TLS); empty CA: the system's.
        public var endpointCAFile = ""
        public var endpointCertFile = ""
        public var endpointKeyFile = ""
        /// `chain_id` (evm): the chain id the node must report and transactions are signed for.
        public var chainID = 0
        /// `contract` (evm): the anchor contract address (`vitalgate ledger deploy`).
        public var contract = ""
        /// `confirmations` (evm): descendants, linked by parent hash, before an anchor is final.
        public var confirmations = 12
        /// `qbft_validators` (evm, Besu QBFT): pinned validators; finality by commit seals instead.
        public var qbftValidators: [String] = []
        /// `witnesses` (evm, confirmations): other JSON-RPC nodes that must report the same
        /// anchor block and confirmations as `endpoint` (docs/EVM-LEDGER.md, "Finality trust").
        public var witnesses: [String] = []
        /// `witness_ca_files`, `witness_cert_files`, `witness_key_files`: each witness's TLS files,
        /// by position (empty list: none for any; an empty entry: none for that witness).
        public var witnessCAFiles: [String] = []
        public var witnessCertFiles: [String] = []
        public var witnessKeyFiles: [String] = []
        /// `pinned_blocks` (evm, confirmations): block hashes the operator pinned; an anchor is
        /// final once its block is an ancestor of (or is) one of them.
        public var pinnedBlocks: [String] = []
        /// `trust` (evm, confirmations): `independent` (witnesses or pinned blocks must back the
        /// confirmations) or `single-node` (the endpoint's word alone: protects only against accidents).
        public var trust = "independent"
        /// `max_fee_gwei` (evm): the highest fee per gas ever signed.
        public var maxFeeGwei = 500

        /// The documented defaults.
        public init() {}
    }

    /// `[egress]`: delivery of readings and alerts beside ingest, each sink from its own cursor
    /// in the vault (docs/FHIR.md).
    public struct EgressSection: Sendable, Equatable {
        /// `ndjson`: a directory of FHIR R4 NDJSON files (Bulk Data format); empty: off.
        public var ndjson = ""
        /// `ndjson_max_age_seconds`: a file is written at the latest when its oldest record is this old.
        public var ndjsonMaxAgeSeconds = 60
        /// `patient_identifier_system`: the system of the patient identifier (the MRN) in FHIR references.
        public var patientIdentifierSystem = "urn:vitalgate:patient-identifier"
        /// `upstream`: an upstream (cloud) broker, `mqtt://host:port` or `mqtts://host:port`; empty: off.
        public var upstream = ""
        /// `upstream_topic`: the topic of each record; `{gateway}`, `{kind}`, `{device}` are replaced.
        public var upstreamTopic = "vitalgate/{gateway}/{kind}"
        /// `upstream_ca_file`, `upstream_cert_file`, `upstream_key_file`: TLS to the upstream
        /// broker (a client certificate and key: mutual TLS); empty CA: the system's.
        public var upstreamCAFile = ""
        public var upstreamCertFile = ""
        public var upstreamKeyFile = ""
        /// `fhir`: a FHIR R4 server's base URL, `http(s)://…`; empty: off.
        public var fhir = ""
        /// `fhir_ca_file`, `fhir_cert_file`, `fhir_key_file`: TLS to the FHIR server (a client
        /// certificate and key: mutual TLS); empty CA: the system's.
        public var fhirCAFile = ""
        public var fhirCertFile = ""
        public var fhirKeyFile = ""
        /// `fhir_token_file`: a file holding a bearer token (read again after a 401).
        public var fhirTokenFile = ""
        /// `fhir_oauth_token_url`, `fhir_oauth_client_id`, `fhir_oauth_secret_file`,
        /// `fhir_oauth_scope`: OAuth2 client credentials instead of a static token.
        public var fhirOAuthTokenURL = ""
        public var fhirOAuthClientID = ""
        public var fhirOAuthSecretFile = ""
        public var fhirOAuthScope = ""
        /// `fhir_batch`: records per transaction Bundle at most.
        public var fhirBatch = 100
        /// `fhir_timeout_seconds`: the limit of one upload (connect, send, answer).
        public var fhirTimeoutSeconds = 30

        /// The documented defaults.
        public init() {}
    }

    /// `[fleet]`: signed configuration pushed by fleet operators over MQTT.
    public struct FleetSection: Sendable, Equatable {
        /// `enabled`: take documents from `vitalgate/{id}/config/desired` and group topics.
        public var enabled = false
        /// `groups`: the groups this gateway belongs to.
        public var groups: [String] = []
        /// `operators_file`: the pinned operator keys and thresholds (JSON); required when enabled.
        public var operatorsFile = ""
        /// `confirm_timeout_seconds`: how long a broker change may take before it is rolled back.
        public var confirmTimeoutSeconds = 30.0

        /// The documented defaults.
        public init() {}
    }

    /// `[consent]`: who may receive patients' data (docs/CONSENT.md, "Policy").
    public struct ConsentSection: Sendable, Equatable {
        /// `enabled`: decide disclosures by consent; off, every disclosure is permitted (as before consent existed).
        public var enabled = false
        /// `authority_keys_file`: the pinned consent-authority keys (JSON); empty: no documents are taken.
        public var authorityKeysFile = ""
        /// `treatment_recipients`: recipients permitted every class for treatment (`TREAT`) by default.
        public var treatmentRecipients: [String] = []
        /// `break_glass`: recipients that may use emergency access (`ETREAT`), always recorded and flagged.
        public var breakGlass: [String] = []

        /// The documented defaults.
        public init() {}
    }

    /// `[http]`: metrics, health and the status page over HTTP.
    public struct HTTPSection: Sendable, Equatable {
        /// `listen`: `HOST:PORT` (`[V6]:PORT`); empty or `off`: no HTTP server.
        public var listen = "127.0.0.1:9180"
        /// `user` and `password_file`: HTTP Basic credentials, required when `listen` is not a
        /// loopback address (the file holds the password, never this file).
        public var user = "vitalgate"
        public var passwordFile = ""
        /// `stall_seconds`: `/healthz` fails when the ingest loop has not turned for this long.
        public var stallSeconds = 30.0
        /// `ack_lag_seconds`, `anchor_lag_seconds`, `delivery_lag_seconds`: `/readyz` fails when
        /// the oldest unacknowledged message, unanchored checkpoint or undelivered record is this
        /// old (0: not checked).
        public var ackLagSeconds = 60.0
        public var anchorLagSeconds = 3600.0
        public var deliveryLagSeconds = 3600.0

        /// The documented defaults.
        public init() {}

        /// Whether the server is on.
        public var isEnabled: Bool { !listen.isEmpty && listen != "off" }
    }

    /// `[gateway]`.
    public var gateway = GatewaySection()
    /// `[http]`.
    public var http = HTTPSection()
    /// `[mqtt]` and `[mqtt.tls]`.
    public var mqtt = MQTTSection()
    /// `[reconnect]`.
    public var reconnect = ReconnectSection()
    /// `[ingest]`.
    public var ingest = IngestSection()
    /// `[schemas]`.
    public var schemas = SchemasSection()
    /// `[detection]`.
    public var sealing = SealingSection()
    public var detection = DetectionSection()
    /// `[storage]`.
    public var storage = StorageSection()
    /// `[retention]`.
    public var retention = RetentionSection()
    /// `[ledger]`.
    public var ledger = LedgerSection()
    /// `[egress]`.
    public var egress = EgressSection()
    /// Consent where data leaves: each sink's recipient and purpose (`[egress]`), and what
    /// happens to what consent does not permit (`[consent]`; docs/CONSENT.md "Enforcement").
    public var enforcement = ConsentEnforcementSection()
    /// `[fleet]`.
    public var fleet = FleetSection()
    /// `[consent]`.
    public var consent = ConsentSection()
    /// `[consent.registry]`.
    public var consentRegistry = ConsentRegistrySection()

    /// The built-in defaults (the values `Config/vitalgate.conf` documents).
    public init() {}

    // MARK: Loading

    /// Reads and validates a configuration file; keys it leaves out keep their defaults.
    public static func load(path: String) throws(ConfigError) -> AgentConfig {
        try parse(try TextFile.read(path), path: path)
    }

    /// Parses and validates configuration text; `path` only labels errors.
    public static func parse(_ text: String, path: String? = nil) throws(ConfigError) -> AgentConfig {
        var lines: [String: Int] = [:]
        var config = AgentConfig()
        do {
            let file = try ConfigFile.parse(text)
            try config.apply(file, lines: &lines)
            try config.validate()
        } catch {
            throw error.located(path: path, line: error.key.flatMap { lines[$0] })
        }
        return config
    }

    // MARK: Derived values

    /// The MQTT client id: `mqtt.client_id`, or `vitalgate-<gateway id>` when that is empty.
    public var clientID: String { mqtt.clientID.isEmpty ? "vitalgate-\(gateway.id)" : mqtt.clientID }

    /// `vitalgate/{gateway id}/status`, where the gateway announces itself and its will says `offline`.
    public var statusTopic: String { GatewayTopics(gateway: gateway.id).status }

    /// The last will: `offline`, retained, QoS 1, on `statusTopic`.
    public var willMessage: MQTTOptions.Message {
        MQTTOptions.Message(topic: statusTopic, payload: Array("offline".utf8), qos: 1, retain: true)
    }

    /// Options for `MQTTClient`: client id, persistent session, will, TLS (for `mqtts://` or
    /// any `[mqtt.tls]` setting) and the password read from `password_file`.
    public func mqttOptions() throws(ConfigError) -> MQTTOptions {
        try validate()
        guard let broker = BrokerAddress(url: mqtt.broker),
              let expiry = UInt32(exactly: mqtt.sessionExpirySeconds),
              let keepAlive = Int32(exactly: mqtt.keepAliveSeconds),
              let inflight = UInt16(exactly: mqtt.maxInflight) else {
            throw ConfigError(.invalidSetting, key: "mqtt", "settings out of range")  // validate() prevents this
        }
        let password = mqtt.passwordFile.isEmpty ? nil : try Self.readPassword(mqtt.passwordFile)
        var tls: MQTTOptions.TLS?
        if broker.usesTLS || mqtt.tls.isConfigured {
            tls = MQTTOptions.TLS(caFile: mqtt.tls.caFile.nonEmpty, certFile: mqtt.tls.certFile.nonEmpty,
                                  keyFile: mqtt.tls.keyFile.nonEmpty, insecure: mqtt.tls.insecure)
        }
        return MQTTOptions(broker: broker, clientID: clientID, protocolVersion: mqtt.protocolVersion,
                           persistentSession: true, sessionExpirySeconds: expiry, keepAliveSeconds: keepAlive,
                           username: mqtt.username.nonEmpty, password: password, tls: tls, will: willMessage,
                           maxInflight: inflight)
    }

    /// The file's first line (trailing newline removed); errors never include its contents.
    static func readPassword(_ path: String, key: String = "mqtt.password_file") throws(ConfigError) -> String {
        let text = try TextFile.read(path, key: key)
        let firstLine = text.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r\n" })
            .first
        let password = firstLine.map(String.init) ?? ""
        guard !password.isEmpty else {
            throw ConfigError(.invalidSetting, key: key, "the password file is empty")
        }
        return password
    }
}

extension String {
    /// `nil` for the empty string.
    fileprivate var nonEmpty: String? { isEmpty ? nil : self }
}
