/// What is known about a device from its `info` and `pair` messages. The decode stage holds
/// the live state of every device; the vault persists it (table `devices`) for the next start.
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
