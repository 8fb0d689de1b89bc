internal import CSecp256k1

/// A recoverable ECDSA signature over secp256k1: `r`, `s` and the recovery id that selects which
/// of the candidate public keys signed.
///
/// The initialisers only accept signatures libsecp256k1 can parse: 32-byte `r` and `s`, each in
/// `1..<n`, and a recovery id in `0...3` (Ethereum uses 0 and 1; 2 and 3 occur only when `r`
/// overflowed the group order, with probability about 2^-127). High `s` values are accepted
/// here; check ``isLowS`` where a protocol forbids them (Ethereum transactions, EIP-2).
public struct RecoverableSignature: Sendable, Hashable {
    /// The 32-byte big-endian `r` (the x coordinate of the nonce point, mod n).
    public let r: [UInt8]
    /// The 32-byte big-endian `s`.
    public let s: [UInt8]
    /// The recovery id, 0...3.
    public let recoveryID: UInt8

    /// The secp256k1 group order n, big-endian.
    public static let groupOrder: [UInt8] = [
        0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFE,
        0xBA, 0xAE, 0xDC, 0xE6, 0xAF, 0x48, 0xA0, 0x3B, 0xBF, 0xD2, 0x5E, 0x8C, 0xD0, 0x36, 0x41, 0x41,
    ]

    /// n / 2 (rounded down), the largest `s` a low-s signature may have.
    public static let halfGroupOrder: [UInt8] = [
        0x7F, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
        0x5D, 0x57, 0x6E, 0x73, 0x57, 0xA4, 0x50, 0x1D, 0xDF, 0xE9, 0x2F, 0x46, 0x68, 0x1B, 0x20, 0xA0,
    ]

    /// Creates a signature from 32-byte `r` and `s` and a recovery id.
    /// - Throws: ``Secp256k1Error`` `.invalidSignature` for wrong lengths, a zero or overflowing
    ///   `r` or `s`, or a recovery id above 3.
    public init(r: some Collection<UInt8>, s: some Collection<UInt8>, recoveryID: UInt8) throws(Secp256k1Error) {
        guard r.count == 32, s.count == 32 else {
            throw Secp256k1Error(.invalidSignature, "r and s must be 32 bytes each, got \(r.count) and \(s.count)")
        }
        guard recoveryID <= 3 else {
            throw Secp256k1Error(.invalidSignature, "recovery id \(recoveryID) is not in 0...3")
        }
        self.r = Array(r)
        self.s = Array(s)
        self.recoveryID = recoveryID
        guard !self.r.allSatisfy({ $0 == 0 }), !self.s.allSatisfy({ $0 == 0 }) else {
            throw Secp256k1Error(.invalidSignature, "r or s is zero")
        }
        guard (try? cSignature()) != nil else {
            throw Secp256k1Error(.invalidSignature, "r or s is not below the group order")
        }
    }

    /// Parses the 65-byte form `r ‖ s ‖ recoveryID` (as in QBFT committed seals).
    /// - Throws: ``Secp256k1Error`` `.invalidSignature`.
    public init(compactRepresentation bytes: some Collection<UInt8>) throws(Secp256k1Error) {
        let array = Array(bytes)
        guard array.count == 65 else {
            throw Secp256k1Error(.invalidSignature, "compact recoverable signature is \(array.count) bytes, expected 65")
        }
        try self.init(r: array[0..<32], s: array[32..<64], recoveryID: array[64])
    }

    /// The 65-byte form `r ‖ s ‖ recoveryID`.
    public var compactRepresentation: [UInt8] {
        r + s + [recoveryID]
    }

    /// True when `s <= n/2`, the canonical form libsecp256k1 produces and Ethereum transactions
    /// require (EIP-2).
    public var isLowS: Bool {
        s == Self.halfGroupOrder || s.lexicographicallyPrecedes(Self.halfGroupOrder)
    }

    /// The libsecp256k1 form. Throws only if `r` or `s` overflow (excluded by the initialisers).
    func cSignature() throws(Secp256k1Error) -> secp256k1_ecdsa_recoverable_signature {
        var signature = secp256k1_ecdsa_recoverable_signature()
        let parsed = secp256k1_ecdsa_recoverable_signature_parse_compact(
            Secp256k1Context.shared.pointer, &signature, r + s, Int32(recoveryID))
        guard parsed == 1 else {
            throw Secp256k1Error(.invalidSignature, "secp256k1_ecdsa_recoverable_signature_parse_compact failed")
        }
        return signature
    }
}
