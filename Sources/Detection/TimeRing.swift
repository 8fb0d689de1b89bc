/// A fixed-capacity ring of `Int64` values (times in ms, or hashes), newest last.
struct TimeRing: SavedRing {
    private(set) var storage: [Int64] = []
    private(set) var head = 0
    let capacity: Int

    init(capacity: Int) {
        precondition(capacity > 0)
        self.capacity = capacity
    }

    var count: Int { storage.count }

    mutating func append(_ value: Int64) {
        if storage.count < capacity {
            storage.append(value)
        } else {
            storage[head] = value
            head = (head + 1) % capacity
        }
    }

    /// The `k`-th most recent value (0 = newest).
    func recent(_ k: Int) -> Int64? {
        guard k < storage.count else { return nil }
        let n = storage.count
        let start = n < capacity ? 0 : head
        return storage[(start + n - 1 - k) % n]
    }

    func contains(_ value: Int64) -> Bool { storage.contains(value) }

    /// How many of the newest values are at or after `since` (values assumed non-decreasing).
    func countRecent(since: Int64) -> Int {
        var k = 0
        while let v = recent(k), v >= since { k += 1 }
        return k
    }

    var values: [Int64] { (0..<storage.count).reversed().compactMap { recent($0) } }
}
