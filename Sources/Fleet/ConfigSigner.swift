public import Cryptography
public import Telemetry

/// Signs configuration documents with one operator's private key.
public struct ConfigSigner: Sendable {
    private let privateKey: Ed25519.PrivateKey
    /// The operator key (public half) this signer signs for.
    public let operatorKey: OperatorKey

    /// Wraps an operator's private key.
    public init(name: String, privateKey: Ed25519.PrivateKey) {
        self.privateKey = privateKey
        self.operatorKey = OperatorKey(name: name, publicKey: privateKey.publicKey)
    }

    /// The signer's key id.
    public var keyID: String { operatorKey.keyID }

    /// Signs a document object: Ed25519 over the domain string and its canonical JSON bytes.
    public func signature(forDocument document: JSONValue) throws(CryptoError) -> ConfigSignature {
        try signature(forDocument: document, domain: ConfigDocument.signingDomain)
    }

    /// Signs a document object of another signed format: Ed25519 over `domain` and the
    /// document's canonical JSON bytes (consent documents use their own domain string).
    public func signature(forDocument document: JSONValue, domain: [UInt8]) throws(CryptoError) -> ConfigSignature {
        ConfigSignature(keyID: keyID, signature: try privateKey.signature(for: domain + JSONWriter.canonicalBytes(document)))
    }

    /// A signed envelope of `document` carrying one signature from each of `signers`.
    public static func sign(_ document: ConfigDocument, with signers: [ConfigSigner]) throws(CryptoError) -> [UInt8] {
        try sign(json: document.json, with: signers)
    }

    /// A signed envelope of a raw document object (tests use this to craft invalid documents).
    public static func sign(json document: JSONValue, with signers: [ConfigSigner]) throws(CryptoError) -> [UInt8] {
        var signatures: [ConfigSignature] = []
        for signer in signers { signatures.append(try signer.signature(forDocument: document)) }
        return SignedConfig.envelope(document: document, signatures: signatures)
    }
}
