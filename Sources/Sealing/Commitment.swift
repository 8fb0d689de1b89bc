internal import Cryptography
import Telemetry

/// A salted commitment to one reading: `SHA-256(salt ‖ canonical reading bytes)`, with a
/// 32-byte random salt (docs/CANONICAL-READING.md, "Commitment").
///
/// The commitment can be published (it is the leaf of the batch Merkle tree); without the salt
/// it reveals nothing about the reading, even for the small value space of vital signs. The
/// salt is secret and is stored encrypted with the reading; destroying it (crypto-erasure)
/// makes the commitment unopenable while every proof above it still verifies.
public struct Commitment: Sendable, Hashable, CustomStringConvertible {
    /// The length of a salt: 32 bytes.
    public static let saltByteCount = 32
    /// The length of a commitment: 32 bytes (a SHA-256 digest).
    public static let byteCount = SHA256.byteCount
    /// The version of the commitment formula (with canonical reading encoding v1).
    public static let formulaVersion = 1

    /// The 32 digest bytes.
    public let bytes: [UInt8]

    /// Wraps stored or received commitment bytes.
    /// - Throws: ``SealingError`` `.invalidLength` unless exactly 32 bytes.
    public init(bytes: [UInt8]) throws(SealingError) {
        guard bytes.count == Self.byteCount else {
            throw SealingError(code: .invalidLength, reason: "a commitment is 32 bytes, got \(bytes.count)")
        }
        self.bytes = bytes
    }

    private init(trusted bytes: [UInt8]) {
        self.bytes = bytes
    }

    /// Draws a fresh random salt and commits to `canonical` (a reading's `canonicalBytes`).
    /// - Returns: the salt (keep it secret, store it encrypted with the reading) and the commitment.
    public static func make(canonical: [UInt8]) -> (salt: [UInt8], commitment: Commitment) {
        let salt = SecureRandom.bytes(saltByteCount)
        return (salt, Commitment(trusted: digest(salt: salt, canonical: canonical)))
    }

    /// Recomputes the commitment of `canonical` under `salt`.
    /// - Throws: ``SealingError`` `.invalidLength` unless the salt is 32 bytes.
    public static func compute(salt: [UInt8], canonical: [UInt8]) throws(SealingError) -> Commitment {
        guard salt.count == saltByteCount else {
            throw SealingError(code: .invalidLength, reason: "a salt is 32 bytes, got \(salt.count)")
        }
        return Commitment(trusted: digest(salt: salt, canonical: canonical))
    }

    /// Whether this commitment opens to `canonical` under `salt`. A salt of the wrong length
    /// never matches. Compared in constant time.
    public func matches(salt: [UInt8], canonical: [UInt8]) -> Bool {
        guard salt.count == Self.saltByteCount else { return false }
        return constantTimeEquals(bytes, Self.digest(salt: salt, canonical: canonical))
    }

    /// The commitment as lowercase hex.
    public var description: String { bytes.hexString }

    private static func digest(salt: [UInt8], canonical: [UInt8]) -> [UInt8] {
        var hasher = SHA256.Hasher()
        hasher.update(salt)
        hasher.update(canonical)
        return hasher.finalize()
    }
}
