/// A fixed-capacity ring of `Float` samples (oldest overwritten first) with the robust
/// statistics the detectors use: median, MAD, mean and variance.
struct RingBuffer: SavedRing {
    private(set) var storage: [Float]
    private(set) var head = 0   // index of the next write
    private(set) var count = 0
    let capacity: Int

    init(capacity: Int) {
        precondition(capacity > 0)
        self.capacity = capacity
        storage = []
    }

    var isEmpty: Bool { count == 0 }
    var isFull: Bool { count == capacity }

    mutating func append(_ value: Float) {
        if storage.count < capacity {
            storage.append(value)
        } else {
            storage[head] = value
        }
        head = (head + 1) % capacity
        count = Swift.min(count + 1, capacity)
    }

    mutating func removeAll() {
        storage.removeAll(keepingCapacity: true)
        head = 0
        count = 0
    }

    /// The `k`-th most recent value (0 = newest).
    func recent(_ k: Int) -> Float? {
        guard k < count else { return nil }
        return storage[(head - 1 - k + 2 * capacity) % capacity]
    }

    var last: Float? { recent(0) }

    /// Values oldest first.
    var values: [Float] {
        guard storage.count == capacity else { return storage }
        return Array(storage[head...] + storage[..<head])
    }

    /// Median of the newest `n` values (all when `n` is nil).
    func median(last n: Int? = nil) -> Float? {
        let m = Swift.min(n ?? count, count)
        guard m > 0 else { return nil }
        var xs = [Float](repeating: 0, count: m)
        for k in 0..<m { xs[k] = storage[(head - 1 - k + 2 * capacity) % capacity] }
        return Self.median(&xs)
    }

    /// Median absolute deviation of the newest `n` values around their median.
    func mad(last n: Int? = nil) -> Float? {
        let m = Swift.min(n ?? count, count)
        guard m > 1, let center = median(last: m) else { return nil }
        var xs = [Float](repeating: 0, count: m)
        for k in 0..<m { xs[k] = abs(storage[(head - 1 - k + 2 * capacity) % capacity] - center) }
        return Self.median(&xs)
    }

    func mean(last n: Int? = nil) -> Float? {
        let m = Swift.min(n ?? count, count)
        guard m > 0 else { return nil }
        var sum: Float = 0
        for k in 0..<m { sum += storage[(head - 1 - k + 2 * capacity) % capacity] }
        return sum / Float(m)
    }

    static func median(_ xs: inout [Float]) -> Float {
        xs.sort()
        let m = xs.count
        return m % 2 == 1 ? xs[m / 2] : (xs[m / 2 - 1] + xs[m / 2]) / 2
    }
}

/// Exponentially weighted mean and variance with a time constant in samples.
struct EWMA: Equatable, StateCodable {
    var mean: Float = 0
    var variance: Float = 0
    var samples: Int = 0

    mutating func update(_ x: Float, alpha: Float) {
        if samples == 0 {
            mean = x
            variance = 0
        } else {
            let a = Swift.max(alpha, 1 / Float(samples + 1))
            let d = x - mean
            mean += a * d
            variance = (1 - a) * (variance + a * d * d)
        }
        samples += 1
    }

    var sd: Float { variance.squareRoot() }

    func encode(to writer: inout StateWriter) {
        writer.write(mean); writer.write(variance); writer.write(samples)
    }

    init() {}

    init(from reader: inout StateReader) throws(DetectionStateError) {
        mean = try reader.read(); variance = try reader.read(); samples = try reader.read()
        // Restored values feed integer conversions (`Int64(periodMs)`): a state file whose
        // numbers are not finite or negative is refused rather than trapped on later.
        guard mean.isFinite, variance.isFinite, variance >= 0, samples >= 0 else {
            throw DetectionStateError("an average is not a finite number")
        }
    }
}
