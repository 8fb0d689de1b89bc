/// Limits applied to untrusted payloads before and during decoding.
public struct DecodeLimits: Sendable {
    /// Larger payloads are quarantined as `oversize` without being parsed.
    public var maxPayloadBytes: Int
    public var maxDepth: Int
    /// Device timestamps further ahead of the arrival clock are `timestamp_future`.
    public var maxFutureSkewMs: Int64
    /// Device timestamps before this (ms since epoch) predate the first clock sync.
    public var earliestValidTimestamp: Int64

    public init(maxPayloadBytes: Int = 16 * 1024, maxDepth: Int = 8, maxFutureSkewMs: Int64 = 15 * 60_000,
                earliestValidTimestamp: Int64 = 1_577_836_800_000 /* 2020-01-01 */) {
        self.maxPayloadBytes = maxPayloadBytes
        self.maxDepth = maxDepth
        self.maxFutureSkewMs = maxFutureSkewMs
        self.earliestValidTimestamp = earliestValidTimestamp
    }
}
