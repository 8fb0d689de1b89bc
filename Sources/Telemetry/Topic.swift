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

    /// The kind whose raw value is exactly these UTF-8 bytes.
    init?(utf8: UnsafeBufferPointer<UInt8>) {
        func equals(_ name: StaticString) -> Bool {
            utf8.elementsEqual(UnsafeBufferPointer(start: name.utf8Start, count: name.utf8CodeUnitCount))
        }
        if equals("vitals") { self = .vitals }
        else if equals("waveform") { self = .waveform }
        else if equals("info") { self = .info }
        else if equals("pair") { self = .pair }
        else { return nil }
    }
}

/// A parsed device topic.
public struct DeviceTopic: Hashable, Sendable {
    public static let prefix = prefixLiteral.description
    private static let prefixLiteral: StaticString = "wban/v1/"
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
        // Runs for every message: the bytes are examined in place, and only the device id
        // becomes a String.
        var topic = topic
        guard let parsed = topic.withUTF8({ Self.parse($0) }) else { return nil }
        self.init(device: parsed.device, kind: parsed.kind)
    }

    private static func parse(_ utf8: UnsafeBufferPointer<UInt8>) -> (device: DeviceID, kind: MessageKind)? {
        let prefix = prefixLiteral
        let prefixLength = prefix.utf8CodeUnitCount
        guard utf8.count > prefixLength,
              utf8[..<prefixLength].elementsEqual(UnsafeBufferPointer(start: prefix.utf8Start, count: prefixLength)),
              let slash = utf8[prefixLength...].firstIndex(of: UInt8(ascii: "/")),
              let kind = MessageKind(utf8: UnsafeBufferPointer(rebasing: utf8[(slash + 1)...])),
              let device = DeviceID(utf8: UnsafeBufferPointer(rebasing: utf8[prefixLength..<slash]))
        else { return nil }
        return (device, kind)
    }

    public var topic: String { "\(Self.prefix)\(device.rawValue)/\(kind.rawValue)" }
}
