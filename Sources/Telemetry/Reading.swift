/// One canonical reading: a device message decoded and normalised through its firmware schema.
///
/// Values are in UCUM units; sentinel values and "no signal" states are `.noSignal`, never
/// numbers. The schema that produced the reading is recorded so it can be re-derived later.
public struct Reading: Sendable, Equatable {
    /// The device that produced the reading.
    public var device: DeviceID
    /// `vitals` or `waveform`.
    public var kind: MessageKind
    /// Id of the firmware schema used to decode it (e.g. `oxipatch-fw1`).
    public var schemaID: String
    /// Device model and firmware version (from the device's last `info` message).
    public var model: String
    public var firmware: String
    /// The device's per-boot message counter (uint32, wraps, restarts at 0 after a reboot).
    public var seq: UInt32
    /// Device clock, milliseconds since the Unix epoch.
    public var deviceTime: Int64
    /// Gateway arrival clock, milliseconds since the Unix epoch.
    public var receivedAt: Int64
    /// Measurements, sorted by channel name.
    public var measurements: [Measurement]

    public init(device: DeviceID, kind: MessageKind, schemaID: String, model: String, firmware: String,
                seq: UInt32, deviceTime: Int64, receivedAt: Int64, measurements: [Measurement]) {
        self.device = device
        self.kind = kind
        self.schemaID = schemaID
        self.model = model
        self.firmware = firmware
        self.seq = seq
        self.deviceTime = deviceTime
        self.receivedAt = receivedAt
        self.measurements = measurements.sorted { $0.channel < $1.channel }
    }

    /// The measurement on `channel`, if present.
    public subscript(channel: String) -> Measurement? {
        measurements.first { $0.channel == channel }
    }

    /// The numeric value on `channel`; `nil` when absent, no signal, or not numeric.
    public func number(_ channel: String) -> Double? {
        if case .number(let value)? = self[channel]?.value { return value }
        return nil
    }
}

/// One channel of a reading.
public struct Measurement: Sendable, Equatable {
    /// Canonical channel name (see `Channel`), e.g. `spo2`, `heart_rate`.
    public var channel: String
    public var value: MeasurementValue
    /// UCUM unit code (`%`, `/min`, `Cel`, `mm[Hg]`, `ms`, `[g]`, `uV`, `Hz`); empty for text and flags.
    public var unit: String
    /// Signal quality in 0...1 when the device reports one.
    public var quality: Double?

    public init(channel: String, value: MeasurementValue, unit: String = "", quality: Double? = nil) {
        self.channel = channel
        self.value = value
        self.unit = unit
        self.quality = quality
    }
}

/// A measured value in canonical form.
public enum MeasurementValue: Sendable, Equatable {
    case number(Double)
    /// The device reported that it has no signal (sentinel value, null, probe or lead off).
    case noSignal
    case text(String)
    case flag(Bool)
    case series([Double])
    /// Raw integer samples (waveforms), in the measurement's unit.
    case samples([Int16])
}
