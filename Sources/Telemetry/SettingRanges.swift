/// The range a numeric setting may take, in the local configuration file and in a signed fleet
/// document.
public struct SettingRange<Bound: Comparable & Sendable>: Sendable {
    /// The dotted key, as in `Config/vitalgate.conf` and the fleet sections.
    public let key: String
    /// What the local configuration file accepts.
    public let local: ClosedRange<Bound>
    /// What a fleet document may set (its "safe range"): the local range or a narrower one, so
    /// that a remote document cannot push a gateway where a technician on site would not.
    public let remote: ClosedRange<Bound>

    public init(_ key: String, _ local: ClosedRange<Bound>, remote: ClosedRange<Bound>? = nil) {
        self.key = key
        self.local = local
        self.remote = remote ?? local
    }

    /// The local rule as a sentence for error messages: "must be in 1...65536".
    public var requirement: String { "must be in \(Self.text(local.lowerBound))...\(Self.text(local.upperBound))" }

    /// A bound as the config file would write it (`3600`, not `3600.0`).
    private static func text(_ bound: Bound) -> String {
        if let number = bound as? Double, number == number.rounded(), abs(number) < 1e15 { return String(Int64(number)) }
        return "\(bound)"
    }
}

extension SettingRange where Bound == Int {
    /// Whether a fleet document's unsigned value is in the remote range.
    public func allowsRemote(_ value: UInt64) -> Bool { remote.contains(Int(clamping: value)) }
}

/// Every numeric setting's range: the configuration file's validation and the fleet's safe-range
/// check both read this table, so the two cannot drift apart.
public enum SettingRanges {
    public static let metricsIntervalSeconds = SettingRange("gateway.metrics_interval_seconds", 0...86_400)
    public static let keepAliveSeconds = SettingRange("mqtt.keepalive_seconds", 5...65_535)
    public static let sessionExpirySeconds = SettingRange("mqtt.session_expiry_seconds", 0...Int(UInt32.max))
    public static let maxInflight = SettingRange("mqtt.max_inflight", 1...65_535)
    public static let reconnectJitter = SettingRange<Double>("reconnect.jitter", 0...1)
    public static let ingestMaxBatch = SettingRange("ingest.max_batch", 1...65_536, remote: 1...10_000)
    /// The number of subscription filters.
    public static let ingestTopics = SettingRange("ingest.topics", 1...Int.max, remote: 1...64)
    public static let maxPayloadBytes = SettingRange("ingest.max_payload_bytes", 1...268_435_455)
    public static let maxFutureSkewSeconds = SettingRange("ingest.max_future_skew_seconds", 0...31_536_000)
    public static let detectionThreshold = SettingRange<Double>("detection.threshold", 0...1, remote: 0.5...1)
    /// Readings per sealed batch (100,000: a 17-hash audit path).
    public static let batchMaxReadings = SettingRange("sealing.batch_max_readings", 1...100_000)
    public static let batchMaxAgeMs = SettingRange("sealing.batch_max_age_ms", 100...3_600_000)
    /// 0 is no cap locally; a fleet document may not set a cap below 64 MiB.
    public static let storageMaxBytes = SettingRange("storage.max_bytes", 0...Int.max, remote: (64 << 20)...Int.max)
    /// Days delivered, anchored content is kept; a fleet document may not go below one day.
    public static let retentionKeepDays = SettingRange("retention.keep_days", 1...3650)
    /// Descendant blocks before an `evm` anchor is final: at most the headers an anchor's evidence carries.
    public static let ledgerConfirmations = SettingRange("ledger.confirmations", 1...256)
    public static let ledgerMaxFeeGwei = SettingRange("ledger.max_fee_gwei", 1...100_000)
    public static let ledgerPollSeconds = SettingRange<Double>("ledger.poll_seconds", 0.1...3600)
    public static let egressNDJSONMaxAgeSeconds = SettingRange("egress.ndjson_max_age_seconds", 0...86_400)
    /// Records per FHIR transaction Bundle.
    public static let egressFHIRBatch = SettingRange("egress.fhir_batch", 1...1000)
    public static let egressFHIRTimeoutSeconds = SettingRange("egress.fhir_timeout_seconds", 1...600)
    /// How long a sink holds a record consent does not permit (up to 30 days).
    public static let consentHoldSeconds = SettingRange("consent.hold_seconds", 1...2_592_000)
    /// `[consent] disclosure_window_seconds`: up to a day (0: a disclosure record per delivery).
    public static let consentDisclosureWindowSeconds = SettingRange("consent.disclosure_window_seconds", 0...86_400)
    public static let fleetConfirmTimeoutSeconds = SettingRange<Double>("fleet.confirm_timeout_seconds", 1...3600)
    /// Firmware schema files in one fleet `schemas` section.
    public static let schemaFiles = SettingRange("schemas.files", 0...64)

    /// Every integer setting (for checks over the whole table).
    public static let integers: [SettingRange<Int>] = [
        metricsIntervalSeconds, keepAliveSeconds, sessionExpirySeconds, maxInflight, ingestMaxBatch, ingestTopics,
        maxPayloadBytes, maxFutureSkewSeconds, batchMaxReadings, batchMaxAgeMs, storageMaxBytes, retentionKeepDays, ledgerConfirmations,
        ledgerMaxFeeGwei, schemaFiles,
    ]
    /// Every fractional setting.
    public static let fractions: [SettingRange<Double>] = [reconnectJitter, detectionThreshold, ledgerPollSeconds,
                                                           fleetConfirmTimeoutSeconds]
}
