public import Telemetry

/// The operator keys a gateway pins and how many distinct signatures each section needs.
///
/// Sections without an explicit threshold need 1 signature, except `operators` (key
/// rotation), which needs 2 or every key if fewer are pinned. Every accepted document needs at
/// least one valid signature regardless of the sections it carries.
public struct TrustPolicy: Sendable, Equatable {
    /// The pinned keys, in the order given.
    public let keys: [OperatorKey]
    /// Explicit thresholds; missing sections use the defaults above.
    public let thresholds: [ConfigSection: Int]

    /// Creates a policy. Thresholds are clamped to at least 1 when read.
    public init(keys: [OperatorKey], thresholds: [ConfigSection: Int] = [:]) {
        self.keys = keys
        self.thresholds = thresholds
    }

    /// Distinct valid signatures required for `section`.
    public func threshold(for section: ConfigSection) -> Int {
        if let explicit = thresholds[section] { return max(1, explicit) }
        return section == .operators ? max(1, min(2, keys.count)) : 1
    }

    /// The pinned key with `keyID`, if any.
    public func key(withID keyID: String) -> OperatorKey? {
        keys.first { $0.keyID == keyID }
    }

    /// Parses a policy object `{"keys": [{"name", "public_key"}], "thresholds": {section: k}}`
    /// (the format of an `operators` section and of the gateway's operators file).
    /// - Throws: ``ConfigRejection`` `.malformed` naming the field.
    public init(json: JSONValue) throws(ConfigRejection) {
        self = try ConfigSections.readPolicy(json, path: "operators")
        guard !keys.isEmpty else { throw ConfigRejection(.malformed(field: "operators.keys", detail: "no keys pinned")) }
        if let field = ConfigSections(operators: .init(policy: self)).firstUnsafeField() {
            throw ConfigRejection(.malformed(field: field, detail: "threshold outside 1...number of keys"))
        }
    }

    /// The policy as a JSON object (the format ``init(json:)`` reads).
    public var json: JSONValue {
        ConfigSections(operators: .init(policy: self)).jsonMembers[0].value
    }
}
