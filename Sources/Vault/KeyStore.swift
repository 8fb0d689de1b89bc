/// Where the gateway's long-term secrets live. The vault never sees the key-encryption key
/// itself: it asks the store to wrap and unwrap data keys and to compute keyed digests, so a
/// backend can keep the secret in a file, an HSM or a TPM.
public protocol KeyStore: Sendable {
    /// Encrypts a data key under the key-encryption key; `context` is bound as associated data.
    func wrap(_ dataKey: [UInt8], context: [UInt8]) throws(VaultError) -> [UInt8]
    /// Inverse of `wrap`; throws if the wrapped key or its context was altered.
    func unwrap(_ wrapped: [UInt8], context: [UInt8]) throws(VaultError) -> [UInt8]
    /// A keyed, domain-separated digest (HMAC-SHA256): pseudonyms and duplicate detection.
    func keyedDigest(_ message: [UInt8], domain: String) -> [UInt8]
    /// A digester for one domain, for hot paths (the default forwards to `keyedDigest`).
    /// The result is used by one thread only.
    func makeDigester(domain: String) -> KeyedDigester
    /// The gateway's Ed25519 identity key seed (32 bytes), for signing batch headers.
    var signingKeySeed: [UInt8] { get }
}

/// Computes `keyedDigest(_, domain:)` for one fixed domain, possibly faster.
public class KeyedDigester {
    private let store: any KeyStore
    private let domain: String

    public init(store: any KeyStore, domain: String) {
        self.store = store
        self.domain = domain
    }

    public func digest(_ message: [UInt8]) -> [UInt8] { store.keyedDigest(message, domain: domain) }
}

extension KeyStore {
    public func makeDigester(domain: String) -> KeyedDigester { KeyedDigester(store: self, domain: domain) }
}
