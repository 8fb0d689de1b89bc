/// Why a configuration document was refused. Descriptions name the reason and the field,
/// never a configuration value, a signature or key material beyond public key ids.
public struct ConfigRejection: Error, Sendable, CustomStringConvertible {
    /// The precise rejection reason.
    public enum Reason: Sendable, Equatable, CustomStringConvertible {
        /// The signed document is larger than the limit (bytes).
        case oversize(size: Int, limit: Int)
        /// Not JSON, or a schema error at `field` (a dotted path such as `document.ingest.max_batch`).
        case malformed(field: String, detail: String)
        /// A signature names a key id that is not pinned in the trust policy.
        case unknownKey(keyID: String)
        /// A signature from a pinned key does not verify over the document.
        case badSignature(keyID: String)
        /// A section present in the document has fewer valid signatures than its threshold.
        case insufficientSignatures(section: String, have: Int, need: Int)
        /// The version is not above the applied version for this gateway.
        case replay(version: UInt64, applied: UInt64)
        /// The document targets another gateway or a group this gateway is not in.
        case wrongTarget
        /// `now` is before the document's `not_before`.
        case notYetValid
        /// `now` is at or after the document's `expires`.
        case expired
        /// A value parsed correctly but is outside its safe operating range.
        case outOfSafeRange(field: String)
        /// The document carries no signatures at all.
        case missingSignatures
        /// The document is valid but asks for something this agent cannot do (e.g. a ledger
        /// backend it was built without); nothing is applied.
        case unsupported(field: String, detail: String)
        /// Applying failed (e.g. a delivered firmware schema clashes with the agent's catalogue,
        /// or the vault could not record it); nothing is applied.
        case applyFailed(detail: String)

        /// A stable short code, for reports and audit events.
        public var code: String {
            switch self {
            case .oversize: "oversize"
            case .malformed: "malformed"
            case .unknownKey: "unknown-key"
            case .badSignature: "bad-signature"
            case .insufficientSignatures: "insufficient-signatures"
            case .replay: "replay"
            case .wrongTarget: "wrong-target"
            case .notYetValid: "not-yet-valid"
            case .expired: "expired"
            case .outOfSafeRange: "out-of-safe-range"
            case .missingSignatures: "missing-signatures"
            case .unsupported: "unsupported"
            case .applyFailed: "apply-failed"
            }
        }

        public var description: String {
            switch self {
            case .oversize(let size, let limit): "oversize: \(size) bytes, limit \(limit)"
            case .malformed(let field, let detail): "malformed: \(field.isEmpty ? "document" : field): \(detail)"
            case .unknownKey(let keyID): "unknown-key: signature from unpinned key \(keyID)"
            case .badSignature(let keyID): "bad-signature: signature by key \(keyID) does not verify"
            case .insufficientSignatures(let section, let have, let need):
                "insufficient-signatures: section \(section) has \(have) of \(need) required signatures"
            case .replay(let version, let applied): "replay: version \(version) is not above applied \(applied)"
            case .wrongTarget: "wrong-target: document is not addressed to this gateway or its groups"
            case .notYetValid: "not-yet-valid: not_before is in the future"
            case .expired: "expired: expires is in the past"
            case .outOfSafeRange(let field): "out-of-safe-range: \(field)"
            case .missingSignatures: "missing-signatures: the document carries no signatures"
            case .unsupported(let field, let detail): "unsupported: \(field): \(detail)"
            case .applyFailed(let detail): "apply-failed: \(detail)"
            }
        }
    }

    /// The reason.
    public let reason: Reason
    /// Source location that produced the rejection (for diagnostics).
    public let file: String
    /// Source line that produced the rejection.
    public let line: Int

    /// Creates a rejection recording the call site.
    public init(_ reason: Reason, file: String = #fileID, line: Int = #line) {
        self.reason = reason
        self.file = file
        self.line = line
    }

    public var description: String { reason.description }
}
