import Consent
public import Delivery
import Telemetry

extension AgentConfig {
    /// Consent where data leaves (issue 21, docs/CONSENT.md "Enforcement"): who each sink's
    /// receiver is and why it receives (`[egress] *_recipient`, `*_purpose`), and what a sink
    /// does with a record consent does not permit (`[consent] when_denied`, `hold_seconds`),
    /// and how the local alerts topic names the patient (`[consent] alerts_topic_*`).
    public struct ConsentEnforcementSection: Sendable, Equatable {
        /// A receiving party and the purpose it receives for.
        public struct Recipient: Sendable, Equatable {
            /// The recipient's id, as consent records and the policy name it.
            public var recipient: String
            /// A PurposeOfUse code (`TREAT`, `HRESCH`, …).
            public var purpose = "TREAT"

            public init(recipient: String, purpose: String = "TREAT") {
                self.recipient = recipient
                self.purpose = purpose
            }
        }

        /// `[consent] when_denied`.
        public enum WhenDenied: String, Sendable, CaseIterable {
            /// Held (in the vault) until consent arrives or `hold_seconds` pass, then skipped.
            case hold
            /// Skipped at once, with the reason.
            case skip
        }

        /// `[egress] fhir_recipient`, `fhir_purpose`.
        public var fhir = Recipient(recipient: "fhir")
        /// `[egress] upstream_recipient`, `upstream_purpose`.
        public var upstream = Recipient(recipient: "upstream")
        /// `[egress] ndjson_recipient`, `ndjson_purpose`.
        public var ndjson = Recipient(recipient: "ndjson")
        /// `[consent] alerts_topic_recipient`: the local alerts topic's recipient (purpose `TREAT`).
        public var alertsTopic = Recipient(recipient: "local-alerts")
        /// `[consent] when_denied`.
        public var whenDenied = WhenDenied.hold
        /// `[consent] hold_seconds`: how long a held record waits for consent.
        public var holdSeconds = 86_400
        /// `[consent] disclosure_window_seconds`: a sink's deliveries of one patient within this
        /// window are sealed as one disclosure record (0: one per delivery).
        public var disclosureWindowSeconds = 3600
        /// `[consent] alerts_topic_patient`: how the local alerts topic names the patient beside
        /// the bed and the device.
        public var alertsTopicPatient = MQTTSink.AlertTopicPatient.pseudonym

        /// The documented defaults.
        public init() {}

    }

    /// The recipients and purposes are well formed, the hold window in range.
    func checkEnforcement() throws(ConfigError) {
        for (key, target) in [("egress.fhir", enforcement.fhir), ("egress.upstream", enforcement.upstream),
                              ("egress.ndjson", enforcement.ndjson), ("consent.alerts_topic", enforcement.alertsTopic)] {
            try check(Self.isRecipientID(target.recipient), key + "_recipient",
                      "must be 1-128 characters of A-Z a-z 0-9 . _ - : /")
            try check(PurposeOfUse(rawValue: target.purpose) != nil, key + "_purpose",
                      "must be a PurposeOfUse code (2-16 upper-case letters, e.g. TREAT, HRESCH)")
        }
        try check(enforcement.holdSeconds, SettingRanges.consentHoldSeconds)
        try check(enforcement.disclosureWindowSeconds, SettingRanges.consentDisclosureWindowSeconds)
    }

    /// Whether `id` can name a recipient: printable, short, no spaces.
    static func isRecipientID(_ id: String) -> Bool {
        (1...128).contains(id.utf8.count) && id.utf8.allSatisfy {
            (48...57).contains($0) || (65...90).contains($0) || (97...122).contains($0) || [45, 46, 47, 58, 95].contains($0)
        }
    }

    /// What a sink does with a record consent does not permit.
    var whenDenied: SinkConsent.WhenDenied {
        switch enforcement.whenDenied {
        case .hold: .hold(ms: Int64(enforcement.holdSeconds) * 1000)
        case .skip: .skip
        }
    }

    /// The consent of a sink delivering to `target` under `book`: its disclosures are accounted
    /// in the vault with its cursor, aggregated over `[consent] disclosure_window_seconds`.
    func sinkConsent(_ target: ConsentEnforcementSection.Recipient, book: ConsentBook) -> SinkConsent {
        SinkConsent(book: book, recipient: target.recipient, purpose: PurposeOfUse(rawValue: target.purpose) ?? .treatment,
                    whenDenied: whenDenied, disclosureWindowMs: Int64(enforcement.disclosureWindowSeconds) * 1000)
    }
}
