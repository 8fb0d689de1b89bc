public import Telemetry

/// The configuration sections of a document. A present section replaces that whole section of
/// the running configuration; an absent one leaves it unchanged.
public struct ConfigSections: Sendable, Equatable {
    /// MQTT ingest settings.
    public struct Ingest: Sendable, Equatable {
        /// Subscription topic filters.
        public var topics: [String]
        /// Messages per vault transaction (`SettingRanges.ingestMaxBatch`).
        public var maxBatch: UInt64
        /// Creates the section value.
        public init(topics: [String], maxBatch: UInt64) { self.topics = topics; self.maxBatch = maxBatch }
    }

    /// Sealing batch limits and trusted witness keys.
    public struct Sealing: Sendable, Equatable {
        /// Readings per sealed batch (`SettingRanges.batchMaxReadings`).
        public var batchMaxReadings: UInt64
        /// Maximum batch age in ms (`SettingRanges.batchMaxAgeMs`).
        public var batchMaxAgeMs: UInt64
        /// Trusted witnesses: C2SP verifier keys of type cosignature/v1 (`name+hash+base64`).
        public var witnessKeys: [String]
        /// Creates the section value.
        public init(batchMaxReadings: UInt64, batchMaxAgeMs: UInt64, witnessKeys: [String]) {
            self.batchMaxReadings = batchMaxReadings
            self.batchMaxAgeMs = batchMaxAgeMs
            self.witnessKeys = witnessKeys
        }
    }

    /// Anomaly detection settings.
    public struct Detection: Sendable, Equatable {
        /// Whether detection runs.
        public var enabled: Bool
        /// Alarm threshold (`SettingRanges.detectionThreshold`).
        public var threshold: Double
        /// Creates the section value.
        public init(enabled: Bool, threshold: Double) { self.enabled = enabled; self.threshold = threshold }
    }

    /// The vault's byte budget and retention (issue 20).
    public struct Storage: Sendable, Equatable {
        /// `when_full` values.
        public enum WhenFull: String, Sendable, Equatable {
            case block
            case evictOldest = "evict-oldest"
        }

        /// Vault size cap in bytes (at least 64 MiB).
        public var maxBytes: UInt64
        /// Over the budget with nothing to prune (`nil`: the local `[storage] when_full`).
        public var whenFull: WhenFull?
        /// Days a delivered, anchored reading's content is kept (`nil`: the local `[retention] keep_days`).
        public var keepDays: UInt64?
        /// Creates the section value.
        public init(maxBytes: UInt64, whenFull: WhenFull? = nil, keepDays: UInt64? = nil) {
            self.maxBytes = maxBytes
            self.whenFull = whenFull
            self.keepDays = keepDays
        }
    }

    /// Ledger backends.
    public enum LedgerBackend: String, Sendable, Equatable {
        case local, evm
    }

    /// Ledger settings.
    public struct Ledger: Sendable, Equatable {
        /// Which ledger backend anchors log checkpoints.
        public var backend: LedgerBackend
        /// `evm` only: the node's JSON-RPC endpoint (`http(s)://host:port/path`); the TLS files
        /// stay those of the local `[ledger]`.
        public var endpoint: String?
        /// `evm` only: the chain id the node must report.
        public var chainID: UInt64?
        /// `evm` only: the anchor contract address (`0x` and 40 hex digits).
        public var contract: String?
        /// `evm` only: confirmations before an anchor counts as final (`SettingRanges.ledgerConfirmations`).
        public var confirmations: UInt64?
        /// Creates the section value.
        public init(backend: LedgerBackend, endpoint: String? = nil, chainID: UInt64? = nil, contract: String? = nil,
                    confirmations: UInt64? = nil) {
            self.backend = backend
            self.endpoint = endpoint
            self.chainID = chainID
            self.contract = contract
            self.confirmations = confirmations
        }
    }

    /// Firmware schemas delivered with the document, added to the agent's catalogue so that a
    /// new device firmware is supported without an agent upgrade.
    public struct Schemas: Sendable, Equatable {
        /// One firmware schema file: its name and its JSON object (the format of
        /// `Firmware-Schemas/*.json`, checked when the document is parsed).
        public struct File: Sendable, Equatable {
            /// A file name such as `oxipatch-fw3.json` (`[A-Za-z0-9._-]`, ends in `.json`).
            public var name: String
            /// The schema object.
            public var schema: JSONValue
            /// Creates a file entry.
            public init(name: String, schema: JSONValue) { self.name = name; self.schema = schema }
        }
        /// The complete set of fleet-delivered schemas (replaces any set delivered before).
        public var files: [File]
        /// Creates the section value.
        public init(files: [File]) { self.files = files }
    }

    /// Broker connection (applied with commit-confirmed semantics by the agent).
    public struct Broker: Sendable, Equatable {
        /// `mqtt://host[:port]` or `mqtts://host[:port]`.
        public var url: String
        /// Creates the section value.
        public init(url: String) { self.url = url }
    }

    /// Key rotation: the complete new operator key list and thresholds.
    public struct Operators: Sendable, Equatable {
        /// The policy that replaces the current one once the document is applied.
        public var policy: TrustPolicy
        /// Creates the section value.
        public init(policy: TrustPolicy) { self.policy = policy }
    }

    /// Delivery: where readings and alerts go. The secrets and files they need (CA bundles,
    /// client certificates, tokens) stay in the gateway's own `[egress]` configuration.
    public struct Egress: Sendable, Equatable {
        /// A FHIR R4 server's base URL, `http(s)://…`; empty: none.
        public var fhir: String
        /// An upstream broker, `mqtt(s)://host:port`; empty: none.
        public var upstream: String
        /// The upstream topic template (`{gateway}`, `{kind}`, `{device}`); nil: the local one.
        public var upstreamTopic: String?
        /// The system of patient identifiers in FHIR references; nil: the local one.
        public var patientIdentifierSystem: String?
        /// Creates the section value.
        public init(fhir: String, upstream: String, upstreamTopic: String? = nil, patientIdentifierSystem: String? = nil) {
            self.fhir = fhir
            self.upstream = upstream
            self.upstreamTopic = upstreamTopic
            self.patientIdentifierSystem = patientIdentifierSystem
        }
    }

    public var ingest: Ingest?
    public var sealing: Sealing?
    public var detection: Detection?
    public var storage: Storage?
    public var ledger: Ledger?
    public var broker: Broker?
    public var operators: Operators?
    public var schemas: Schemas?
    public var egress: Egress?

    /// Creates a set of sections; all default to absent.
    public init(ingest: Ingest? = nil, sealing: Sealing? = nil, detection: Detection? = nil,
                storage: Storage? = nil, ledger: Ledger? = nil, broker: Broker? = nil,
                operators: Operators? = nil, schemas: Schemas? = nil, egress: Egress? = nil) {
        self.ingest = ingest
        self.sealing = sealing
        self.detection = detection
        self.storage = storage
        self.ledger = ledger
        self.broker = broker
        self.operators = operators
        self.schemas = schemas
        self.egress = egress
    }

    /// The sections present, in declaration order.
    public var present: [ConfigSection] {
        var result: [ConfigSection] = []
        if ingest != nil { result.append(.ingest) }
        if sealing != nil { result.append(.sealing) }
        if detection != nil { result.append(.detection) }
        if storage != nil { result.append(.storage) }
        if ledger != nil { result.append(.ledger) }
        if broker != nil { result.append(.broker) }
        if operators != nil { result.append(.operators) }
        if schemas != nil { result.append(.schemas) }
        if egress != nil { result.append(.egress) }
        return result
    }

    /// The first value outside its safe range, as a dotted field path; `nil` if all are safe.
    public func firstUnsafeField() -> String? {
        typealias R = SettingRanges
        if let ingest {
            if !R.ingestMaxBatch.allowsRemote(ingest.maxBatch) { return R.ingestMaxBatch.key }
            if !R.ingestTopics.remote.contains(ingest.topics.count) { return R.ingestTopics.key }
        }
        if let sealing {
            if !R.batchMaxReadings.allowsRemote(sealing.batchMaxReadings) { return R.batchMaxReadings.key }
            if !R.batchMaxAgeMs.allowsRemote(sealing.batchMaxAgeMs) { return R.batchMaxAgeMs.key }
        }
        if let detection, !R.detectionThreshold.remote.contains(detection.threshold) { return R.detectionThreshold.key }
        if let storage, !R.storageMaxBytes.allowsRemote(storage.maxBytes) { return R.storageMaxBytes.key }
        if let days = storage?.keepDays, !R.retentionKeepDays.allowsRemote(days) { return R.retentionKeepDays.key }
        if let ledger, let confirmations = ledger.confirmations, !R.ledgerConfirmations.allowsRemote(confirmations) {
            return R.ledgerConfirmations.key
        }
        if let schemas, !R.schemaFiles.remote.contains(schemas.files.count) { return R.schemaFiles.key }
        if let operators {
            let policy = operators.policy
            if policy.keys.isEmpty { return "operators.keys" }
            for (section, value) in policy.thresholds.sorted(by: { $0.key < $1.key })
            where value < 1 || value > policy.keys.count {
                return "operators.thresholds.\(section.rawValue)"
            }
        }
        return nil
    }
}
