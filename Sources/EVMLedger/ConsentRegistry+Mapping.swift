public import Consent
import Cryptography

extension ConsentRegistry {
    /// The domain tag of the registry pseudonym (docs/CONSENT-REGISTRY.md, "Patient pseudonyms").
    static let pseudonymDomain = Array("vitalgate-consent-registry-pseudonym-v1".utf8)

    /// The patient's pseudonym in the registry: HMAC-SHA256 under the deployment's shared
    /// registry key of `domain ‖ 0x00 ‖ MRN` (UTF-8). The authority computes the same value from
    /// the same key; it is not the vault's per-gateway pseudonym, so every gateway of the
    /// deployment names the patient alike, and without the key the word reveals nothing.
    public static func pseudonym(mrn: String, key: [UInt8]) -> [UInt8] {
        HMACSHA256.authenticationCode(key: key, message: pseudonymDomain + [0] + Array(mrn.utf8))
    }

    /// A grantee's 32-byte word: its recipient id in ASCII, left-aligned and zero-padded (like
    /// ``purposeWord(_:)``); `nil` for an id that is empty, longer than 32 bytes or not printable ASCII.
    public static func granteeWord(_ id: String) -> [UInt8]? {
        let bytes = Array(id.utf8)
        guard (1...32).contains(bytes.count), bytes.allSatisfy({ (0x21...0x7E).contains($0) }) else { return nil }
        return bytes + [UInt8](repeating: 0, count: 32 - bytes.count)
    }

    /// The consent record the registry's proven decisions about one (patient, grantee) amount to
    /// (docs/CONSENT-REGISTRY.md, "What the consent model maps it to"), or `nil` when nothing was
    /// ever written for the pair (pairVersion 0: the default policy decides).
    ///
    /// Every state must be for the same pair at the same `pairVersion` (no write between the
    /// reads). The record is `registry:<grantee>`, version `pairVersion`, source
    /// `.registry(block:)` (the oldest block read). Its root rule is about `grantee` and the
    /// purposes with a decision, and denies; each grant is a permit exception for its purpose,
    /// classes and period; each revocation a deny exception. So a revocation denies whatever the
    /// default policy says, and a grant permits only its classes within its period. Purposes
    /// read as absent are left to the default policy; when every purpose read is absent (writes
    /// only for purposes not read), the record is `inactive` and no longer speaks.
    /// - Returns: `nil` when the states disagree on `pairVersion` (read again) or it is 0.
    public static func record(patient: String, grantee: String, states: [ConsentRegistryState]) -> ConsentRecord? {
        guard let first = states.first, first.pairVersion > 0,
              states.allSatisfy({ $0.pairVersion == first.pairVersion }) else { return nil }
        var decided: Set<PurposeOfUse> = []
        var exceptions: [ConsentProvision] = []
        for state in states {
            guard state.decision != .absent, let purpose = purposeOfUse(state.purpose) else { continue }
            decided.insert(purpose)
            switch state.decision {
            case .granted:
                let classes = DataClasses(rawValue: UInt8(truncatingIfNeeded: state.classes.rawValue & 0x0F))
                // A grant of no class permits nothing (an empty class list would mean every class).
                guard !classes.isEmpty else { continue }
                exceptions.append(ConsentProvision(
                    type: .permit, purposes: [purpose], classes: classes,
                    period: ConsentPeriod(start: state.notBefore.map { Int64(clamping: $0) * 1000 },
                                          end: state.notAfter.map { Int64(clamping: $0) * 1000 + 999 })))
            case .revoked, .absent:
                exceptions.append(ConsentProvision(type: .deny, purposes: [purpose]))
            }
        }
        let block = states.map(\.blockNumber).min() ?? first.blockNumber
        let timestamp = states.map(\.blockTimestamp).min() ?? first.blockTimestamp
        return ConsentRecord(
            id: "registry:\(grantee)", patient: patient, version: first.pairVersion,
            status: decided.isEmpty ? .inactive : .active, issuedAt: Int64(clamping: timestamp) * 1000,
            provision: ConsentProvision(type: .deny, actors: [grantee], purposes: decided, provisions: exceptions),
            source: .registry(block: block))
    }

    /// The PurposeOfUse code of a registry purpose word (ASCII, zero-padded).
    static func purposeOfUse(_ word: [UInt8]) -> PurposeOfUse? {
        let code = word.prefix { $0 != 0 }
        guard word.dropFirst(code.count).allSatisfy({ $0 == 0 }) else { return nil }
        return PurposeOfUse(rawValue: String(decoding: code, as: UTF8.self))
    }
}
