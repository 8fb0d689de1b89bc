/// The deployment's policy: what holds for a patient none of whose records speak, and who may
/// use emergency access. Set in `[consent]` (docs/CONSENT.md).
public struct ConsentPolicy: Hashable, Sendable {
    /// The default rules, evaluated like a patient's record when none of theirs speaks. With no
    /// matching rule, a disclosure is denied.
    public var defaultProvision: ConsentProvision
    /// Recipients that may use break-glass access (purpose `ETREAT`): for them an `ETREAT`
    /// request is permitted whatever the patient's records say, and is flagged as break-glass.
    public var breakGlassRecipients: Set<String>

    /// Creates a policy.
    public init(defaultProvision: ConsentProvision, breakGlassRecipients: Set<String> = []) {
        self.defaultProvision = defaultProvision
        self.breakGlassRecipients = breakGlassRecipients
    }

    /// Treatment by the owning hospital's recipients permitted (every class), everything else
    /// denied; no break-glass. With no recipient named, everything is denied.
    public static func treatmentOnly(by recipients: Set<String>) -> ConsentPolicy {
        guard !recipients.isEmpty else { return denyAll }
        return ConsentPolicy(defaultProvision: ConsentProvision(
            type: .deny,
            provisions: [ConsentProvision(type: .permit, actors: recipients, purposes: [.treatment])]))
    }

    /// Everything denied unless a patient's record permits it.
    public static let denyAll = ConsentPolicy(defaultProvision: ConsentProvision(type: .deny))
}
