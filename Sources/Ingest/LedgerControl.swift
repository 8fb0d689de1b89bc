public import Fleet

/// Lets a fleet document move anchoring to another ledger. The anchoring worker runs beside the
/// ingest service (the command line owns it); the service only asks whether a `ledger` section
/// can be used before applying a document, and hands it over once the document is applied.
public protocol LedgerControl: Sendable {
    /// Checks that `ledger` can be used (e.g. the evm settings build a backend), without switching.
    /// - Throws: ``ConfigRejection`` `.unsupported` or `.applyFailed` naming the field.
    func check(_ ledger: ConfigSections.Ledger) throws(ConfigRejection)
    /// Switches anchoring to `ledger`, or back to the local configuration for `nil`. Must not
    /// block the caller on the network.
    func apply(_ ledger: ConfigSections.Ledger?)
}
