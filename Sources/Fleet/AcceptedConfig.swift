/// A configuration document that passed every check and may be applied as a whole.
public struct AcceptedConfig: Sendable, Equatable {
    /// The document.
    public let document: ConfigDocument
    /// SHA-256 of the canonical document bytes.
    public let contentHash: [UInt8]
    /// Key ids of the pinned operators whose signatures verified, sorted.
    public let signerKeyIDs: [String]

    /// The document version.
    public var version: UInt64 { document.version }
    /// The configuration sections.
    public var sections: ConfigSections { document.sections }
    /// The trust policy to pin after applying, when the document rotates operator keys.
    public var rotatedPolicy: TrustPolicy? { document.sections.operators?.policy }
}
