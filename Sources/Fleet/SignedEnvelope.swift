internal import Cryptography
public import Telemetry

/// The signed envelope every signed document format shares (fleet configuration, consent
/// documents): `{"document": {...}, "signatures": [{"key_id", "signature"}]}`, parsed strictly
/// (size limit, no unknown fields, no duplicate signer) but not yet verified.
public struct SignedEnvelope: Sendable {
    /// The document object exactly as received (its canonical bytes, after a domain string, are
    /// what was signed).
    public let documentJSON: JSONValue
    /// The signatures, in envelope order, key ids in lower case.
    public let signatures: [ConfigSignature]

    /// Parses envelope bytes of at most `maxBytes`, nested at most `maxDepth` deep.
    /// - Throws: ``ConfigRejection`` `.oversize` or `.malformed` naming the field.
    public init(bytes: some Collection<UInt8>, maxBytes: Int, maxDepth: Int = 20) throws(ConfigRejection) {
        guard bytes.count <= maxBytes else {
            throw ConfigRejection(.oversize(size: bytes.count, limit: maxBytes))
        }
        let root: JSONValue
        do {
            root = try JSONParser(maxBytes: maxBytes, maxDepth: maxDepth).parse(bytes)
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
    }

    /// Serialises an envelope (canonical JSON) from a document object and its signatures.
    public static func serialise(document: JSONValue, signatures: [ConfigSignature]) -> [UInt8] {
        let signatureValues: [JSONValue] = signatures.map {
            .object([("key_id", .string($0.keyID)), ("signature", .string($0.signature.hexString))])
        }
        return JSONWriter.canonicalBytes(.object([("document", document), ("signatures", .array(signatureValues))]))
    }

    /// The key ids of `signatures`, in order, once each verified over `message` with the key
    /// `key(keyID)` returns. Every signature must come from a known key and verify.
    /// - Throws: ``ConfigRejection`` `.missingSignatures`, `.unknownKey` or `.badSignature`.
    public static func verifiedSigners(_ signatures: [ConfigSignature], message: [UInt8],
                                       key: (String) -> OperatorKey?) throws(ConfigRejection) -> [String] {
        guard !signatures.isEmpty else { throw ConfigRejection(.missingSignatures) }
        var signers: [String] = []
        for signature in signatures {
            guard let pinned = key(signature.keyID) else { throw ConfigRejection(.unknownKey(keyID: signature.keyID)) }
            guard pinned.publicKey.isValidSignature(signature.signature, for: message) else {
                throw ConfigRejection(.badSignature(keyID: signature.keyID))
            }
            signers.append(signature.keyID)
        }
        return signers
    }
}
