/// The classes of data a disclosure carries (FHIR R4 Consent's `provision.class`, with codes of
/// this gateway's own): a set, since one delivery may carry several.
public struct DataClasses: OptionSet, Hashable, Sendable, CustomStringConvertible {
    public let rawValue: UInt8

    public init(rawValue: UInt8) { self.rawValue = rawValue }

    /// Vital-sign readings (heart rate, SpO2, blood pressure, temperature, respiration…).
    public static let vitals = DataClasses(rawValue: 1 << 0)
    /// Waveforms (ECG chunks).
    public static let waveform = DataClasses(rawValue: 1 << 1)
    /// Alerts raised about the patient or their devices.
    public static let alerts = DataClasses(rawValue: 1 << 2)
    /// The patient's identity (the MRN) beside the data; without it a receiver gets the pseudonym.
    public static let identity = DataClasses(rawValue: 1 << 3)

    /// Every class.
    public static let all: DataClasses = [.vitals, .waveform, .alerts, .identity]

    /// The codes, in a fixed order, and the class each names.
    public static let codes: [(code: String, dataClass: DataClasses)] = [
        ("vitals", .vitals), ("waveform", .waveform), ("alerts", .alerts), ("identity", .identity),
    ]

    /// The class a code names; `nil` for an unknown code.
    public init?(code: String) {
        guard let match = Self.codes.first(where: { $0.code == code }) else { return nil }
        self = match.dataClass
    }

    /// The codes of the classes in the set, in the fixed order.
    public var codeList: [String] { Self.codes.filter { contains($0.dataClass) }.map(\.code) }

    public var description: String { codeList.joined(separator: ",") }
}
