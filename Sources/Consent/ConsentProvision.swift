/// Whether a rule permits or denies what it matches (FHIR R4 `Consent.provision.type`).
public enum ProvisionType: String, Sendable, Hashable {
    case permit
    case deny
}

/// One rule of a consent, shaped after FHIR R4 `Consent.provision`: when every condition it
/// names holds, its type applies, unless one of its nested provisions (the exceptions) also
/// matches, which then decides. A condition left empty (or `nil`) always holds.
public struct ConsentProvision: Hashable, Sendable {
    /// Permit or deny.
    public var type: ProvisionType
    /// Recipients (grantee ids: a sink's `recipient`, a registry grantee) the rule is about (`provision.actor`).
    public var actors: Set<String>
    /// Purposes of use the rule is about (`provision.purpose`).
    public var purposes: Set<PurposeOfUse>
    /// Data classes the rule is about (`provision.class`; empty: every class).
    public var classes: DataClasses
    /// When a disclosure may happen under the rule (`provision.period`): the time of disclosure.
    public var period: ConsentPeriod
    /// Which data the rule is about by its own time (`provision.dataPeriod`): when it was measured.
    public var dataPeriod: ConsentPeriod
    /// Exceptions to this rule (`provision.provision`), typically of the opposite type.
    public var provisions: [ConsentProvision]

    /// Creates a rule; every condition defaults to "always holds".
    public init(type: ProvisionType, actors: Set<String> = [], purposes: Set<PurposeOfUse> = [],
                classes: DataClasses = [], period: ConsentPeriod = .always, dataPeriod: ConsentPeriod = .always,
                provisions: [ConsentProvision] = []) {
        self.type = type
        self.actors = actors
        self.purposes = purposes
        self.classes = classes
        self.period = period
        self.dataPeriod = dataPeriod
        self.provisions = provisions
    }

    /// Nesting depth allowed (documents deeper than this are refused: evaluation stays bounded).
    public static let maxDepth = 4

    /// Whether the rule's own conditions hold for disclosing data of `dataClass` (one class).
    func matches(_ request: DisclosureRequest, _ dataClass: DataClasses) -> Bool {
        (actors.isEmpty || actors.contains(request.recipient))
            && (purposes.isEmpty || purposes.contains(request.purpose))
            && (classes.isEmpty || classes.contains(dataClass))
            && period.contains(request.disclosedAt)
            && dataPeriod.contains(request.dataTime)
    }

    /// What the rule decides for one class: `nil` when its conditions do not hold; otherwise
    /// the decision of its matching exceptions (deny wins among several), or its own type.
    func decide(_ request: DisclosureRequest, _ dataClass: DataClasses) -> ProvisionType? {
        guard matches(request, dataClass) else { return nil }
        var exception: ProvisionType?
        for provision in provisions {
            switch provision.decide(request, dataClass) {
            case .deny?: return .deny
            case .permit?: exception = .permit
            case nil: continue
            }
        }
        return exception ?? type
    }

    /// The deepest nesting below and including this rule.
    public var depth: Int { 1 + (provisions.map(\.depth).max() ?? 0) }
}
