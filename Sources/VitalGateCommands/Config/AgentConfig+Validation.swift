import MQTT

extension AgentConfig {
    /// Checks ranges and consistency; the error names the dotted key (and, from `load`, its line).
    public func validate() throws(ConfigError) {
        func check(_ ok: Bool, _ key: String, _ reason: String) throws(ConfigError) {
            if !ok { throw ConfigError(.invalidSetting, key: key, reason) }
        }
        try check(Self.isTopicLevel(gateway.id), "gateway.id",
                  "must be 1-64 characters of A-Z a-z 0-9 . _ - (it is used in topics)")
        try check(!gateway.dataDirectory.isEmpty, "gateway.data_dir", "must not be empty")
        try check((0...86_400).contains(gateway.metricsIntervalSeconds), "gateway.metrics_interval_seconds",
                  "must be in 0...86400 (0: never)")

        try check(BrokerAddress(url: mqtt.broker) != nil, "mqtt.broker",
                  "must be mqtt://host[:port] or mqtts://host[:port]")
        try check(!clientID.utf8.contains(0) && clientID.utf8.count <= 65_535, "mqtt.client_id",
                  "must be at most 65535 bytes without NUL")
        try check((5...65_535).contains(mqtt.keepAliveSeconds), "mqtt.keepalive_seconds", "must be in 5...65535")
        try check((0...Int(UInt32.max)).contains(mqtt.sessionExpirySeconds), "mqtt.session_expiry_seconds",
                  "must be in 0...4294967295")
        try check((1...65_535).contains(mqtt.maxInflight), "mqtt.max_inflight", "must be in 1...65535")
        try check(mqtt.passwordFile.isEmpty || !mqtt.username.isEmpty, "mqtt.password_file",
                  "needs mqtt.username")
        try check(mqtt.tls.certFile.isEmpty == mqtt.tls.keyFile.isEmpty, "mqtt.tls.key_file",
                  "cert_file and key_file must be set together (mutual TLS)")

        try check(reconnect.initialMs >= 1, "reconnect.initial_ms", "must be at least 1")
        try check(reconnect.maxMs >= reconnect.initialMs, "reconnect.max_ms", "must be at least initial_ms")
        try check((0...1).contains(reconnect.jitter), "reconnect.jitter", "must be in 0...1")

        try check(!ingest.topics.isEmpty, "ingest.topics", "must name at least one topic filter")
        try check(ingest.topics.allSatisfy(Self.isTopicFilter), "ingest.topics",
                  "every entry must be a valid MQTT topic filter")
        try check((1...65_536).contains(ingest.maxBatch), "ingest.max_batch", "must be in 1...65536")
        try check((1...268_435_455).contains(ingest.maxPayloadBytes), "ingest.max_payload_bytes",
                  "must be in 1...268435455")
        try check((0...31_536_000).contains(ingest.maxFutureSkewSeconds), "ingest.max_future_skew_seconds",
                  "must be in 0...31536000")

        try check(!schemas.directory.isEmpty, "schemas.directory", "must not be empty")
        try check((0...1).contains(detection.threshold), "detection.threshold", "must be in 0...1")
        try check((1...100_000).contains(sealing.batchMaxReadings), "sealing.batch_max_readings", "must be in 1...100000")
        try check((100...3_600_000).contains(sealing.batchMaxAgeMs), "sealing.batch_max_age_ms",
                  "must be in 100...3600000")
        try check((0...sealing.witnessKeys.count).contains(sealing.minCosignatures), "sealing.min_cosignatures",
                  "must be between 0 and the number of witness keys")
        try check(storage.maxBytes >= 0, "storage.max_bytes", "must be 0 (no cap) or a size in bytes")
        try check(["local", "evm"].contains(ledger.backend), "ledger.backend", "must be \"local\" or \"evm\"")
        if ledger.backend == "evm" {
            try check(ledger.endpoint.hasPrefix("http://"), "ledger.endpoint", "must be an http:// JSON-RPC URL for backend evm")
            try check(ledger.chainID > 0, "ledger.chain_id", "must be set (positive) for backend evm")
            try check(ledger.contract.utf8.count == 42 && ledger.contract.hasPrefix("0x"), "ledger.contract",
                      "must be the anchor contract address (0x and 40 hex digits) for backend evm")
        }
        try check((1...256).contains(ledger.confirmations), "ledger.confirmations", "must be in 1...256")
        try check((1...100_000).contains(ledger.maxFeeGwei), "ledger.max_fee_gwei", "must be in 1...100000")
        try check((0.1...3600).contains(ledger.pollSeconds), "ledger.poll_seconds", "must be in 0.1...3600")
        try check(fleet.groups.allSatisfy(Self.isTopicLevel), "fleet.groups",
                  "every group must be 1-64 characters of A-Z a-z 0-9 . _ -")
        try check(!fleet.enabled || !fleet.operatorsFile.isEmpty, "fleet.enabled",
                  "needs fleet.operators_file (the pinned operator keys)")
        try check((1...3600).contains(fleet.confirmTimeoutSeconds), "fleet.confirm_timeout_seconds", "must be in 1...3600")
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
