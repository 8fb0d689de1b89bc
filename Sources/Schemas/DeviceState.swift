/// What the gateway knows about one device: its announced model and firmware, and the
/// patient it is paired to. Restored from the vault on restart.
public struct DeviceState: Sendable, Equatable {
    public var model: String?
    public var firmware: String?
    public var serial: String?
    /// Patient identifier as sent by the nurse-station app; `nil` when unpaired.
    public var patient: String?
    public var bed: String?

    public init(model: String? = nil, firmware: String? = nil, serial: String? = nil,
                patient: String? = nil, bed: String? = nil) {
        self.model = model
        self.firmware = firmware
        self.serial = serial
        self.patient = patient
        self.bed = bed
    }
}

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
