public import Cryptography
public import Telemetry

/// A pinned operator public key.
public struct OperatorKey: Sendable, Equatable {
    /// A human name for the operator (audit only; never used for trust decisions).
    public let name: String
    /// The operator's Ed25519 public key.
    public let publicKey: Ed25519.PublicKey
    /// First 8 bytes of SHA-256 of the raw public key, as 16 lowercase hex digits.
    public let keyID: String

    /// Wraps a public key and derives its key id.
    public init(name: String, publicKey: Ed25519.PublicKey) {
        self.name = name
        self.publicKey = publicKey
        self.keyID = OperatorKey.keyID(of: publicKey)
    }

    /// The key id of `publicKey`: hex of the first 8 bytes of SHA-256(raw key).
    public static func keyID(of publicKey: Ed25519.PublicKey) -> String {
        Array(SHA256.hash(publicKey.rawRepresentation).prefix(8)).hexString
    }

    /// Reads a list of pinned keys `[{"name", "public_key"}]` found at `path` (the format of an
    /// operators file and of a consent authority file). A key object may also carry the
    /// `key_id` that `fleet keygen` prints, which must then match the key.
    /// - Throws: ``ConfigRejection`` `.malformed` naming the field (bad key, duplicate key).
    public static func readList(_ elements: [JSONValue], path: String) throws(ConfigRejection) -> [OperatorKey] {
        var keys: [OperatorKey] = []
        for (index, element) in elements.enumerated() {
            var k = try SchemaReader(element, path: path + "[\(index)]")
            let name = try k.string("name")
            let hex = try k.string("public_key")
            guard hex.utf8.count == 64, let raw = [UInt8](hex: hex),
                  let publicKey = try? Ed25519.PublicKey(rawRepresentation: raw) else {
                throw ConfigRejection(.malformed(field: k.field("public_key"), detail: "expected 64 hex digits"))
            }
            let key = OperatorKey(name: name, publicKey: publicKey)
            if k.optional("key_id") != nil, try k.string("key_id").lowercased() != key.keyID {
                throw ConfigRejection(.malformed(field: k.field("key_id"), detail: "does not match public_key"))
            }
            try k.finish()
            if keys.contains(where: { $0.keyID == key.keyID }) {
                throw ConfigRejection(.malformed(field: k.field("public_key"), detail: "duplicate key"))
            }
            keys.append(key)
        }
        return keys
    }
}
