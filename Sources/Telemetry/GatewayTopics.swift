/// Every topic of the gateway's own, `vitalgate/{gateway}/…`: the one place they are built.
/// None of them names a patient or carries one in its levels.
public struct GatewayTopics: Sendable, Equatable {
    /// The gateway id (`[gateway] id`), one topic level.
    public let gateway: String

    public init(gateway: String) {
        self.gateway = gateway
    }

    /// `online` (retained) while the agent runs; `offline` at a clean stop and as the last will.
    public var status: String { "vitalgate/\(gateway)/status" }
    /// Detection alerts and gateway faults.
    public var alerts: String { "vitalgate/\(gateway)/alerts" }
    /// The embedded log's newest signed checkpoint (retained).
    public var checkpoint: String { "vitalgate/\(gateway)/checkpoint" }
    /// The agent's counters (retained).
    public var metrics: String { "vitalgate/\(gateway)/metrics" }
    /// Desired fleet configuration for this gateway (retained, signed documents).
    public var configDesired: String { "vitalgate/\(gateway)/config/desired" }
    /// The outcome of the last fleet document (retained).
    public var configReported: String { "vitalgate/\(gateway)/config/reported" }

    /// Signed consent documents for this gateway (QoS 1, not retained: one topic carries many
    /// patients' documents; the topic names none of them).
    public var consent: String { "vitalgate/\(gateway)/consent" }
    /// The outcome of each consent document judged (QoS 1, not retained; names no patient).
    public var consentReported: String { "vitalgate/\(gateway)/consent/reported" }

    /// Signed consent documents for a group of gateways.
    public static func consent(group: String) -> String { "vitalgate/groups/\(group)/consent" }
    /// Desired fleet configuration for a group of gateways.
    public static func configDesired(group: String) -> String { "vitalgate/groups/\(group)/config/desired" }
    /// Every gateway's reported configuration outcome (a subscription filter).
    public static let everyConfigReported = "vitalgate/+/config/reported"
}
