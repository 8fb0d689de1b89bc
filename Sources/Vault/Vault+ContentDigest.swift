extension Vault {
    /// The dedupe digest stored in `readings.digest`: the keyed digest (domain
    /// `reading-content-v1`) of a reading's `0x01 ‖ canonical bytes`, or of a sealed record's
    /// (kind `event`: erasures, alerts) canonical bytes. No salt, so a redelivered copy matches;
    /// `audit` recomputes it from the decrypted row.
    func contentDigest(kind: String, canonical: [UInt8]) -> [UInt8] {
        guard kind != "event" else { return contentDigester.digest(canonical) }
        var versioned: [UInt8] = []
        versioned.reserveCapacity(canonical.count + 1)
        versioned.append(ReadingPlaintext.version1)
        versioned.append(contentsOf: canonical)
        return contentDigester.digest(versioned)
    }

    /// The bytes of the dedupe digest that rows of format 3 keep: its first 128 bits. A copy
    /// still matches its original, and a different reading of the same identity collides with
    /// probability 2^-128; forging one without the pseudonym key stays as hard as forging the
    /// HMAC. The older rows keep all 32 bytes.
    static let compactDigestBytes = 16

    /// What an erasure leaves in `readings.digest` of the patient's rows (``scrubContentDigests``).
    static let scrubbedDigest = [UInt8](repeating: 0, count: 32)
}
