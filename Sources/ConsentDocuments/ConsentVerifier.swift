public import Consent
public import Fleet

/// A consent document that passed every check: its record may go into the book and the vault.
public struct AcceptedConsent: Sendable {
    /// The document.
    public let document: ConsentDocument
    /// SHA-256 of the canonical document.
    public let contentHash: [UInt8]
    /// Key ids of the pinned authorities whose signatures verified, sorted.
    public let signerKeyIDs: [String]

    /// The record it carries.
    public var record: ConsentRecord { document.record }
}

/// Decides whether a signed consent document may be accepted. Pure: no I/O, no clock.
public enum ConsentVerifier {
    /// How far `issued_at` may lie ahead of the gateway's clock (ms).
    public static let maxClockSkewMs: UInt64 = 5 * 60 * 1000

    /// Judges a parsed envelope. Checks, in order (the first failure wins): every signature comes
    /// from a pinned key and verifies (`missing-signatures`, `unknown-key`, `bad-signature`),
    /// at least `authority.threshold` of them (`insufficient-signatures`, section `consent`),
    /// the target is this gateway or one of its groups (`wrong-target`), the version is above
    /// the highest this gateway accepted for the same patient and record id, also one erased
    /// since (`replay`), `issued_at` is not ahead of `now` by more than ``maxClockSkewMs``
    /// (`not-yet-valid`), and `now` is before `expires` (`expired`).
    /// - Parameters:
    ///   - highWater: the highest version accepted for a record (patient, id), if any.
    ///   - now: the current time in ms since the epoch.
    public static func evaluate(_ signed: SignedConsent, authority: ConsentAuthority, gatewayID: String,
                                groups: Set<String>, highWater: (ConsentRecord) -> UInt64?,
                                now: UInt64) -> Result<AcceptedConsent, ConfigRejection> {
        Result { () throws(ConfigRejection) in
            let document = signed.document
            let signers = try SignedEnvelope.verifiedSigners(signed.signatures,
                                                             message: ConsentDocument.signingMessage(for: signed.documentJSON),
                                                             key: authority.key(withID:))
            guard signers.count >= authority.threshold else {
                throw ConfigRejection(.insufficientSignatures(section: "consent", have: signers.count, need: authority.threshold))
            }
            guard document.target.matches(gatewayID: gatewayID, groups: groups) else { throw ConfigRejection(.wrongTarget) }
            if let current = highWater(document.record), document.version <= current {
                throw ConfigRejection(.replay(version: document.version, applied: current))
            }
            guard document.issuedAt <= now &+ maxClockSkewMs else { throw ConfigRejection(.notYetValid) }
            guard now < document.expires else { throw ConfigRejection(.expired) }
            return AcceptedConsent(document: document, contentHash: signed.contentHash, signerKeyIDs: signers.sorted())
        }
    }
}
