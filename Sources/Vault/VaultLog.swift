import SQLite
import Transparency

/// The embedded log's hashes as the vault stores them: leaf `i` (batch `i`'s header hash) in
/// `log_leaves`, and the root of every completed perfect subtree above the leaves in
/// `log_nodes` (written as ``MerkleFrontier/append(leafHash:)`` completes them).
///
/// Roots and proofs cost O(log n) point lookups whatever the log's size, so the sealing
/// agent keeps only the frontier (O(log n) hashes) in memory, not the log.
struct VaultLogStore: MerkleHashStore {
    typealias Failure = VaultError
    let db: Connection

    func leafCount() throws(VaultError) -> UInt64 {
        do {
            return UInt64(try db.cached("SELECT count(*) FROM log_leaves").firstRow()?.first?.integerValue ?? 0)
        } catch {
            throw VaultError(.storage, "cannot count the log leaves", underlying: error)
        }
    }

    func leafHash(at index: UInt64) throws(VaultError) -> [UInt8] {
        let row: [SQLiteValue]?
        do { row = try db.cached("SELECT header_hash FROM log_leaves WHERE idx = ?").firstRow(.integer(Int64(index))) } catch {
            throw VaultError(.storage, "cannot read log leaf \(index)", underlying: error)
        }
        guard let leaf = row?.first?.blobValue else { throw VaultError(.corruptRow, "log leaf \(index) is missing") }
        return MerkleHasher.leafHash(leaf)
    }

    func perfectSubtreeHash(level: Int, index: UInt64) throws(VaultError) -> [UInt8] {
        if level == 0 { return try leafHash(at: index) }
        let row: [SQLiteValue]?
        do {
            row = try db.cached("SELECT hash FROM log_nodes WHERE level = ? AND idx = ?")
                .firstRow(.integer(Int64(level)), .integer(Int64(index)))
        } catch {
            throw VaultError(.storage, "cannot read log node \(level)/\(index)", underlying: error)
        }
        guard let hash = row?.first?.blobValue, hash.count == MerkleHasher.hashByteCount else {
            throw VaultError(.corruptRow, "log node (level \(level), index \(index)) is missing or malformed")
        }
        return hash
    }

    /// Stores a new leaf and the interior nodes its append completed (call inside the
    /// transaction that seals the batch).
    func append(headerHash: [UInt8], to frontier: inout MerkleFrontier) throws(SQLiteError) {
        let index = frontier.size
        try db.cached("INSERT INTO log_leaves (idx, header_hash) VALUES (?, ?)")
            .run(.integer(Int64(index)), .blob(headerHash))
        for node in frontier.append(leafHash: MerkleHasher.leafHash(headerHash)) where node.position.level > 0 {
            try db.cached("INSERT INTO log_nodes (level, idx, hash) VALUES (?, ?, ?)")
                .run(.integer(Int64(node.position.level)), .integer(Int64(node.position.index)), .blob(node.hash))
        }
    }

    /// Makes sure `log_nodes` holds exactly the nodes the stored leaves complete, rebuilding it
    /// from the leaves if not (a vault from before the table existed, or a damaged table): O(n),
    /// once. Call outside any transaction.
    func ensureNodes() throws(VaultError) {
        do {
            if try db.transaction(.deferred, { try nodesMatchLeaves() }) { return }
            try db.transaction(.immediate) {
                guard try !nodesMatchLeaves() else { return }  // another writer got there first
                try db.execute("DELETE FROM log_nodes")
                var frontier = MerkleFrontier()
                let leaves = try db.prepare("SELECT header_hash FROM log_leaves ORDER BY idx")
                let insert = try db.prepare("INSERT INTO log_nodes (level, idx, hash) VALUES (?, ?, ?)")
                while try leaves.step() {
                    for node in frontier.append(leafHash: MerkleHasher.leafHash(leaves.blob(0) ?? []))
                    where node.position.level > 0 {
                        try insert.run(.integer(Int64(node.position.level)), .integer(Int64(node.position.index)),
                                       .blob(node.hash))
                    }
                }
            }
        } catch {
            throw VaultError(.storage, "cannot rebuild the log's interior nodes", underlying: error)
        }
    }

    /// A tree of n leaves has n/2 + n/4 + ... = n - popcount(n) perfect subtrees above its leaves.
    private func nodesMatchLeaves() throws -> Bool {
        let leaves = try leafCount()
        let nodes = try db.query("SELECT count(*) FROM log_nodes").first?.first?.integerValue ?? 0
        return nodes == Int64(leaves) - Int64(leaves.nonzeroBitCount)
    }

    /// The frontier of the stored log, read from the O(log n) nodes that cover it (after
    /// ``ensureNodes()``).
    func frontier() throws(VaultError) -> MerkleFrontier {
        let size = try leafCount()
        var hashes: [[UInt8]] = []
        var offset: UInt64 = 0
        for level in (0..<64).reversed() where size & (1 << UInt64(level)) != 0 {
            hashes.append(try perfectSubtreeHash(level: level, index: offset >> UInt64(level)))
            offset += 1 << UInt64(level)
        }
        guard let frontier = MerkleFrontier(size: size, hashes: hashes) else {
            throw VaultError(.corruptRow, "the log's frontier cannot be restored")
        }
        return frontier
    }
}

extension Vault {
    /// The log's hash store, its interior nodes checked (and rebuilt if needed) once per open vault.
    func logStore() throws(VaultError) -> VaultLogStore {
        let store = VaultLogStore(db: db)
        if !logNodesChecked {
            try store.ensureNodes()
            logNodesChecked = true
        }
        return store
    }
}
