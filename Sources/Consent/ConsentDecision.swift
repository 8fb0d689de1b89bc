/// What consent decided for a ``DisclosureRequest``: which of its classes may go, and on what
/// basis. An item goes when the classes it cannot go without are permitted (identity, when
/// denied, is replaced by the pseudonym).
public struct ConsentDecision: Hashable, Sendable {
    /// On what the decision rests.
    public enum Basis: Hashable, Sendable {
        /// The patient's own records, at these (record id, version) pairs.
        case patientConsent([ConsentVersion])
        /// The deployment's default policy (no record of the patient speaks).
        case defaultPolicy
        /// Emergency access the deployment's policy allows: always recorded and flagged.
        case breakGlass
    }

    /// The requested classes that may be disclosed.
    public var permitted: DataClasses
    /// The requested classes that may not.
    public var denied: DataClasses
    /// On what it rests. When classes were decided on different bases, the patient's records
    /// are named (they decided at least one).
    public var basis: Basis

    /// Creates a decision.
    public init(permitted: DataClasses, denied: DataClasses, basis: Basis) {
        self.permitted = permitted
        self.denied = denied
        self.basis = basis
    }

    /// Whether every class in `classes` is permitted.
    public func permits(_ classes: DataClasses) -> Bool { permitted.isSuperset(of: classes) }

    /// Whether this is break-glass access.
    public var isBreakGlass: Bool { basis == .breakGlass }
}

/// A record's id and version: what a disclosure names as its consent.
public struct ConsentVersion: Hashable, Sendable, Comparable, CustomStringConvertible {
    public var recordID: String
    public var version: UInt64

    public init(recordID: String, version: UInt64) {
        self.recordID = recordID
        self.version = version
    }

    public var description: String { "\(recordID)@\(version)" }

    public static func < (lhs: ConsentVersion, rhs: ConsentVersion) -> Bool {
        (lhs.recordID, lhs.version) < (rhs.recordID, rhs.version)
    }
}
