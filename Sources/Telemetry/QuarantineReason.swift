/// Why a message could not become a reading. Every such message is kept in quarantine
/// with one of these reasons; nothing is dropped silently.
public enum QuarantineReason: String, Sendable, CaseIterable, Hashable, Codable {
    /// Topic does not name a legal device id and message kind.
    case badTopic = "bad_topic"
    /// No `info` message has been seen for the device.
    case unknownDevice = "unknown_device"
    /// The device's model and firmware match no firmware schema.
    case unknownFirmware = "unknown_firmware"
    /// Payload is not valid UTF-8.
    case invalidUTF8 = "invalid_utf8"
    /// Payload is not valid JSON.
    case invalidJSON = "invalid_json"
    /// Payload is larger than the configured limit.
    case oversize = "oversize"
    /// Payload nests deeper than the configured limit.
    case excessiveNesting = "excessive_nesting"
    /// Bytes follow the JSON document.
    case trailingGarbage = "trailing_garbage"
    /// A required field is absent.
    case missingField = "missing_field"
    /// A field has the wrong JSON type, an unknown enumeration value, or is not allowed.
    case wrongType = "wrong_type"
    /// A value lies outside the schema's plausible range.
    case implausibleValue = "implausible_value"
    /// A timestamp field is not a valid time: text that is not an RFC 3339 / ISO 8601 date-time,
    /// or epoch milliseconds that are not an integer.
    case badTimestamp = "bad_timestamp"
    /// Device timestamp lies too far in the future.
    case timestampFuture = "timestamp_future"
    /// Device timestamp predates the device's first clock sync (near 1970) or is otherwise unusable.
    case timestampUnsynced = "timestamp_unsynced"
    /// Waveform sample count disagrees with the declared length or sampling rate.
    case waveformLengthMismatch = "waveform_length_mismatch"
    /// The message killed the agent while it was decoded (found after an unclean stop); kept
    /// and acknowledged so that it cannot stop the gateway again.
    case poison = "poison"
}

/// A quarantine verdict: the reason plus a detail that names fields, never values.
public struct QuarantineVerdict: Sendable, Equatable, Error {
    public var reason: QuarantineReason
    /// Names the offending field or limit. Never contains payload values or patient data.
    public var detail: String

    public init(_ reason: QuarantineReason, _ detail: String = "") {
        self.reason = reason
        self.detail = detail
    }
}
