public import Consent
import Threading

/// The vault's ``DisclosureRecorder``: records disclosures from any thread (the delivery
/// workers, each on its own) through one connection of its own, opened on first use, beside the
/// agent's. The agent's vault seals what it records (``Vault/recordDisclosures(_:)``).
///
/// Call it once the receiver confirmed, and **before** the sink's cursor advances: a crash
/// between the two then re-delivers those records at the next start (the receiver holds them
/// once: uploads are idempotent) and records the disclosure again, so a disclosure is recorded
/// at least once and never lost. A crash between the receiver's confirmation and this record
/// leaves the cursor where it was: the records are delivered again and the disclosure is
/// recorded then, with the time of that second confirmation (docs/CONSENT.md, "Disclosure log").
///
/// `@unchecked Sendable`: the vault (not thread-safe) is only touched under `lock`, and the
/// other stored properties are immutable.
public final class VaultDisclosureRecorder: DisclosureRecorder, @unchecked Sendable {
    private let lock = PThreadLock()
    private let open: () throws(VaultError) -> Vault
    private var vault: Vault?

    /// A recorder on the vault at `path`, opened (without the writer lock) on first use.
    public convenience init(path: String, keys: any KeyStore) {
        self.init { () throws(VaultError) in
            let vault = try Vault(path: path, keys: keys)
            try vault.limitPageCache(kibibytes: 256)  // it only appends: a small cache, not 2 MB
            return vault
        }
    }

    /// A recorder on the vault `open` returns, called on first use and again after a failure.
    public init(open: @escaping () throws(VaultError) -> Vault) {
        self.open = open
    }

    public func record(_ disclosures: [Disclosure]) throws {
        try recordDisclosures(disclosures)
    }

    /// Records `disclosures`; returns their sealed records' ids.
    /// - Throws: ``VaultError`` when they cannot be recorded (the connection is reopened at the next call).
    @discardableResult
    public func recordDisclosures(_ disclosures: [Disclosure]) throws(VaultError) -> [Int64] {
        guard !disclosures.isEmpty else { return [] }
        return try lock.withLock { () throws(VaultError) -> [Int64] in
            let vault: Vault
            if let opened = self.vault { vault = opened } else { vault = try open() }
            do throws(VaultError) {
                let ids = try vault.recordDisclosures(disclosures)
                self.vault = vault
                return ids
            } catch {
                self.vault = nil  // a broken connection is not reused
                throw error
            }
        }
    }
}
