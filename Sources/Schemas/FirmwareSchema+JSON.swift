public import Telemetry

extension FirmwareSchema {
    /// Parses a schema document; `file` names it in errors.
    public init(json: JSONValue, file: String) throws(SchemaError) {
        let reader = SchemaReader(file: file)
        try reader.checkKeys(json, ["$comment", "format", "id", "model", "family", "firmware", "messages"], at: "")
        guard try reader.number(json, "format") == Double(Self.formatVersion) else {
            throw SchemaError(file: file, "format must be \(Self.formatVersion)")
        }
        id = try reader.string(json, "id")
        model = try reader.string(json, "model")
        family = try reader.string(json, "family")
        let firmware = try reader.object(json, "firmware")
        try reader.checkKeys(firmware, ["min", "below"], at: "firmware")
        guard let min = FirmwareVersion(try reader.string(firmware, "min")),
              let below = FirmwareVersion(try reader.string(firmware, "below")), min < below
        else { throw SchemaError(file: file, "firmware range must be versions with min < below") }
        firmwareMin = min
        firmwareBelow = below
        guard case .object(let kinds)? = json["messages"], !kinds.isEmpty else {
            throw SchemaError(file: file, "messages must be a non-empty object")
        }
        var messages: [MessageKind: MessageSpec] = [:]
        for (name, spec) in kinds {
            guard let kind = MessageKind(rawValue: name), kind == .vitals || kind == .waveform else {
                throw SchemaError(file: file, "messages.\(name): only vitals and waveform are schema-defined")
            }
            messages[kind] = try MessageSpec(json: spec, reader: reader, at: "messages.\(name)")
        }
        self.messages = messages
    }
}

extension MessageSpec {
    init(json: JSONValue, reader: SchemaReader, at path: String) throws(SchemaError) {
        try reader.checkKeys(json, ["$comment", "interval_ms", "sequence", "timestamp", "unknown_fields", "fields",
                                    "length_checks", "equal_fields"], at: path)
        let interval = try reader.number(json, "interval_ms")
        guard interval > 0, let ms = Int64(exactly: interval) else {
            throw SchemaError(file: reader.file, "\(path).interval_ms must be a positive integer")
        }
        intervalMs = ms
        sequenceField = try reader.string(json, "sequence")
        let timestamp = try reader.object(json, "timestamp")
        timestampField = try reader.string(timestamp, "field")
        guard let format = TimestampFormat(rawValue: try reader.string(timestamp, "format")) else {
            throw SchemaError(file: reader.file, "\(path).timestamp.format must be epoch_ms or iso8601")
        }
        timestampFormat = format
        let unknown = json["unknown_fields"]?.stringValue ?? "reject"
        guard let policy = UnknownFields(rawValue: unknown) else {
            throw SchemaError(file: reader.file, "\(path).unknown_fields must be reject or ignore")
        }
        unknownFields = policy
        guard let fieldList = json["fields"]?.arrayValue, !fieldList.isEmpty else {
            throw SchemaError(file: reader.file, "\(path).fields must be a non-empty array")
        }
        var fields: [FieldSpec] = []
        for (i, field) in fieldList.enumerated() {
            fields.append(try FieldSpec(json: field, reader: reader, at: "\(path).fields[\(i)]"))
        }
        self.fields = fields
        lengthChecks = []
        for check in json["length_checks"]?.arrayValue ?? [] {
            lengthChecks.append((try reader.string(check, "field"), try reader.string(check, "equals_field")))
        }
        equalFields = []
        for pair in json["equal_fields"]?.arrayValue ?? [] {
            guard let names = pair.arrayValue?.compactMap(\.stringValue), names.count == 2 else {
                throw SchemaError(file: reader.file, "\(path).equal_fields entries are pairs of field names")
            }
            equalFields.append((names[0], names[1]))
        }
        allowedTopLevelKeys = Self.topLevelKeys(sequence: sequenceField, timestamp: timestampField, fields: fields)
    }
}

extension FieldSpec {
    init(json: JSONValue, reader: SchemaReader, at path: String) throws(SchemaError) {
        try reader.checkKeys(json, ["$comment", "field", "channel", "type", "unit", "source_unit", "required",
                                    "required_when", "range", "sentinels", "null_means_no_signal",
                                    "no_signal_when", "quality_field", "enum", "min_length", "max_length"], at: path)
        self.path = try reader.string(json, "field")
        pathComponents = self.path.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        channel = json["channel"]?.stringValue
        guard let type = FieldType(rawValue: try reader.string(json, "type")) else {
            throw SchemaError(file: reader.file, "\(path).type is not a known field type")
        }
        self.type = type
        unit = json["unit"]?.stringValue ?? ""
        sourceUnit = json["source_unit"]?.stringValue
        guard let convert = UnitConversion.converter(from: sourceUnit ?? unit, to: unit) else {
            throw SchemaError(file: reader.file, "\(path): no conversion from \(sourceUnit ?? "") to \(unit)")
        }
        self.convert = convert
        required = json["required"]?.boolValue ?? false
        requiredWhen = try json["required_when"].map { (c) throws(SchemaError) in
            try Condition(json: c, reader: reader, at: "\(path).required_when")
        }
        if let bounds = json["range"]?.arrayValue?.compactMap(\.numberValue) {
            guard bounds.count == 2, bounds[0] <= bounds[1] else {
                throw SchemaError(file: reader.file, "\(path).range must be [min, max]")
            }
            range = bounds[0]...bounds[1]
        } else {
            range = nil
        }
        sentinels = json["sentinels"]?.arrayValue?.compactMap(\.numberValue) ?? []
        nullIsNoSignal = json["null_means_no_signal"]?.boolValue ?? false
        noSignalWhen = try json["no_signal_when"].map { (c) throws(SchemaError) in
            try Condition(json: c, reader: reader, at: "\(path).no_signal_when")
        }
        qualityPath = json["quality_field"]?.stringValue
        allowed = json["enum"]?.arrayValue?.compactMap(\.stringValue)
        minLength = json["min_length"]?.numberValue.flatMap { Int(exactly: $0) }
        maxLength = json["max_length"]?.numberValue.flatMap { Int(exactly: $0) }
    }
}

extension FieldSpec.Condition {
    init(json: JSONValue, reader: SchemaReader, at path: String) throws(SchemaError) {
        try reader.checkKeys(json, ["field", "equals"], at: path)
        field = try reader.string(json, "field")
        guard let value = json["equals"] else { throw SchemaError(file: reader.file, "\(path).equals is missing") }
        equals = value
    }
}

/// Small typed accessors that turn missing or mistyped schema keys into `SchemaError`s.
struct SchemaReader {
    let file: String

    func checkKeys(_ json: JSONValue, _ allowed: Set<String>, at path: String) throws(SchemaError) {
        guard let members = json.objectValue else { throw SchemaError(file: file, "\(path) must be an object") }
        for (key, _) in members where !allowed.contains(key) {
            throw SchemaError(file: file, "\(path.isEmpty ? "" : path + ".")\(key) is not a known key")
        }
    }

    func string(_ json: JSONValue, _ key: String) throws(SchemaError) -> String {
        guard let value = json[key]?.stringValue, !value.isEmpty else {
            throw SchemaError(file: file, "\(key) must be a non-empty string")
        }
        return value
    }

    func number(_ json: JSONValue, _ key: String) throws(SchemaError) -> Double {
        guard let value = json[key]?.numberValue else { throw SchemaError(file: file, "\(key) must be a number") }
        return value
    }

    func object(_ json: JSONValue, _ key: String) throws(SchemaError) -> JSONValue {
        guard let value = json[key], value.objectValue != nil else {
            throw SchemaError(file: file, "\(key) must be an object")
        }
        return value
    }
}
