import Cryptography
import Sealing
import Telemetry

/// The part of storing a reading that needs neither the database nor the patient's key: the
/// canonical bytes with their salt, the digest that recognises redelivered copies, and the
/// salted commitment. Computed by a ``ReadingPreparer`` on the ingest thread, so that the
/// thread that stores batches (the busier one) only looks up, encrypts and inserts.
public struct PreparedReading: Sendable {
    /// `0x02 ‖ salt(32) ‖ canonical`: the plaintext that is encrypted (`ReadingPlaintext`).
    let plaintext: [UInt8]
    /// Keyed digest of `0x01 ‖ canonical` (no salt, so copies of one reading match).
    let digest: [UInt8]
    /// `SHA-256(salt ‖ canonical)`.
    let commitment: Commitment
}

/// Prepares readings for ``Vault/store(_:alerts:)`` off the vault's thread. It holds its own
/// pre-keyed digester and random pool, so it is not `Sendable`: one instance per thread.
public final class ReadingPreparer {
    private let digester: KeyedDigester
    private let salts = RandomPool()

    init(keys: any KeyStore) {
        digester = keys.makeDigester(domain: Vault.contentDigestDomain)
    }

    /// Prepares the reading `message` carries, if it carries one; other outcomes are left as they are.
    public func prepare(_ message: inout IncomingMessage) {
        guard case .reading(let reading, _) = message.outcome else { return }
        message.prepared = Self.prepare(reading, digester: digester, salts: salts)
    }

    static func prepare(_ reading: Reading, digester: KeyedDigester, salts: RandomPool) -> PreparedReading {
        // Arrival time is not part of the canonical content, so a redelivered copy has equal bytes.
        var versioned: [UInt8] = []
        versioned.reserveCapacity(reading.kind == .waveform ? 1024 : 384)
        versioned.append(ReadingPlaintext.version1)
        reading.writeCanonical(into: &versioned)
        let digest = digester.digest(versioned)
        // Plaintext v2: 0x02 ‖ salt ‖ canonical. The salt lives only inside the ciphertext, so
        // erasing the data key destroys it with the content; the commitment stays verifiable.
        var plaintext: [UInt8] = []
        plaintext.reserveCapacity(versioned.count + Commitment.saltByteCount)
        plaintext.append(ReadingPlaintext.version2)
        salts.append(Commitment.saltByteCount, to: &plaintext)
        plaintext.append(contentsOf: versioned.dropFirst())
        // commitment = SHA-256(salt ‖ canonical), hashed straight from the plaintext buffer.
        guard let commitment = try? Commitment(bytes: SHA256.hash(plaintext.dropFirst())) else {
            preconditionFailure("SHA-256 gives 32 bytes")
        }
        return PreparedReading(plaintext: plaintext, digest: digest, commitment: commitment)
    }
}

extension Vault {
    /// The domain of the keyed digest that recognises copies of a reading.
    static let contentDigestDomain = "reading-content-v1"

    /// A preparer for the thread that hands batches to this vault (see ``PreparedReading``).
    public func makeReadingPreparer() -> ReadingPreparer { ReadingPreparer(keys: keys) }
}
