public import Telemetry

/// One operator signature in a signed envelope.
public struct ConfigSignature: Sendable, Equatable {
    /// The signer's key id (16 hex digits).
    public var keyID: String
    /// The 64-byte Ed25519 signature.
    public var signature: [UInt8]

    /// Creates a signature entry.
    public init(keyID: String, signature: [UInt8]) {
        self.keyID = keyID
        self.signature = signature
    }
}

/// The signed envelope `{"document": {...}, "signatures": [{"key_id", "signature"}]}`, parsed
/// strictly but not yet verified.
public struct SignedConfig: Sendable {
    /// Largest envelope accepted, in bytes.
    public static let maxBytes = 64 * 1024

    /// The document object exactly as received (its canonical bytes are what was signed).
    public let documentJSON: JSONValue
    /// The parsed document.
    public let document: ConfigDocument
    /// The signatures, in envelope order.
    public let signatures: [ConfigSignature]

    /// Parses envelope bytes: size limit, strict JSON, no unknown fields, typed members.
    public init(bytes: some Collection<UInt8>) throws(ConfigRejection) {
        let envelope = try SignedEnvelope(bytes: bytes, maxBytes: SignedConfig.maxBytes)
        documentJSON = envelope.documentJSON
        signatures = envelope.signatures
        document = try ConfigDocument(json: documentJSON)
    }

    /// Serialises an envelope (canonical JSON) from a document object and its signatures.
    public static func envelope(document: JSONValue, signatures: [ConfigSignature]) -> [UInt8] {
        SignedEnvelope.serialise(document: document, signatures: signatures)
    }
}
