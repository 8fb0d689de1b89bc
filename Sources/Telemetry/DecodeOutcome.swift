/// What one inbound message became. Produced by the schema decoder, consumed by the vault,
/// detection and metrics. A message that cannot become a reading is a result, not an error.
public enum DecodeOutcome: Sendable, Equatable {
    /// A canonical reading; `patient` is the identifier the device is currently paired to
    /// (as sent by the nurse-station app), `nil` when the device is unpaired.
    case reading(Reading, patient: String?)
    /// A control message (`info` or `pair`) that was valid and has been applied to the device state.
    case control(DeviceID, DeviceControl)
    /// The message was quarantined; `device` is known whenever the topic named a legal device.
    case quarantined(device: DeviceID?, kind: MessageKind?, QuarantineVerdict)
}
