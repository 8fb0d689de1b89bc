/// One disclosure: a patient's data that left the gateway for one recipient, in one delivery,
/// one export, or the deliveries of one window (``merging(_:maxRanges:)``). What the disclosure
/// log seals (HIPAA's accounting of disclosures: who received what, when, and on what consent).
public struct Disclosure: Hashable, Sendable {
    /// How the data left.
    public enum Channel: Hashable, Sendable {
        /// A delivery sink (its configured name).
        case sink(String)
        /// A local export (`vitalgate export`).
        case export
    }

    /// The patient's identifier (the MRN). It is sealed encrypted under the patient's key.
    public var patient: String
    /// The receiving party (the sink's `recipient`, or the export's).
    public var recipient: String
    /// How it left.
    public var channel: Channel
    /// Why.
    public var purpose: PurposeOfUse
    /// The consent it rests on (record versions, the default policy, or break-glass).
    public var basis: ConsentDecision.Basis
    /// The classes disclosed (identity only when the MRN went with the data).
    public var classes: DataClasses
    /// The vault record ids disclosed, as closed ranges in ascending order: exactly those ids
    /// when ``rangesExact``, otherwise ranges that contain them (and ids of other records).
    public var recordRanges: [ClosedRange<Int64>]
    /// Whether ``recordRanges`` list exactly the records disclosed (an aggregate of many
    /// deliveries keeps a bounded number of ranges that cover them instead).
    public var rangesExact: Bool
    /// How many records were disclosed (always exact).
    public var count: Int
    /// When (ms since the epoch): the receiver's confirmation, or the export's completion; for
    /// an aggregate, the last delivery's.
    public var disclosedAt: Int64
    /// The first delivery's confirmation, for an aggregate; otherwise ``disclosedAt``.
    public var firstDisclosedAt: Int64

    /// Creates a disclosure.
    public init(patient: String, recipient: String, channel: Channel, purpose: PurposeOfUse,
                basis: ConsentDecision.Basis, classes: DataClasses, recordRanges: [ClosedRange<Int64>], count: Int,
                disclosedAt: Int64, firstDisclosedAt: Int64? = nil, rangesExact: Bool = true) {
        self.patient = patient
        self.recipient = recipient
        self.channel = channel
        self.purpose = purpose
        self.basis = basis
        self.classes = classes
        self.recordRanges = recordRanges
        self.count = count
        self.disclosedAt = disclosedAt
        self.firstDisclosedAt = firstDisclosedAt ?? disclosedAt
        self.rangesExact = rangesExact
    }

    /// Whether it was break-glass access (flagged wherever disclosures are listed).
    public var isBreakGlass: Bool { basis == .breakGlass }

    /// The ranges covering `ids` (any order, duplicates allowed): consecutive ids merge.
    public static func ranges(of ids: [Int64]) -> [ClosedRange<Int64>] {
        var result: [ClosedRange<Int64>] = []
        for id in ids.sorted() {
            if let last = result.last, id <= last.upperBound + 1 {
                result[result.count - 1] = last.lowerBound...max(last.upperBound, id)
            } else {
                result.append(id...id)
            }
        }
        return result
    }
}

/// Where disclosures are recorded: the vault's sealed disclosure log in the agent, an in-memory
/// list in tests. Called after the receiver confirmed (a disclosure is recorded only once it
/// happened), on the thread that delivered.
public protocol DisclosureRecorder: Sendable {
    /// Records `disclosures` durably (sealed with the next batch).
    /// - Throws: when they cannot be recorded; the caller counts it and logs it without patient data.
    func record(_ disclosures: [Disclosure]) throws
}
