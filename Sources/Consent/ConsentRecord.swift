/// Where a consent record came from.
public enum ConsentSource: Hashable, Sendable {
    /// A signed consent document received over MQTT, signed by the consent authority key `keyID`.
    case document(keyID: String)
    /// The EVM consent registry, read through verified storage proofs at block `number`.
    case registry(block: UInt64)
}

/// One patient's consent, shaped after a FHIR R4 `Consent` resource: who it is about, whether
/// it is in force, and its rules (a root provision with nested exceptions).
///
/// A patient may have several records (one per document id, or per registry grantee); each is
/// versioned on its own, and a newer version replaces the older one.
public struct ConsentRecord: Hashable, Sendable {
    /// FHIR `Consent.status`, reduced to what decides: in force, or withdrawn.
    public enum Status: String, Hashable, Sendable {
        /// In force (`active`).
        case active
        /// Withdrawn or superseded (`inactive`): the record no longer speaks.
        case inactive
    }

    /// The record's id, unique per patient (a document's `id`, `registry:<grantee>`).
    public var id: String
    /// The patient's identifier (the MRN). It never leaves the gateway in a log or a metric.
    public var patient: String
    /// The record's version: a newer one replaces it, an older or equal one is a replay.
    public var version: UInt64
    /// In force or withdrawn (a revocation is a new version with status `inactive`).
    public var status: Status
    /// When it was issued (ms since the epoch; `Consent.dateTime`).
    public var issuedAt: Int64
    /// The rules; the root's `period` bounds the whole record.
    public var provision: ConsentProvision
    /// Where it came from.
    public var source: ConsentSource

    /// Creates a record.
    public init(id: String, patient: String, version: UInt64, status: Status = .active, issuedAt: Int64,
                provision: ConsentProvision, source: ConsentSource) {
        self.id = id
        self.patient = patient
        self.version = version
        self.status = status
        self.issuedAt = issuedAt
        self.provision = provision
        self.source = source
    }

    /// What the record decides for one class, or `nil` when it does not speak (withdrawn, or
    /// its root rule does not match).
    func decide(_ request: DisclosureRequest, _ dataClass: DataClasses) -> ProvisionType? {
        guard status == .active else { return nil }
        return provision.decide(request, dataClass)
    }
}
