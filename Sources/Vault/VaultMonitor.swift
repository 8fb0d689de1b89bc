import SQLite

/// A read-only view of the vault for the HTTP endpoints: where each sink stands and how far
/// anchoring lags. Its own connection, opened read-only with a small page cache and without the
/// keys: it reads counts, ids and times, never content.
public final class VaultMonitor {
    private let db: Connection

    /// Opens `path` read-only (the agent has made and migrated it).
    public init(path: String) throws(VaultError) {
        do {
            db = try Connection(path: path, readOnly: true)
            try db.busyTimeout(ms: 1000)
            try db.execute("PRAGMA cache_size = -128")  // KiB: it reads a few index pages per scrape
        } catch {
            throw VaultError(.storage, "cannot open the vault to read delivery and anchoring figures", underlying: error)
        }
    }

    /// Every sink's cursor and backlog, and the anchoring lag, in one read transaction.
    public func deliveryAndAnchoring() throws(VaultError) -> (sinks: [SinkStatus], anchoring: AnchorLag) {
        do {
            try db.execute("BEGIN")
            defer { try? db.execute("COMMIT") }
            return (try Vault.sinkStatuses(db), try AnchorStore.lag(db))
        } catch let error as VaultError {
            throw error
        } catch {
            throw VaultError(.storage, "cannot read delivery and anchoring figures", underlying: error)
        }
    }
}
