public import Fleet

/// How the agent takes fleet configuration (`[fleet]` in the config file).
public struct FleetSettings: Sendable {
    /// Groups this gateway belongs to; it also takes documents on their group topics.
    public var groups: [String]
    /// The locally pinned operator keys and thresholds. A key rotation that the vault recorded
    /// takes precedence over it.
    public var bootstrapPolicy: TrustPolicy
    /// How long a broker change may take to connect before it is rolled back (ms).
    public var confirmTimeoutMs: Int

    /// Creates the settings.
    public init(groups: [String] = [], bootstrapPolicy: TrustPolicy, confirmTimeoutMs: Int = 30_000) {
        self.groups = groups
        self.bootstrapPolicy = bootstrapPolicy
        self.confirmTimeoutMs = confirmTimeoutMs
    }

    /// The retained topic desired configuration for `gatewayID` arrives on.
    public static func desiredTopic(gateway gatewayID: String) -> String { "vitalgate/\(gatewayID)/config/desired" }
    /// The retained topic desired configuration for a group arrives on.
    public static func desiredTopic(group: String) -> String { "vitalgate/groups/\(group)/config/desired" }
    /// The retained topic a gateway reports its configuration outcome on.
    public static func reportedTopic(gateway gatewayID: String) -> String { "vitalgate/\(gatewayID)/config/reported" }
}
