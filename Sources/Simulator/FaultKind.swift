/// A transport or device fault the simulator can inject (the field list at the end of DEVICES.md).
///
/// Raw values are stable and meant for command lines (`--faults duplicate,burst`);
/// `FaultKind.parseList(_:)` also accepts camelCase spellings and `all`.
public enum FaultKind: String, Sendable, CaseIterable, Hashable, Comparable, CustomStringConvertible {
    /// An earlier message re-sent byte-identical, as after a bridge reconnect.
    case duplicate
    /// A reading published after the device's next reading.
    case outOfOrder = "out-of-order"
    /// The device goes silent (battery swap), re-publishes `info`, and `seq` restarts at 0.
    case reboot
    /// A device detached (`{"patient":null}`) and re-paired to another patient.
    case deviceSwap = "device-swap"
    /// A new `info` with a higher firmware version; later payloads use its format.
    case firmwareUpdate = "firmware-update"
    /// A BLE outage: the device is silent, then its buffered readings arrive at once.
    case burst
    /// A payload cut at a random byte.
    case truncated
    /// Random bit flips, always including one byte that makes the payload invalid UTF-8.
    case corrupted
    /// A value no human body produces (SpO2 140, HR 400, 52 °C, ...).
    case implausible
    /// The device clock lost its time: timestamps near 1970 until the next sync.
    case unsynced
    /// A device whose `info` names a model the gateway does not know.
    case unknownDevice = "unknown-device"
    /// A device announcing firmware `9.9.9` for a while, then its real version again.
    case unknownFirmware = "unknown-firmware"
    /// A waveform chunk whose `n` differs from its sample count or from `fs`.
    case waveformMismatch = "waveform-mismatch"

    public var description: String { rawValue }

    /// Declaration order, so sorted fault lists are stable and readable.
    public static func < (lhs: FaultKind, rhs: FaultKind) -> Bool {
        lhs.ordinal < rhs.ordinal
    }

    var ordinal: Int { Self.allCases.firstIndex(of: self) ?? 0 }

    /// Parses one name: the raw value, or the camelCase case name, case-insensitively.
    public init?(name: some StringProtocol) {
        let key = Self.normalise(name)
        guard let kind = Self.allCases.first(where: { Self.normalise($0.rawValue) == key }) else { return nil }
        self = kind
    }

    /// Parses a comma-separated list such as `duplicate,burst` or `all`; an empty string is the
    /// empty set.
    public static func parseList(_ list: String) throws(SimulatorError) -> Set<FaultKind> {
        var result: Set<FaultKind> = []
        for item in list.split(separator: ",") {
            let name = item.trimmingSpaces
            if name.isEmpty { continue }
            if normalise(name) == "all" {
                result.formUnion(allCases)
            } else if let kind = FaultKind(name: name) {
                result.insert(kind)
            } else {
                throw SimulatorError(.unknownFault,
                                     "unknown fault kind '\(name)'; known: \(allCases.map(\.rawValue).joined(separator: ","))")
            }
        }
        return result
    }

    private static func normalise(_ name: some StringProtocol) -> String {
        String(name.lowercased().filter { $0 != "-" && $0 != "_" })
    }
}

extension Substring {
    fileprivate var trimmingSpaces: Substring {
        var slice = self
        while slice.first == " " { slice = slice.dropFirst() }
        while slice.last == " " { slice = slice.dropLast() }
        return slice
    }
}
