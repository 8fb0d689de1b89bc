/// The kind of message a device topic carries (`wban/v1/{device_id}/{kind}`).
public enum MessageKind: String, Sendable, CaseIterable, Hashable {
    /// Retained device description: model, firmware, serial.
    case info
    /// Periodic measurements.
    case vitals
    /// Waveform chunks (ECG).
    case waveform
    /// Retained pairing of a device to a patient (or detachment).
    case pair
}

/// A parsed device topic.
public struct DeviceTopic: Hashable, Sendable {
    public static let prefix = "wban/v1/"
    /// Subscription filter covering every device topic.
    public static let filter = "wban/v1/+/+"

    public let device: DeviceID
    public let kind: MessageKind

    public init(device: DeviceID, kind: MessageKind) {
        self.device = device
        self.kind = kind
    }

    /// Parses `wban/v1/{device_id}/{kind}`; `nil` for anything else.
    public init?(_ topic: String) {
        guard topic.hasPrefix(Self.prefix) else { return nil }
        let rest = topic.utf8.dropFirst(Self.prefix.utf8.count)
        guard let slash = rest.firstIndex(of: UInt8(ascii: "/")),
              let idString = String(rest[rest.startIndex..<slash]),
              let kindString = String(rest[rest.index(after: slash)...]),
              let device = DeviceID(idString),
              let kind = MessageKind(rawValue: kindString)
        else { return nil }
        self.init(device: device, kind: kind)
    }

    public var topic: String { "\(Self.prefix)\(device.rawValue)/\(kind.rawValue)" }
}
