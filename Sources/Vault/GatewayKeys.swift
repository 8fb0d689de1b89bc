import Cryptography
import Telemetry

/// The gateway's secrets, held in memory: key-encryption key, pseudonym key and identity key.
/// `FileKeyStore` loads them from a key file; tests may build them directly.
public struct GatewayKeys: KeyStore {
    public static let formatVersion = 1

    let keyEncryptionKey: [UInt8]
    let pseudonymKey: [UInt8]
    public let signingKeySeed: [UInt8]

    /// Fresh random keys.
    public static func generate() -> GatewayKeys {
        GatewayKeys(keyEncryptionKey: SecureRandom.bytes(32), pseudonymKey: SecureRandom.bytes(32),
                    signingKeySeed: SecureRandom.bytes(32))
    }

    init(keyEncryptionKey: [UInt8], pseudonymKey: [UInt8], signingKeySeed: [UInt8]) {
        precondition(keyEncryptionKey.count == 32 && pseudonymKey.count == 32 && signingKeySeed.count == 32)
        self.keyEncryptionKey = keyEncryptionKey
        self.pseudonymKey = pseudonymKey
        self.signingKeySeed = signingKeySeed
    }

    public func wrap(_ dataKey: [UInt8], context: [UInt8]) throws(VaultError) -> [UInt8] {
        do {
            return try AES256GCM.encrypt(dataKey, key: keyEncryptionKey, associatedData: Array("vg-wrap-v1".utf8) + context)
                .combined
        } catch {
            throw VaultError(.crypto, "cannot wrap a data key", underlying: error)
        }
    }

    public func unwrap(_ wrapped: [UInt8], context: [UInt8]) throws(VaultError) -> [UInt8] {
        do {
            return try AES256GCM.decrypt(try AES256GCM.EncryptedBox(combined: wrapped), key: keyEncryptionKey,
                                      associatedData: Array("vg-wrap-v1".utf8) + context)
        } catch {
            throw VaultError(.corruptRow, "a wrapped data key does not authenticate (wrong key file or altered row)",
                             underlying: error)
        }
    }

    public func keyedDigest(_ message: [UInt8], domain: String) -> [UInt8] {
        HMACSHA256.authenticationCode(key: pseudonymKey, message: Array(domain.utf8) + [0] + message)
    }

    /// Same digests as `keyedDigest`, with the HMAC key schedule done once.
    public func makeDigester(domain: String) -> KeyedDigester {
        PrecomputedDigester(store: self, key: pseudonymKey, domain: domain)
    }

    /// The key file's JSON text.
    func serialized(createdAt: String) -> String {
        JSONWriter.canonicalString(.object([
            ("format", .number(Double(Self.formatVersion))),
            ("created_at", .string(createdAt)),
            ("kek", .string(keyEncryptionKey.hexString)),
            ("pseudonym_key", .string(pseudonymKey.hexString)),
            ("signing_key_ed25519", .string(signingKeySeed.hexString)),
        ])) + "\n"
    }

    /// Parses a key file's text; errors (about "the key file") never include key material.
    static func parse(_ text: [UInt8]) throws(VaultError) -> GatewayKeys {
        let json: JSONValue
        do { json = try JSONParser(maxBytes: 4096, maxDepth: 2).parse(text) } catch {
            throw VaultError(.keyFile, "not valid JSON")
        }
        guard json["format"]?.numberValue == Double(formatVersion) else {
            throw VaultError(.keyFile, "unsupported format")
        }
        func key(_ name: String) throws(VaultError) -> [UInt8] {
            guard let hex = json[name]?.stringValue, let bytes = [UInt8](hex: hex), bytes.count == 32 else {
                throw VaultError(.keyFile, "entry \(name) must be 32 bytes of hex")
            }
            return bytes
        }
        return GatewayKeys(keyEncryptionKey: try key("kek"), pseudonymKey: try key("pseudonym_key"),
                           signingKeySeed: try key("signing_key_ed25519"))
    }
}

/// `keyedDigest` for one domain with a pre-keyed HMAC context (one per vault thread).
final class PrecomputedDigester: KeyedDigester {
    private let key: HMACSHA256Key
    private let prefix: [UInt8]

    init(store: any KeyStore, key: [UInt8], domain: String) {
        self.key = HMACSHA256Key(key: key)
        prefix = Array(domain.utf8) + [0]
        super.init(store: store, domain: domain)
    }

    override func digest(_ message: [UInt8]) -> [UInt8] { key.authenticationCode(prefix, message) }
}
