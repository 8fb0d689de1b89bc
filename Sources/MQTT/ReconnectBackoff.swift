/// Capped exponential backoff with jitter for reconnect attempts. A pure value: the caller
/// asks for the next delay and reports success; no clocks or sleeping inside.
public struct ReconnectBackoff: Sendable, Equatable {
    public var initialMs: Int
    public var maxMs: Int
    /// Fraction of the delay randomised either way (0.2 = ±20 %).
    public var jitter: Double
    public private(set) var attempt = 0

    public init(initialMs: Int = 500, maxMs: Int = 30_000, jitter: Double = 0.2) {
        precondition(initialMs > 0 && maxMs >= initialMs && (0...1).contains(jitter))
        self.initialMs = initialMs
        self.maxMs = maxMs
        self.jitter = jitter
    }

    /// The delay before the next attempt; `random` is a uniform sample in 0..<1.
    public mutating func nextDelayMs(random: Double) -> Int {
        let exponent = min(attempt, 30)
        attempt += 1
        let base = min(Double(maxMs), Double(initialMs) * Double(1 << exponent))
        let factor = 1 + jitter * (2 * random - 1)
        return max(1, Int((base * factor).rounded()))
    }

    /// Call after a successful connection.
    public mutating func reset() { attempt = 0 }
}
