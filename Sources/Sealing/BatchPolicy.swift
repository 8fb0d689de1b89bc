internal import Telemetry

/// When an open batch closes: after `maxReadings` readings or once it is `maxAgeMilliseconds`
/// old, whichever comes first.
///
/// The defaults suit a bedside gateway: a handful of devices at 1 Hz fill 256 readings in
/// tens of seconds, and 10 s bounds how long a reading waits before it is provable. A batch
/// of 256 gives an 8-hash audit path.
public struct BatchPolicy: Sendable, Equatable {
    /// The largest `maxReadings` accepted: `sealing.batch_max_readings`'s range (100,000
    /// readings, a 17-hash audit path), the one the config file and fleet documents read.
    public static let readingLimit = SettingRanges.batchMaxReadings.local.upperBound

    /// Close the batch when it holds this many readings (≥ 1).
    public let maxReadings: Int
    /// Close the batch when it has been open this long, in milliseconds (≥ 1).
    public let maxAgeMilliseconds: Int64

    /// 256 readings or 10 seconds.
    public static let bedsideDefault = BatchPolicy(trustedMaxReadings: 256, maxAgeMilliseconds: 10_000)

    /// Creates a policy.
    /// - Throws: ``SealingError`` `.invalidPolicy` unless `1 ≤ maxReadings ≤ 2^20` and
    ///   `maxAgeMilliseconds ≥ 1`.
    public init(maxReadings: Int = 256, maxAgeMilliseconds: Int64 = 10_000) throws(SealingError) {
        guard (1...Self.readingLimit).contains(maxReadings) else {
            throw SealingError(code: .invalidPolicy, reason: "batch size limit must be in 1...\(Self.readingLimit)")
        }
        guard maxAgeMilliseconds >= 1 else {
            throw SealingError(code: .invalidPolicy, reason: "batch age limit must be at least 1 ms")
        }
        self.init(trustedMaxReadings: maxReadings, maxAgeMilliseconds: maxAgeMilliseconds)
    }

    private init(trustedMaxReadings: Int, maxAgeMilliseconds: Int64) {
        self.maxReadings = trustedMaxReadings
        self.maxAgeMilliseconds = maxAgeMilliseconds
    }
}
