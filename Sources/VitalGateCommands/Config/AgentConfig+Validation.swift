import HTTPServer
import Glibc
import MQTT
import Telemetry

extension AgentConfig {
    /// Checks ranges and consistency; the error names the dotted key (and, from `load`, its line).
    public func validate() throws(ConfigError) {
        try check(Self.isTopicLevel(gateway.id), "gateway.id",
                  "must be 1-64 characters of A-Z a-z 0-9 . _ - (it is used in topics)")
        try check(!gateway.dataDirectory.isEmpty, "gateway.data_dir", "must not be empty")
        try check(gateway.metricsIntervalSeconds, SettingRanges.metricsIntervalSeconds, " (0: never)")

        try check(BrokerAddress(url: mqtt.broker) != nil, "mqtt.broker",
                  "must be mqtt://host[:port] or mqtts://host[:port]")
        try check(!clientID.utf8.contains(0) && clientID.utf8.count <= 65_535, "mqtt.client_id",
                  "must be at most 65535 bytes without NUL")
        try check(mqtt.keepAliveSeconds, SettingRanges.keepAliveSeconds)
        try check(mqtt.sessionExpirySeconds, SettingRanges.sessionExpirySeconds)
        try check(mqtt.maxInflight, SettingRanges.maxInflight)
        try check(mqtt.passwordFile.isEmpty || !mqtt.username.isEmpty, "mqtt.password_file",
                  "needs mqtt.username")
        try check(mqtt.tls.certFile.isEmpty == mqtt.tls.keyFile.isEmpty, "mqtt.tls.key_file",
                  "cert_file and key_file must be set together (mutual TLS)")

        try check(reconnect.initialMs >= 1, "reconnect.initial_ms", "must be at least 1")
        try check(reconnect.maxMs >= reconnect.initialMs, "reconnect.max_ms", "must be at least initial_ms")
        try check(reconnect.jitter, SettingRanges.reconnectJitter)

        try check(!ingest.topics.isEmpty, "ingest.topics", "must name at least one topic filter")
        try check(ingest.topics.allSatisfy(Self.isTopicFilter), "ingest.topics",
                  "every entry must be a valid MQTT topic filter")
        try check(ingest.maxBatch, SettingRanges.ingestMaxBatch)
        try check(ingest.maxPayloadBytes, SettingRanges.maxPayloadBytes)
        try check(ingest.maxFutureSkewSeconds, SettingRanges.maxFutureSkewSeconds)

        try check(detection.threshold, SettingRanges.detectionThreshold)
        try check(sealing.batchMaxReadings, SettingRanges.batchMaxReadings)
        try check(sealing.batchMaxAgeMs, SettingRanges.batchMaxAgeMs)
        try check((0...sealing.witnessKeys.count).contains(sealing.minCosignatures), "sealing.min_cosignatures",
                  "must be between 0 and the number of witness keys")
        try check(storage.maxBytes >= 0, "storage.max_bytes", "must be 0 (no cap) or a size in bytes")
        try check(storage.vacuumAtStartMaxBytes >= 0, "storage.vacuum_at_start_max_bytes",
                  "must be 0 (never) or a size in bytes")
        try check(retention.keepDays, SettingRanges.retentionKeepDays)
        try checkLedger()
        try check(egress.ndjsonMaxAgeSeconds, SettingRanges.egressNDJSONMaxAgeSeconds)
        try check(!egress.patientIdentifierSystem.isEmpty && !egress.patientIdentifierSystem.contains("|"),
                  "egress.patient_identifier_system", "must be a URI without `|`")
        try check(egress.upstream.isEmpty || BrokerAddress(url: egress.upstream) != nil, "egress.upstream",
                  "must be empty, mqtt://host[:port] or mqtts://host[:port]")
        try check(!egress.upstreamTopic.isEmpty && !egress.upstreamTopic.contains("+") && !egress.upstreamTopic.contains("#"),
                  "egress.upstream_topic", "must be a topic without wildcards")
        try check(egress.upstreamCertFile.isEmpty == egress.upstreamKeyFile.isEmpty, "egress.upstream_key_file",
                  "upstream_cert_file and upstream_key_file must be set together (mutual TLS)")
        try checkFHIR()
        try checkEnforcement()
        try checkConsentRegistry()
        try check(ledger.confirmations, SettingRanges.ledgerConfirmations)
        try check(ledger.maxFeeGwei, SettingRanges.ledgerMaxFeeGwei)
        try check(ledger.pollSeconds, SettingRanges.ledgerPollSeconds)
        try check(fleet.groups.allSatisfy(Self.isTopicLevel), "fleet.groups",
                  "every group must be 1-64 characters of A-Z a-z 0-9 . _ -")
        try check(!fleet.enabled || !fleet.operatorsFile.isEmpty, "fleet.enabled",
                  "needs fleet.operators_file (the pinned operator keys)")
        try check(fleet.confirmTimeoutSeconds, SettingRanges.fleetConfirmTimeoutSeconds)
        try check((consent.treatmentRecipients + consent.breakGlass).allSatisfy { !$0.isEmpty && $0.utf8.count <= 256 },
                  "consent.treatment_recipients", "every recipient must be 1-256 bytes")
        try check(consent.authorityKeysFile.isEmpty || consent.enabled, "consent.authority_keys_file",
                  "needs consent.enabled = true")
        try checkHTTP()
    }

    /// `[http]`: a listen address, credentials off loopback, thresholds that are not negative.
    private func checkHTTP() throws(ConfigError) {
        guard http.isEnabled else { return }
        guard let address = ListenAddress(http.listen) else {
            throw ConfigError(.invalidSetting, key: "http.listen", "must be HOST:PORT, [IPV6]:PORT, or off")
        }
        try check(address.isLoopback || !http.passwordFile.isEmpty, "http.password_file",
                  "must name a password file when http.listen is not a loopback address (the status page shows beds and alerts)")
        try check(!http.user.isEmpty && !http.user.contains(":"), "http.user", "must be a non-empty name without `:`")
        for (key, value) in [("http.stall_seconds", http.stallSeconds), ("http.ack_lag_seconds", http.ackLagSeconds),
                             ("http.anchor_lag_seconds", http.anchorLagSeconds), ("http.delivery_lag_seconds", http.deliveryLagSeconds)] {
            try check(value >= 0 && value.isFinite, key, "must be 0 (not checked) or a number of seconds")
        }
    }

    /// The files the settings name that the agent reads later (TLS files, credentials): each set
    /// one must be readable now, so that a wrong path stops the start with the setting's name
    /// instead of failing in a connection attempt. (`password_file` and `operators_file` are read
    /// at start anyway.)
    public func checkFilesReadable() throws(ConfigError) {
        let files = [
            ("mqtt.tls.ca_file", mqtt.tls.caFile), ("mqtt.tls.cert_file", mqtt.tls.certFile),
            ("mqtt.tls.key_file", mqtt.tls.keyFile), ("egress.upstream_ca_file", egress.upstreamCAFile),
            ("egress.upstream_cert_file", egress.upstreamCertFile), ("egress.upstream_key_file", egress.upstreamKeyFile),
            ("egress.fhir_ca_file", egress.fhirCAFile), ("egress.fhir_cert_file", egress.fhirCertFile),
            ("egress.fhir_key_file", egress.fhirKeyFile), ("egress.fhir_token_file", egress.fhirTokenFile),
            ("egress.fhir_oauth_secret_file", egress.fhirOAuthSecretFile),
            ("ledger.endpoint_ca_file", ledger.endpointCAFile), ("ledger.endpoint_cert_file", ledger.endpointCertFile),
            ("ledger.endpoint_key_file", ledger.endpointKeyFile), ("http.password_file", http.passwordFile),
            ("consent.authority_keys_file", consent.authorityKeysFile),
            ("consent.registry.pseudonym_key_file", consentRegistry.pseudonymKeyFile),
            ("consent.registry.endpoint_ca_file", consentRegistry.endpointCAFile),
            ("consent.registry.endpoint_cert_file", consentRegistry.endpointCertFile),
            ("consent.registry.endpoint_key_file", consentRegistry.endpointKeyFile),
        ]
        for (key, path) in files where !path.isEmpty && access(path, R_OK) != 0 {
            throw TextFile.openFailure(errno, path: path, key: key)
        }
    }

    func check(_ ok: Bool, _ key: String, _ reason: String) throws(ConfigError) {
        if !ok { throw ConfigError(.invalidSetting, key: key, reason) }
    }

    func check<Bound>(_ value: Bound, _ range: SettingRange<Bound>, _ note: String = "") throws(ConfigError) {
        try check(range.local.contains(value), range.key, range.requirement + note)
    }

    /// `[ledger]`: a known backend; for `evm` an http(s) URL, a chain and a contract; TLS files
    /// only for `https://`, the client certificate and key together.
    private func checkLedger() throws(ConfigError) {
        try check(["local", "evm"].contains(ledger.backend), "ledger.backend", "must be \"local\" or \"evm\"")
        let https = ledger.endpoint.lowercased().hasPrefix("https://")
        if ledger.backend == "evm" {
            try check(https || ledger.endpoint.lowercased().hasPrefix("http://"), "ledger.endpoint",
                      "must be an http:// or https:// JSON-RPC URL for backend evm")
            try check(ledger.chainID > 0, "ledger.chain_id", "must be set (positive) for backend evm")
            try check(ledger.contract.utf8.count == 42 && ledger.contract.hasPrefix("0x"), "ledger.contract",
                      "must be the anchor contract address (0x and 40 hex digits) for backend evm")
        }
        try check(ledger.endpointCertFile.isEmpty == ledger.endpointKeyFile.isEmpty, "ledger.endpoint_key_file",
                  "endpoint_cert_file and endpoint_key_file must be set together (mutual TLS)")
        let tlsFiles = [("endpoint_ca_file", ledger.endpointCAFile), ("endpoint_cert_file", ledger.endpointCertFile),
                        ("endpoint_key_file", ledger.endpointKeyFile)]
        if !https && !ledger.endpoint.isEmpty, let (key, _) = tlsFiles.first(where: { !$0.1.isEmpty }) {
            try check(false, "ledger.\(key)", "needs an https:// endpoint (TLS files are not used over http://)")
        }
        try checkLedgerTrust()
    }

    /// `[ledger]`'s finality trust: witnesses as URLs with their TLS files by position, pinned
    /// blocks as hashes, and, for `evm` under confirmations, something beside the endpoint's word.
    private func checkLedgerTrust() throws(ConfigError) {
        try check(["independent", "single-node"].contains(ledger.trust), "ledger.trust",
                  "must be \"independent\" or \"single-node\"")
        for (index, url) in ledger.witnesses.enumerated() {
            let lower = url.lowercased()
            try check(lower.hasPrefix("http://") || lower.hasPrefix("https://"), "ledger.witnesses",
                      "entry \(index + 1) must be an http:// or https:// JSON-RPC URL")
            try check(url != ledger.endpoint && !ledger.witnesses[..<index].contains(url), "ledger.witnesses",
                      "entry \(index + 1) must be another node than the endpoint and the other witnesses")
        }
        let files = [("witness_ca_files", ledger.witnessCAFiles), ("witness_cert_files", ledger.witnessCertFiles),
                     ("witness_key_files", ledger.witnessKeyFiles)]
        for (key, list) in files {
            try check(list.isEmpty || list.count == ledger.witnesses.count, "ledger.\(key)",
                      "must be empty or have one entry per witness (\"\" for none)")
            for (index, path) in list.enumerated() where !path.isEmpty {
                try check(ledger.witnesses[index].lowercased().hasPrefix("https://"), "ledger.\(key)",
                          "entry \(index + 1) needs an https:// witness (TLS files are not used over http://)")
            }
        }
        for index in ledger.witnesses.indices {
            let cert = ledger.witnessCertFiles.isEmpty ? "" : ledger.witnessCertFiles[index]
            let key = ledger.witnessKeyFiles.isEmpty ? "" : ledger.witnessKeyFiles[index]
            try check(cert.isEmpty == key.isEmpty, "ledger.witness_key_files",
                      "entry \(index + 1): a witness's client certificate and key must be set together (mutual TLS)")
        }
        try check(ledger.pinnedBlocks.allSatisfy { Hex.decode($0)?.count == 32 && $0.hasPrefix("0x") },
                  "ledger.pinned_blocks", "every entry must be a block hash, 0x and 64 hex digits")
        if ledger.backend == "evm" && ledger.qbftValidators.isEmpty {
            try check(!ledger.witnesses.isEmpty || !ledger.pinnedBlocks.isEmpty || ledger.trust == "single-node",
                      "ledger.witnesses",
                      "confirmations from one node alone are not final: set ledger.witnesses (other nodes that must "
                      + "agree), ledger.pinned_blocks or ledger.qbft_validators, or opt in with trust = \"single-node\" "
                      + "(protects only against accidents, never against a node that lies)")
        }
    }

    /// `[egress]`'s FHIR settings: a URL, TLS files in pairs, one kind of credentials.
    private func checkFHIR() throws(ConfigError) {
        let lower = egress.fhir.lowercased()
        try check(egress.fhir.isEmpty || lower.hasPrefix("http://") || lower.hasPrefix("https://"), "egress.fhir",
                  "must be empty or a FHIR server's base URL, http(s)://host[:port][/path]")
        try check(egress.fhirCertFile.isEmpty == egress.fhirKeyFile.isEmpty, "egress.fhir_key_file",
                  "fhir_cert_file and fhir_key_file must be set together (mutual TLS)")
        let oauth = [egress.fhirOAuthTokenURL, egress.fhirOAuthClientID, egress.fhirOAuthSecretFile]
        try check(oauth.allSatisfy(\.isEmpty) || oauth.allSatisfy { !$0.isEmpty }, "egress.fhir_oauth_token_url",
                  "fhir_oauth_token_url, fhir_oauth_client_id and fhir_oauth_secret_file must be set together")
        try check(egress.fhirTokenFile.isEmpty || egress.fhirOAuthTokenURL.isEmpty, "egress.fhir_token_file",
                  "set either a bearer token file or OAuth2 client credentials, not both")
        try check(egress.fhirBatch, SettingRanges.egressFHIRBatch)
        try check(egress.fhirTimeoutSeconds, SettingRanges.egressFHIRTimeoutSeconds)
    }

    /// A topic level of 1-64 characters from `A-Z a-z 0-9 . _ -`.
    static func isTopicLevel(_ text: String) -> Bool {
        (1...64).contains(text.utf8.count) && text.utf8.allSatisfy { byte in
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
                 UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "-"):
                true
            default:
                false
            }
        }
    }

    /// MQTT filter rules: `+` alone in a level, `#` alone in the last level, no NUL.
    static func isTopicFilter(_ filter: String) -> Bool {
        guard !filter.isEmpty, !filter.utf8.contains(0), filter.utf8.count <= 65_535 else { return false }
        let levels = filter.split(separator: "/", omittingEmptySubsequences: false)
        for (i, level) in levels.enumerated() {
            if level.contains("#") && (level != "#" || i != levels.count - 1) { return false }
            if level.contains("+") && level != "+" { return false }
        }
        return true
    }
}
