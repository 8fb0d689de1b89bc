internal import CSecp256k1

/// A secp256k1 public key (a point on the curve, validated on creation).
///
/// Stored as the 64-byte uncompressed coordinates `x ‖ y` without the SEC1 `0x04` prefix,
/// the form Ethereum hashes to derive an address.
public struct PublicKey: Sendable, Hashable, CustomStringConvertible {
    /// Length of ``uncompressed``: 64 bytes.
    public static let uncompressedByteCount = 64
    /// Length of ``compressed``: 33 bytes.
    public static let compressedByteCount = 33

    /// The 32-byte big-endian x coordinate followed by the 32-byte y coordinate.
    public let uncompressed: [UInt8]

    /// Parses an uncompressed key: 64 bytes `x ‖ y`, or 65 bytes `0x04 ‖ x ‖ y`.
    /// - Throws: ``Secp256k1Error`` `.invalidPublicKey` for another length or prefix, or a point
    ///   that is not on the curve.
    public init(uncompressed bytes: some Collection<UInt8>) throws(Secp256k1Error) {
        var sec1 = Array(bytes)
        if sec1.count == Self.uncompressedByteCount { sec1.insert(0x04, at: 0) }
        guard sec1.count == Self.uncompressedByteCount + 1, sec1[0] == 0x04 else {
            throw Secp256k1Error(.invalidPublicKey, "uncompressed public key must be 64 bytes, or 65 starting 0x04")
        }
        self.init(key: try Self.parse(sec1))
    }

    /// Parses a 33-byte SEC1 compressed key (`0x02`/`0x03` ‖ x).
    /// - Throws: ``Secp256k1Error`` `.invalidPublicKey`.
    public init(compressed bytes: some Collection<UInt8>) throws(Secp256k1Error) {
        let sec1 = Array(bytes)
        guard sec1.count == Self.compressedByteCount, sec1[0] == 0x02 || sec1[0] == 0x03 else {
            throw Secp256k1Error(.invalidPublicKey, "compressed public key must be 33 bytes starting 0x02 or 0x03")
        }
        self.init(key: try Self.parse(sec1))
    }

    /// Recovers the key that produced `signature` over the 32-byte `hash`.
    ///
    /// Any signature the ``RecoverableSignature`` initialisers accept is tried, including high-s
    /// ones. A wrong recovery id yields a different key or fails; compare the result with the
    /// expected key or address.
    /// - Throws: ``Secp256k1Error`` `.invalidHashLength`, or `.recoveryFailed` when no point
    ///   matches.
    public init(recoveringFrom signature: RecoverableSignature, hash: [UInt8]) throws(Secp256k1Error) {
        try Self.checkHash(hash)
        var cSignature = try signature.cSignature()
        var key = secp256k1_pubkey()
        guard secp256k1_ecdsa_recover(Secp256k1Context.shared.pointer, &key, &cSignature, hash) == 1 else {
            throw Secp256k1Error(.recoveryFailed, "no public key matches this signature and hash")
        }
        self.init(key: key)
    }

    /// Wraps a key libsecp256k1 produced or validated.
    init(key: secp256k1_pubkey) {
        var key = key
        var output = [UInt8](repeating: 0, count: Self.uncompressedByteCount + 1)
        var length = output.count
        _ = secp256k1_ec_pubkey_serialize(Secp256k1Context.shared.pointer, &output, &length, &key,
                                          UInt32(SECP256K1_EC_UNCOMPRESSED))
        precondition(length == output.count && output[0] == 0x04, "secp256k1_ec_pubkey_serialize returned \(length) bytes")
        uncompressed = Array(output.dropFirst())
    }

    /// The 33-byte SEC1 compressed form: `0x02` (even y) or `0x03` (odd y), then x.
    public var compressed: [UInt8] {
        [0x02 | (uncompressed[63] & 1)] + uncompressed[0..<32]
    }

    /// Checks an ECDSA signature over the 32-byte `hash` (the recovery id is ignored).
    ///
    /// Returns false for a high-s signature: libsecp256k1 verifies only the low-s form.
    /// - Throws: ``Secp256k1Error`` `.invalidHashLength`.
    public func isValidSignature(_ signature: RecoverableSignature, for hash: [UInt8]) throws(Secp256k1Error) -> Bool {
        try Self.checkHash(hash)
        let context = Secp256k1Context.shared.pointer
        var recoverable = try signature.cSignature()
        var plain = secp256k1_ecdsa_signature()
        _ = secp256k1_ecdsa_recoverable_signature_convert(context, &plain, &recoverable)
        var key = try Self.parse([0x04] + uncompressed)
        return secp256k1_ecdsa_verify(context, &plain, hash, &key) == 1
    }

    /// `PublicKey(` compressed hex `)`.
    public var description: String {
        let digits = Array("0123456789abcdef".utf8)
        let hex = compressed.flatMap { [digits[Int($0 >> 4)], digits[Int($0 & 0x0F)]] }
        return "PublicKey(\(String(decoding: hex, as: UTF8.self)))"
    }

    static func checkHash(_ hash: [UInt8]) throws(Secp256k1Error) {
        guard hash.count == 32 else {
            throw Secp256k1Error(.invalidHashLength, "message hash is \(hash.count) bytes, expected 32")
        }
    }

    private static func parse(_ sec1: [UInt8]) throws(Secp256k1Error) -> secp256k1_pubkey {
        var key = secp256k1_pubkey()
        guard secp256k1_ec_pubkey_parse(Secp256k1Context.shared.pointer, &key, sec1, sec1.count) == 1 else {
            throw Secp256k1Error(.invalidPublicKey, "the bytes are not a point on secp256k1")
        }
        return key
    }
}
