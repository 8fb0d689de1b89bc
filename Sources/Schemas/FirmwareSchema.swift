public import Telemetry

/// One declarative firmware schema: a device model, a firmware range, and for each message
/// kind the fields, types, units, plausible ranges, sentinels, and timestamp and sequence fields.
/// Loaded from a JSON file in `Firmware-Schemas/` (format documented in its README).
public struct FirmwareSchema: Sendable {
    /// Schema file format this build reads.
    public static let formatVersion = 1

    /// Stable id recorded with every reading decoded through this schema.
    public var id: String
    public var model: String
    /// Human-readable device family (e.g. `pulse_oximeter`).
    public var family: String
    /// Inclusive lower and exclusive upper firmware bound.
    public var firmwareMin: FirmwareVersion
    public var firmwareBelow: FirmwareVersion
    public var messages: [MessageKind: MessageSpec]

    public func covers(model: String, firmware: FirmwareVersion) -> Bool {
        model == self.model && firmwareMin <= firmware && firmware < firmwareBelow
    }
}

/// How one message kind (vitals, waveform) of a firmware is laid out.
public struct MessageSpec: Sendable {
    public enum TimestampFormat: String, Sendable { case epochMilliseconds = "epoch_ms", iso8601 }
    public enum UnknownFields: String, Sendable { case reject, ignore }

    /// Nominal interval between messages, in ms (the device's sampling cadence).
    public var intervalMs: Int64
    public var sequenceField: String
    public var timestampField: String
    public var timestampFormat: TimestampFormat
    public var unknownFields: UnknownFields
    public var fields: [FieldSpec]
    /// `(array field, length field)`: the array's element count must equal the integer field.
    public var lengthChecks: [(field: String, equalsField: String)]
    /// Pairs of integer fields that must be equal (e.g. `n` and `fs` for one-second chunks).
    public var equalFields: [(String, String)]

    /// Top-level keys the payload may contain (computed once when the schema is loaded).
    var allowedTopLevelKeys: Set<String> = []

    static func topLevelKeys(sequence: String, timestamp: String, fields: [FieldSpec]) -> Set<String> {
        var keys: Set<String> = [sequence.split(separator: ".").first.map(String.init) ?? sequence,
                                 timestamp.split(separator: ".").first.map(String.init) ?? timestamp]
        for field in fields {
            keys.insert(String(field.path.split(separator: ".").first ?? ""))
        }
        return keys
    }
}

/// One payload field and the channel it becomes.
public struct FieldSpec: Sendable {
    public enum FieldType: String, Sendable {
        case integer, number, boolean, string
        case numberArray = "number_array"
        /// Base64 of little-endian int16 samples.
        case samplesInt16LE = "samples_base64_i16le"
    }

    /// A condition on another field (`{"field": "status", "equals": "ok"}`).
    public struct Condition: Sendable {
        public var field: String
        public var equals: JSONValue
    }

    /// Dotted path in the payload (`SpO2.v`).
    public var path: String {
        didSet { pathComponents = path.split(separator: ".", omittingEmptySubsequences: false).map(String.init) }
    }
    /// `path` split at dots (looked up per message, so split once).
    var pathComponents: [String] = []
    /// Canonical channel; `nil` for fields that are only validated (e.g. `n`).
    public var channel: String?
    public var type: FieldType
    /// Canonical UCUM unit of the channel.
    public var unit: String
    /// Wire unit when it differs from `unit` (converted on decode).
    public var sourceUnit: String?
    public var required: Bool
    public var requiredWhen: Condition?
    /// Plausible range in canonical units (after conversion); outside -> quarantine.
    public var range: ClosedRange<Double>?
    /// Wire values that mean "no signal".
    public var sentinels: [Double]
    /// JSON null means "no signal" (otherwise null is a wrong type).
    public var nullIsNoSignal: Bool
    /// The channel is "no signal" whenever this condition holds (e.g. `lead_off == true`).
    public var noSignalWhen: Condition?
    /// Path of a 0...1 signal-quality value.
    public var qualityPath: String?
    /// Allowed string values.
    public var allowed: [String]?
    /// Array length bounds.
    public var minLength: Int?
    public var maxLength: Int?

    let convert: @Sendable (Double) -> Double
}
