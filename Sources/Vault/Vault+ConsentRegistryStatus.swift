import SQLite

/// What the consent registry sync last showed, for `stats` (names no patient, grantee or pseudonym).
public struct ConsentRegistryStatus: Sendable, Equatable {
    /// The newest trusted block a verified read was made at, and its timestamp (Unix s); nil: none yet.
    public var lastVerifiedBlock: UInt64?
    public var lastVerifiedBlockTimestamp: UInt64?
    /// The step (or `unavailable`) of the last failed read, until a poll reads everything.
    public var lastFailureStep: String?

    /// Creates a status.
    public init(lastVerifiedBlock: UInt64?, lastVerifiedBlockTimestamp: UInt64?, lastFailureStep: String?) {
        self.lastVerifiedBlock = lastVerifiedBlock
        self.lastVerifiedBlockTimestamp = lastVerifiedBlockTimestamp
        self.lastFailureStep = lastFailureStep
    }

    /// `block timestamp step`, `-` for what is unknown.
    var text: String {
        [lastVerifiedBlock.map(String.init) ?? "-", lastVerifiedBlockTimestamp.map(String.init) ?? "-",
         lastFailureStep.map { String($0.prefix(40)) } ?? "-"].joined(separator: " ")
    }

    init?(text: String) {
        let parts = text.split(separator: " ").map(String.init)
        guard parts.count == 3 else { return nil }
        self.init(lastVerifiedBlock: UInt64(parts[0]), lastVerifiedBlockTimestamp: UInt64(parts[1]),
                  lastFailureStep: parts[2] == "-" ? nil : parts[2])
    }
}

extension Vault {
    /// Records the consent registry sync's status (the `meta` row `consent_registry`).
    public func recordConsentRegistryStatus(_ status: ConsentRegistryStatus) throws(VaultError) {
        try write {
            try db.run("INSERT INTO meta (key, value) VALUES ('consent_registry', ?) "
                       + "ON CONFLICT(key) DO UPDATE SET value = excluded.value", [.blob(Array(status.text.utf8))])
        }
    }

    /// The consent registry sync's last recorded status; nil when no registry was ever read here.
    public func consentRegistryStatus() throws(VaultError) -> ConsentRegistryStatus? {
        let rows = try read { try db.query("SELECT value FROM meta WHERE key = 'consent_registry'") }
        guard let blob = rows.first?.first?.blobValue else { return nil }
        return ConsentRegistryStatus(text: String(decoding: blob, as: UTF8.self))
    }
}
