internal import Cryptography
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
        guard bytes.count <= SignedConfig.maxBytes else {
            throw ConfigRejection(.oversize(size: bytes.count, limit: SignedConfig.maxBytes))
        }
        let root: JSONValue
        do {
            root = try JSONParser(maxBytes: SignedConfig.maxBytes, maxDepth: 20).parse(bytes)
        } catch {
            throw ConfigRejection(.malformed(field: "", detail: error.description))
        }
        var r = try SchemaReader(root, path: "")
        documentJSON = try r.required("document")
        var signatures: [ConfigSignature] = []
        var signerIDs: Set<String> = []
        for (index, element) in try r.array("signatures").enumerated() {
            var s = try SchemaReader(element, path: "signatures[\(index)]")
            let keyID = try s.string("key_id")
            guard keyID.utf8.count == 16, [UInt8](hex: keyID) != nil else {
                throw ConfigRejection(.malformed(field: s.field("key_id"), detail: "expected 16 hex digits"))
            }
            let hex = try s.string("signature")
            guard hex.utf8.count == 2 * Ed25519.signatureByteCount, let signature = [UInt8](hex: hex) else {
                throw ConfigRejection(.malformed(field: s.field("signature"), detail: "expected 128 hex digits"))
            }
            try s.finish()
            let normalised = keyID.lowercased()
            guard signerIDs.insert(normalised).inserted else {
                throw ConfigRejection(.malformed(field: s.field("key_id"), detail: "duplicate signer"))
            }
            signatures.append(ConfigSignature(keyID: normalised, signature: signature))
        }
        try r.finish()
        self.signatures = signatures
        document = try ConfigDocument(json: documentJSON)
    }

    /// Serialises an envelope (canonical JSON) from a document object and its signatures.
    public static func envelope(document: JSONValue, signatures: [ConfigSignature]) -> [UInt8] {
        let signatureValues: [JSONValue] = signatures.map {
            .object([("key_id", .string($0.keyID)), ("signature", .string($0.signature.hexString))])
        }
        return JSONWriter.canonicalBytes(.object([("document", document), ("signatures", .array(signatureValues))]))
    }
}
