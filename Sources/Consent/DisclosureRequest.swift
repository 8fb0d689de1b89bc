/// A question put to consent at the moment data would leave the gateway: may `recipient`
/// receive `classes` of `patient`'s data measured at `dataTime`, for `purpose`, now?
public struct DisclosureRequest: Hashable, Sendable {
    /// The patient's identifier (the MRN).
    public var patient: String
    /// The receiving party: a sink's configured `recipient` id.
    public var recipient: String
    /// Why.
    public var purpose: PurposeOfUse
    /// The classes the item carries (identity included when it would carry the MRN).
    public var classes: DataClasses
    /// When the data was measured or raised (ms since the epoch).
    public var dataTime: Int64
    /// When it would be disclosed (ms since the epoch).
    public var disclosedAt: Int64

    /// Creates a request.
    public init(patient: String, recipient: String, purpose: PurposeOfUse, classes: DataClasses, dataTime: Int64,
                disclosedAt: Int64) {
        self.patient = patient
        self.recipient = recipient
        self.purpose = purpose
        self.classes = classes
        self.dataTime = dataTime
        self.disclosedAt = disclosedAt
    }
}
