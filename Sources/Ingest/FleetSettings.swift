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
}
