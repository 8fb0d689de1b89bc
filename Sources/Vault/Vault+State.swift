import Cryptography
import SQLite

extension Vault {
    /// Stores an opaque state blob (e.g. detector state, which names patients) encrypted
    /// under the gateway key in the `meta` table.
    public func setSealedState(_ name: String, _ value: [UInt8]) throws(VaultError) {
        try write { try storeSealedState(name, value) }
    }

    /// Encrypts and upserts a state blob; call inside a write transaction.
    func storeSealedState(_ name: String, _ value: [UInt8]) throws {
        let sealed = try AES256GCM.seal(value, key: gatewayKey, associatedData: Array("vg-state-v1:\(name)".utf8))
        try db.cached("INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value")
            .run(.text("state:\(name)"), .blob(sealed.combined))
    }

    /// The state blob stored under `name`, or `nil`; throws if it does not authenticate.
    public func sealedState(_ name: String) throws(VaultError) -> [UInt8]? {
        let rows = try read { try db.query("SELECT value FROM meta WHERE key = ?", [.text("state:\(name)")]) }
        guard let blob = rows.first?.first?.blobValue else { return nil }
        do {
            return try AES256GCM.open(try AES256GCM.SealedBox(combined: blob), key: gatewayKey,
                                      associatedData: Array("vg-state-v1:\(name)".utf8))
        } catch {
            throw VaultError(.corruptRow, "state \(name) does not authenticate", underlying: error)
        }
    }
}
