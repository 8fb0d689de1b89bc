internal import Telemetry

/// Decides whether a signed configuration document may be applied. Pure: no I/O, no clock.
public enum ConfigVerifier {
    /// Evaluates a signed envelope.
    ///
    /// Checks, in order: size, JSON and schema, presence of signatures, that every signer is
    /// pinned and every signature verifies, per-section thresholds (and at least one signature
    /// overall), target, version above `appliedVersion` (`nil`: nothing applied yet), the
    /// validity window, and safe value ranges.
    /// - Parameter now: current time in ms since the Unix epoch.
    public static func evaluate(_ bytes: some Collection<UInt8>, policy: TrustPolicy, gatewayID: String,
                                groups: Set<String> = [], appliedVersion: UInt64?,
                                now: UInt64) -> Result<AcceptedConfig, ConfigRejection> {
        evaluate(bytes, policy: policy, gatewayID: gatewayID, groups: groups,
                 appliedVersion: { _ in appliedVersion }, now: now)
    }

    /// Evaluates a signed envelope whose version must be above the one applied for its own
    /// target (versions are monotonic per target: the gateway and each of its groups).
    public static func evaluate(_ bytes: some Collection<UInt8>, policy: TrustPolicy, gatewayID: String,
                                groups: Set<String> = [], appliedVersion: (ConfigTarget) -> UInt64?,
                                now: UInt64) -> Result<AcceptedConfig, ConfigRejection> {
        Result { () throws(ConfigRejection) in try SignedConfig(bytes: bytes) }.flatMap {
            evaluate($0, policy: policy, gatewayID: gatewayID, groups: groups, appliedVersion: appliedVersion, now: now)
        }
    }

    /// Evaluates an envelope already parsed (the agent identifies a document before judging it,
    /// and parses it once).
    public static func evaluate(_ signed: SignedConfig, policy: TrustPolicy, gatewayID: String,
                                groups: Set<String> = [], appliedVersion: (ConfigTarget) -> UInt64?,
                                now: UInt64) -> Result<AcceptedConfig, ConfigRejection> {
        Result { () throws(ConfigRejection) in
            try accept(signed, policy: policy, gatewayID: gatewayID, groups: groups,
                       appliedVersion: appliedVersion, now: now)
        }
    }

    private static func accept(_ signed: SignedConfig, policy: TrustPolicy, gatewayID: String,
                               groups: Set<String>, appliedVersion: (ConfigTarget) -> UInt64?,
                               now: UInt64) throws(ConfigRejection) -> AcceptedConfig {
        let document = signed.document
        let signers = try SignedEnvelope.verifiedSigners(signed.signatures,
                                                         message: ConfigDocument.signingMessage(for: signed.documentJSON),
                                                         key: policy.key(withID:))
        for section in document.sections.present {
            let need = policy.threshold(for: section)
            if signers.count < need {
                throw ConfigRejection(.insufficientSignatures(section: section.rawValue, have: signers.count, need: need))
            }
        }

        guard document.target.matches(gatewayID: gatewayID, groups: groups) else {
            throw ConfigRejection(.wrongTarget)
        }
        if let appliedVersion = appliedVersion(document.target), document.version <= appliedVersion {
            throw ConfigRejection(.replay(version: document.version, applied: appliedVersion))
        }
        guard now >= document.notBefore else { throw ConfigRejection(.notYetValid) }
        guard now < document.expires else { throw ConfigRejection(.expired) }
        if let field = document.sections.firstUnsafeField() {
            throw ConfigRejection(.outOfSafeRange(field: field))
        }
        return AcceptedConfig(document: document,
                              contentHash: ConfigDocument.contentHash(of: signed.documentJSON),
                              signerKeyIDs: signers.sorted())
    }
}
