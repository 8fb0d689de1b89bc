/// The five device families of DEVICES.md, with their identities and default firmware.
public enum DeviceFamily: String, Sendable, CaseIterable, Hashable, Comparable, CustomStringConvertible {
    /// Pulse oximeter, 1 Hz; fw 1.x and 2.x payloads.
    case oxiPatch = "OxiPatch"
    /// ECG patch: vitals at 1 Hz plus one waveform chunk per second.
    case cardioStrip = "CardioStrip"
    /// Temperature patch, every 60 s; fw 1.0 Fahrenheit, 1.1+ Celsius with site.
    case thermaDot = "ThermaDot"
    /// Non-invasive blood pressure, every few minutes.
    case cuffPro = "CuffPro"
    /// Respiration and motion belt, 1 Hz.
    case resPod = "ResPod"

    /// The model name as published in `info`.
    public var model: String { rawValue }
    public var description: String { rawValue }

    /// Prefix of the device ids the simulator generates (`OXP-7F31A2`).
    public var idPrefix: String {
        switch self {
        case .oxiPatch: "OXP"
        case .cardioStrip: "CDS"
        case .thermaDot: "THD"
        case .cuffPro: "CUF"
        case .resPod: "RSP"
        }
    }

    /// Declaration order.
    public static func < (lhs: DeviceFamily, rhs: DeviceFamily) -> Bool {
        (allCases.firstIndex(of: lhs) ?? 0) < (allCases.firstIndex(of: rhs) ?? 0)
    }

    /// The family whose ids use `prefix` (`OXP` -> `.oxiPatch`).
    public init?(idPrefix prefix: some StringProtocol) {
        guard let family = Self.allCases.first(where: { $0.idPrefix == prefix }) else { return nil }
        self = family
    }

    /// The family of a simulated device id, from its prefix.
    public init?(deviceID: String) {
        guard let dash = deviceID.firstIndex(of: "-") else { return nil }
        self.init(idPrefix: deviceID[..<dash])
    }
}

/// Firmware versions the simulator announces.
public enum Firmware {
    /// OxiPatch legacy format (`spo2`, `pr`, sentinels 127/255).
    public static let oxiPatchV1 = "1.4.2"
    /// OxiPatch current format (`SpO2.v`, `PR.v`, `t` ISO 8601).
    public static let oxiPatchV2 = "2.0.3"
    /// CardioStrip fw 3.x.
    public static let cardioStrip = "3.2.0"
    /// ThermaDot Fahrenheit (`temp_f`).
    public static let thermaDotFahrenheit = "1.0.0"
    /// ThermaDot Celsius with site (`temp_c`, `site`).
    public static let thermaDotCelsius = "1.1.4"
    /// CuffPro fw 5.x.
    public static let cuffPro = "5.1.0"
    /// ResPod fw 2.x.
    public static let resPod = "2.3.1"
    /// The version announced by the `unknownFirmware` fault.
    public static let unknown = "9.9.9"

    /// The version a `firmwareUpdate` fault moves to: OxiPatch 1.x -> 2.0.3, ThermaDot 1.0.x ->
    /// 1.1.4, otherwise the next patch version.
    static func upgrade(from version: String, family: DeviceFamily) -> String {
        switch family {
        case .oxiPatch where version.hasPrefix("1."): return oxiPatchV2
        case .thermaDot where version.hasPrefix("1.0."): return thermaDotCelsius
        default:
            var parts = version.split(separator: ".").map { Int($0) ?? 0 }
            while parts.count < 3 { parts.append(0) }
            parts[2] += 1
            return parts.map(String.init).joined(separator: ".")
        }
    }
}
