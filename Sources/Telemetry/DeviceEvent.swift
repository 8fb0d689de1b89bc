/// A control message from a device topic, decoded: what the vault records as an event.
public enum DeviceControl: Sendable, Equatable {
    /// `info`: the device announced its model and firmware.
    case info(model: String, firmware: String, serial: String?)
    /// `pair`: attached to a patient (identifier as sent; the vault pseudonymises it) or detached (`nil`).
    case pair(patient: String?, bed: String?, at: Int64?)
}
