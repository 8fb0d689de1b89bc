/// A latency histogram with fixed upper bounds in seconds, as Prometheus exposes one: a count
/// per bucket, the total count and the sum. A value, copied between threads as a snapshot.
public struct LatencyHistogram: Sendable, Equatable {
    /// Upper bounds in seconds, ascending (the `+Inf` bucket is implied).
    public let bounds: [Double]
    /// Observations per bucket (not cumulative); the last entry counts those above every bound.
    public private(set) var counts: [UInt64]
    public private(set) var count: UInt64 = 0
    /// The sum of the observations, in seconds.
    public private(set) var sum: Double = 0

    /// Bounds from 0.5 ms to 10 s: a batch's commit, a batch from receipt to sync.
    public static let storageBounds: [Double] = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]

    public init(bounds: [Double] = LatencyHistogram.storageBounds) {
        self.bounds = bounds
        counts = Array(repeating: 0, count: bounds.count + 1)
    }

    /// Records one observation of `seconds` (a negative or non-finite one counts as 0).
    public mutating func observe(_ seconds: Double) {
        let value = seconds.isFinite && seconds > 0 ? seconds : 0
        var index = 0
        while index < bounds.count, value > bounds[index] { index += 1 }
        counts[index] += 1
        count += 1
        sum += value
    }

    /// Cumulative counts per bound, then `+Inf` (= `count`), as the exposition format wants.
    public var cumulative: [UInt64] {
        var total: UInt64 = 0
        return counts.map { total += $0; return total }
    }
}
