import Sealing

/// The commitments of the rows this vault inserted and has not sealed yet, so that sealing a
/// batch need not read them back from the database (DECISIONS 24).
///
/// It *covers* every sealable row (one with a commitment) from id `coveredFrom` on: rows are
/// appended as this connection inserts them, in id order. Anything that could leave a row
/// uncovered or a phantom entry behind (a write transaction that fails, rows inserted by
/// another connection) drops the cache; coverage restarts at the next row inserted, and
/// batches reaching below it are read from the database as before.
struct CommitmentCache {
    private var ids: [Int64] = []
    private var entries: [BatchEntry] = []
    /// Entries before this index are sealed (dropped lazily, in bulk).
    private var start = 0
    /// The first id covered; nil when nothing is.
    private var coveredFrom: Int64?

    /// Entries held (sealed ones not yet dropped included).
    var count: Int { entries.count - start }

    /// Records a sealable row just inserted by this connection (ids must increase).
    mutating func append(id: Int64, entry: BatchEntry) {
        if coveredFrom == nil { coveredFrom = id }
        ids.append(id)
        entries.append(entry)
    }

    /// Forgets everything: coverage restarts at the next `append`.
    mutating func invalidate() {
        ids.removeAll()
        entries.removeAll()
        start = 0
        coveredFrom = nil
    }

    /// The `count` oldest sealable rows after `lastSealedID`, with the first and last id, if
    /// the cache covers all of them; nil if they must be read from the database.
    func batch(after lastSealedID: Int64, count: Int) -> (entries: ArraySlice<BatchEntry>, first: Int64, last: Int64)? {
        // Rows between lastSealedID and coveredFrom would be missed: only use the cache when
        // nothing sealable can lie there.
        guard let coveredFrom, lastSealedID >= coveredFrom - 1, count > 0 else { return nil }
        var low = start, high = ids.count  // first index with id > lastSealedID
        while low < high {
            let middle = (low + high) / 2
            if ids[middle] <= lastSealedID { low = middle + 1 } else { high = middle }
        }
        guard ids.count - low >= count else { return nil }
        return (entries[low..<low + count], ids[low], ids[low + count - 1])
    }

    /// Drops the entries up to `lastSealedID` (call with the committed sealing state only).
    mutating func dropSealed(through lastSealedID: Int64) {
        while start < ids.count && ids[start] <= lastSealedID { start += 1 }
        if start == ids.count {
            ids.removeAll(keepingCapacity: ids.capacity <= 1024)
            entries.removeAll(keepingCapacity: entries.capacity <= 1024)
            start = 0
        } else if start >= 1024 && start * 2 >= ids.count {
            ids.removeFirst(start)
            entries.removeFirst(start)
            start = 0
        }
    }
}
