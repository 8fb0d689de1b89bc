import Delivery
import MQTT

extension AgentConfig {
    /// The sections `apply(_:lines:)` accepts, in file order.
    static let knownSections = ["gateway", "mqtt", "mqtt.tls", "reconnect", "ingest", "schemas", "sealing", "detection",
                                "storage", "retention", "ledger", "egress", "fleet", "consent", "consent.registry", "http"]

    /// Overwrites the settings a parsed file gives; records each dotted key's line in `lines`.
    mutating func apply(_ file: ConfigFile, lines: inout [String: Int]) throws(ConfigError) {
        for section in file.sections {
            if !section.name.isEmpty && !Self.knownSections.contains(section.name) {
                throw ConfigError(.unknownSection, line: section.line, key: section.name,
                                  "unknown section; known: " + Self.knownSections.joined(separator: ", "))
            }
            for entry in section.entries {
                let value = EntryReader(section: section.name, entry: entry)
                lines[value.key] = entry.line
                try apply(value)
            }
        }
    }

    private mutating func apply(_ v: EntryReader) throws(ConfigError) {
        switch (v.section, v.entry.key) {
        case ("gateway", "id"): gateway.id = try v.string()
        case ("gateway", "data_dir"): gateway.dataDirectory = try v.string()
        case ("gateway", "metrics_interval_seconds"): gateway.metricsIntervalSeconds = try v.integer()

        case ("mqtt", "broker"): mqtt.broker = try v.string()
        case ("mqtt", "protocol"): mqtt.protocolVersion = try v.choice(MQTTOptions.ProtocolVersion.self)
        case ("mqtt", "client_id"): mqtt.clientID = try v.string()
        case ("mqtt", "keepalive_seconds"): mqtt.keepAliveSeconds = try v.integer()
        case ("mqtt", "session_expiry_seconds"): mqtt.sessionExpirySeconds = try v.integer()
        case ("mqtt", "max_inflight"): mqtt.maxInflight = try v.integer()
        case ("mqtt", "username"): mqtt.username = try v.string()
        case ("mqtt", "password_file"): mqtt.passwordFile = try v.string()

        case ("mqtt.tls", "ca_file"): mqtt.tls.caFile = try v.string()
        case ("mqtt.tls", "cert_file"): mqtt.tls.certFile = try v.string()
        case ("mqtt.tls", "key_file"): mqtt.tls.keyFile = try v.string()
        case ("mqtt.tls", "insecure"): mqtt.tls.insecure = try v.boolean()

        case ("reconnect", "initial_ms"): reconnect.initialMs = try v.integer()
        case ("reconnect", "max_ms"): reconnect.maxMs = try v.integer()
        case ("reconnect", "jitter"): reconnect.jitter = try v.number()

        case ("ingest", "topics"): ingest.topics = try v.strings()
        case ("ingest", "max_batch"): ingest.maxBatch = try v.integer()
        case ("ingest", "max_payload_bytes"): ingest.maxPayloadBytes = try v.integer()
        case ("ingest", "max_future_skew_seconds"): ingest.maxFutureSkewSeconds = try v.integer()
        case ("ingest", "synchronous"): ingest.synchronous = try v.choice(IngestSection.Synchronous.self)

        case ("schemas", "directory"): schemas.directory = try v.string()

        case ("sealing", "batch_max_readings"): sealing.batchMaxReadings = try v.integer()
        case ("sealing", "batch_max_age_ms"): sealing.batchMaxAgeMs = try v.integer()
        case ("sealing", "witness_keys"): sealing.witnessKeys = try v.strings()
        case ("sealing", "min_cosignatures"): sealing.minCosignatures = try v.integer()

        case ("detection", "enabled"): detection.enabled = try v.boolean()
        case ("detection", "threshold"): detection.threshold = try v.number()

        case ("storage", "max_bytes"): storage.maxBytes = try v.integer()
        case ("storage", "when_full"): storage.whenFull = try v.choice(StorageSection.WhenFull.self)
        case ("storage", "vacuum_at_start_max_bytes"): storage.vacuumAtStartMaxBytes = try v.integer()

        case ("retention", "enabled"): retention.enabled = try v.boolean()
        case ("retention", "keep_days"): retention.keepDays = try v.integer()

        case ("ledger", "backend"): ledger.backend = try v.string()
        case ("ledger", "poll_seconds"): ledger.pollSeconds = try v.number()
        case ("ledger", "endpoint"): ledger.endpoint = try v.string()
        case ("ledger", "endpoint_ca_file"): ledger.endpointCAFile = try v.string()
        case ("ledger", "endpoint_cert_file"): ledger.endpointCertFile = try v.string()
        case ("ledger", "endpoint_key_file"): ledger.endpointKeyFile = try v.string()
        case ("ledger", "chain_id"): ledger.chainID = try v.integer()
        case ("ledger", "contract"): ledger.contract = try v.string()
        case ("ledger", "confirmations"): ledger.confirmations = try v.integer()
        case ("ledger", "qbft_validators"): ledger.qbftValidators = try v.strings()
        case ("ledger", "witnesses"): ledger.witnesses = try v.strings()
        case ("ledger", "witness_ca_files"): ledger.witnessCAFiles = try v.strings()
        case ("ledger", "witness_cert_files"): ledger.witnessCertFiles = try v.strings()
        case ("ledger", "witness_key_files"): ledger.witnessKeyFiles = try v.strings()
        case ("ledger", "pinned_blocks"): ledger.pinnedBlocks = try v.strings()
        case ("ledger", "trust"): ledger.trust = try v.string()
        case ("ledger", "max_fee_gwei"): ledger.maxFeeGwei = try v.integer()

        case ("egress", "ndjson"): egress.ndjson = try v.string()
        case ("egress", "ndjson_max_age_seconds"): egress.ndjsonMaxAgeSeconds = try v.integer()
        case ("egress", "patient_identifier_system"): egress.patientIdentifierSystem = try v.string()
        case ("egress", "upstream"): egress.upstream = try v.string()
        case ("egress", "upstream_topic"): egress.upstreamTopic = try v.string()
        case ("egress", "upstream_ca_file"): egress.upstreamCAFile = try v.string()
        case ("egress", "upstream_cert_file"): egress.upstreamCertFile = try v.string()
        case ("egress", "upstream_key_file"): egress.upstreamKeyFile = try v.string()
        case ("egress", "fhir"): egress.fhir = try v.string()
        case ("egress", "fhir_ca_file"): egress.fhirCAFile = try v.string()
        case ("egress", "fhir_cert_file"): egress.fhirCertFile = try v.string()
        case ("egress", "fhir_key_file"): egress.fhirKeyFile = try v.string()
        case ("egress", "fhir_token_file"): egress.fhirTokenFile = try v.string()
        case ("egress", "fhir_oauth_token_url"): egress.fhirOAuthTokenURL = try v.string()
        case ("egress", "fhir_oauth_client_id"): egress.fhirOAuthClientID = try v.string()
        case ("egress", "fhir_oauth_secret_file"): egress.fhirOAuthSecretFile = try v.string()
        case ("egress", "fhir_oauth_scope"): egress.fhirOAuthScope = try v.string()
        case ("egress", "fhir_batch"): egress.fhirBatch = try v.integer()
        case ("egress", "fhir_timeout_seconds"): egress.fhirTimeoutSeconds = try v.integer()
        case ("egress", "fhir_recipient"): enforcement.fhir.recipient = try v.string()
        case ("egress", "fhir_purpose"): enforcement.fhir.purpose = try v.string()
        case ("egress", "upstream_recipient"): enforcement.upstream.recipient = try v.string()
        case ("egress", "upstream_purpose"): enforcement.upstream.purpose = try v.string()
        case ("egress", "ndjson_recipient"): enforcement.ndjson.recipient = try v.string()
        case ("egress", "ndjson_purpose"): enforcement.ndjson.purpose = try v.string()

        case ("consent", "when_denied"): enforcement.whenDenied = try v.choice(ConsentEnforcementSection.WhenDenied.self)
        case ("consent", "hold_seconds"): enforcement.holdSeconds = try v.integer()
        case ("consent", "disclosure_window_seconds"): enforcement.disclosureWindowSeconds = try v.integer()
        case ("consent", "alerts_topic_patient"): enforcement.alertsTopicPatient = try v.choice(MQTTSink.AlertTopicPatient.self)
        case ("consent", "alerts_topic_recipient"): enforcement.alertsTopic.recipient = try v.string()

        case ("fleet", "enabled"): fleet.enabled = try v.boolean()
        case ("fleet", "groups"): fleet.groups = try v.strings()
        case ("fleet", "operators_file"): fleet.operatorsFile = try v.string()
        case ("fleet", "confirm_timeout_seconds"): fleet.confirmTimeoutSeconds = try v.number()

        case ("consent", "enabled"): consent.enabled = try v.boolean()
        case ("consent", "authority_keys_file"): consent.authorityKeysFile = try v.string()
        case ("consent", "treatment_recipients"): consent.treatmentRecipients = try v.strings()
        case ("consent", "break_glass"): consent.breakGlass = try v.strings()

        case ("consent.registry", "contract"): consentRegistry.contract = try v.string()
        case ("consent.registry", "authority"): consentRegistry.authority = try v.string()
        case ("consent.registry", "pseudonym_key_file"): consentRegistry.pseudonymKeyFile = try v.string()
        case ("consent.registry", "grantees"): consentRegistry.grantees = try v.strings()
        case ("consent.registry", "purposes"): consentRegistry.purposes = try v.strings()
        case ("consent.registry", "poll_seconds"): consentRegistry.pollSeconds = try v.integer()
        case ("consent.registry", "max_staleness_seconds"): consentRegistry.maxStalenessSeconds = try v.integer()
        case ("consent.registry", "max_age_blocks"): consentRegistry.maxAgeBlocks = try v.integer()
        case ("consent.registry", "endpoint"): consentRegistry.endpoint = try v.string()
        case ("consent.registry", "endpoint_ca_file"): consentRegistry.endpointCAFile = try v.string()
        case ("consent.registry", "endpoint_cert_file"): consentRegistry.endpointCertFile = try v.string()
        case ("consent.registry", "endpoint_key_file"): consentRegistry.endpointKeyFile = try v.string()

        case ("http", "listen"): http.listen = try v.string()
        case ("http", "user"): http.user = try v.string()
        case ("http", "password_file"): http.passwordFile = try v.string()
        case ("http", "stall_seconds"): http.stallSeconds = try v.number()
        case ("http", "ack_lag_seconds"): http.ackLagSeconds = try v.number()
        case ("http", "anchor_lag_seconds"): http.anchorLagSeconds = try v.number()
        case ("http", "delivery_lag_seconds"): http.deliveryLagSeconds = try v.number()

        case ("", _):
            throw v.error(.unknownKey, "keys must follow a [section] header")
        default:
            throw v.error(.unknownKey, "unknown key in [\(v.section)]")
        }
    }
}

/// Typed access to one entry, with errors naming its line and dotted key (never its value).
private struct EntryReader {
    let section: String
    let entry: ConfigFile.Entry

    var key: String { section.isEmpty ? entry.key : "\(section).\(entry.key)" }

    func error(_ code: ConfigError.Code, _ reason: String) -> ConfigError {
        ConfigError(code, line: entry.line, key: key, reason)
    }

    private func wrongType(_ expected: String) -> ConfigError {
        error(.wrongType, "expected \(expected), found \(entry.value.typeName)")
    }

    func string() throws(ConfigError) -> String {
        guard case .string(let s) = entry.value else { throw wrongType("a string") }
        return s
    }

    func integer() throws(ConfigError) -> Int {
        guard case .integer(let n) = entry.value else { throw wrongType("an integer") }
        return n
    }

    /// A float, or an integer taken as one.
    func number() throws(ConfigError) -> Double {
        switch entry.value {
        case .float(let x): return x
        case .integer(let n): return Double(n)
        default: throw wrongType("a number")
        }
    }

    func boolean() throws(ConfigError) -> Bool {
        guard case .boolean(let b) = entry.value else { throw wrongType("true or false") }
        return b
    }

    func strings() throws(ConfigError) -> [String] {
        guard case .array(let items) = entry.value else { throw wrongType("an array of strings") }
        var out: [String] = []
        for item in items {
            guard case .string(let s) = item else { throw wrongType("an array of strings") }
            out.append(s)
        }
        return out
    }

    /// A string naming one case of `T`.
    func choice<T: RawRepresentable & CaseIterable>(_: T.Type) throws(ConfigError) -> T where T.RawValue == String {
        let text = try string()
        guard let value = T(rawValue: text) else {
            let names = T.allCases.map { "\"\($0.rawValue)\"" }.joined(separator: ", ")
            throw error(.invalidSetting, "must be one of \(names)")
        }
        return value
    }
}
