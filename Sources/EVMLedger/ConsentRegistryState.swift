/// The registry's decision for one (pseudonym, grantee, purpose), as proven at a trusted block.
///
/// What the consent model maps it to (docs/CONSENT-REGISTRY.md): `granted` → a permit record for
/// the grantee and purpose, limited to ``classes`` and ``notBefore``…``notAfter``; `revoked` → a
/// deny (or the withdrawal of the permit) from the moment it is read; `absent` → no registry
/// decision, so the deployment's default policy applies. ``version`` orders decisions about a
/// pair; a record never goes back to an older version.
public struct ConsentRegistryState: Sendable, Hashable {
    /// What the registry records.
    public enum Decision: String, Sendable, Hashable {
        /// The authority granted consent (status 1).
        case granted
        /// The authority revoked it (status 2).
        case revoked
        /// Nothing recorded for this purpose: the record slot is proven empty.
        case absent
    }

    /// Granted, revoked or absent.
    public let decision: Decision
    /// The pair's version at the write that set this record (0 when absent).
    public let version: UInt64
    /// The pair's latest version over all purposes (0 when nothing was ever written for it).
    public let pairVersion: UInt64
    /// The purpose, as the 32-byte registry word.
    public let purpose: [UInt8]
    /// Data classes permitted (``ConsentRegistry/DataClass``; 0 when absent).
    public let classes: ConsentRegistry.DataClass
    /// The period's start, Unix seconds (nil: none).
    public let notBefore: UInt64?
    /// The period's end, Unix seconds (nil: open-ended).
    public let notAfter: UInt64?
    /// The trusted block the state was proven at.
    public let blockNumber: UInt64
    /// That block's timestamp, Unix seconds.
    public let blockTimestamp: UInt64

    /// Whether the decision permits `classes` at `time` (Unix seconds): granted, every class asked
    /// for included, and `time` inside the period.
    public func permits(_ classes: ConsentRegistry.DataClass, at time: UInt64) -> Bool {
        guard decision == .granted, self.classes.isSuperset(of: classes) else { return false }
        if let notBefore, time < notBefore { return false }
        if let notAfter, time > notAfter { return false }
        return true
    }
}
