import SQLite
import Threading

extension Vault {
    /// The identifiers (MRNs) of the patients not erased, as the database holds them now: rows
    /// another connection (the agent's ingest) wrote since this vault was opened are included,
    /// and erased patients are not. For a worker that reads per patient beside ingest (the
    /// consent registry sync); the identifiers never leave the gateway.
    public func patientIdentifiers() throws(VaultError) -> [String] {
        let rows = try read {
            try db.query("""
                SELECT id, pseudonym, wrapped_key, identifier_ct FROM patients
                WHERE wrapped_key IS NOT NULL AND identifier_ct IS NOT NULL ORDER BY id
                """)
        }
        var identifiers: [String] = []
        for row in rows {
            if let ref = row[0].integerValue, let known = patientsByRef[ref]?.identifier {
                identifiers.append(known)
                continue
            }
            guard let entry = try patientEntry(row), let identifier = entry.identifier else { continue }
            patientsByRef[entry.ref] = entry
            patientsByIdentifier[identifier] = entry
            identifiers.append(identifier)
        }
        return identifiers
    }
}

/// The vault's patients for a worker beside ingest (the consent registry sync): its own
/// connection, opened at the first call, asked for ``Vault/patientIdentifiers()``.
// @unchecked Sendable is safe: `vault` is read and written only inside `lock`, so one thread
// at a time uses the (single-threaded) connection.
public final class VaultPatientList: @unchecked Sendable {
    private let path: String
    private let keys: any KeyStore
    private let lock = PThreadLock()
    private var vault: Vault?

    /// A list over the vault at `path`, opened with `keys` when first asked.
    public init(path: String, keys: any KeyStore) {
        self.path = path
        self.keys = keys
    }

    /// The MRNs of the patients not erased.
    public func identifiers() throws(VaultError) -> [String] {
        try withVault { (vault: Vault) throws(VaultError) in try vault.patientIdentifiers() }
    }

    /// Records the consent registry sync's status for `stats`.
    public func record(_ status: ConsentRegistryStatus) throws(VaultError) {
        try withVault { (vault: Vault) throws(VaultError) in try vault.recordConsentRegistryStatus(status) }
    }

    private func withVault<T>(_ body: (Vault) throws(VaultError) -> T) throws(VaultError) -> T {
        try lock.withLock { () throws(VaultError) -> T in
            if let vault { return try body(vault) }
            let open = try Vault(path: path, keys: keys)
            vault = open
            return try body(open)
        }
    }
}
