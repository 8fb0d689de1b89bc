/// The sections a configuration document may carry; each may need its own signature threshold.
public enum ConfigSection: String, Sendable, Hashable, CaseIterable, Comparable {
    /// Section names as they appear in documents.
    case ingest, sealing, detection, storage, ledger, broker, operators, schemas, egress

    /// Declaration order.
    public static func < (lhs: ConfigSection, rhs: ConfigSection) -> Bool {
        allCases.firstIndex(of: lhs)! < allCases.firstIndex(of: rhs)!
    }
}
