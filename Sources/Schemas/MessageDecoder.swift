public import Telemetry

/// Turns raw MQTT messages into `DecodeOutcome`s, tracking each device's announced
/// firmware (`info`) and patient pairing (`pair`). One instance per pipeline; not shared.
///
/// Every message yields exactly one outcome; anything that cannot become a reading or a
/// valid control message is `.quarantined` with a typed reason.
public struct MessageDecoder: Sendable {
    public private(set) var catalog: SchemaCatalog
    public var limits: DecodeLimits
    public private(set) var devices: [DeviceID: DeviceState] = [:]
    /// Schemas already resolved for a model and firmware string: the catalogue lookup parses
    /// the version and compares it with every schema, which is worth doing once, not per message.
    private var resolved: [SchemaKey: FirmwareSchema] = [:]
    private struct SchemaKey: Hashable { var model: String; var firmware: String }
    private static let resolvedLimit = 1024

    public init(catalog: SchemaCatalog, limits: DecodeLimits = DecodeLimits()) {
        self.catalog = catalog
        self.limits = limits
    }

    /// Restores a device's state (e.g. from the vault after a restart).
    /// Replaces the schema catalogue (a fleet configuration change); device states are kept.
    public mutating func replaceCatalog(_ catalog: SchemaCatalog) {
        self.catalog = catalog
        resolved.removeAll()
    }

    public mutating func restore(_ device: DeviceID, _ state: DeviceState) {
        devices[device] = state
    }

    public func state(of device: DeviceID) -> DeviceState? { devices[device] }

    public mutating func decode(topic: String, payload: [UInt8], receivedAt: Int64) -> DecodeOutcome {
        guard let parsedTopic = DeviceTopic(topic) else {
            return .quarantined(device: nil, kind: nil, QuarantineVerdict(.badTopic, "topic is not wban/v1/{device}/{kind}"))
        }
        let device = parsedTopic.device
        let kind = parsedTopic.kind
        func quarantine(_ verdict: QuarantineVerdict) -> DecodeOutcome {
            .quarantined(device: device, kind: kind, verdict)
        }
        if payload.count > limits.maxPayloadBytes {
            return quarantine(QuarantineVerdict(.oversize, "payload exceeds \(limits.maxPayloadBytes) bytes"))
        }
        let json: JSONValue
        do {
            json = try JSONParser(maxBytes: limits.maxPayloadBytes, maxDepth: limits.maxDepth).parse(payload)
        } catch {
            return quarantine(Self.verdict(for: error))
        }
        guard json.objectValue != nil else {
            return quarantine(QuarantineVerdict(.wrongType, "payload is a JSON \(json.typeName), not an object"))
        }
        switch kind {
        case .info:
            return applyInfo(json, device: device).map { .control(device, $0) } ?? quarantine(lastControlError)
        case .pair:
            return applyPair(json, device: device).map { .control(device, $0) } ?? quarantine(lastControlError)
        case .vitals, .waveform:
            guard let state = devices[device], let model = state.model, let firmware = state.firmware else {
                return quarantine(QuarantineVerdict(.unknownDevice, "no info message seen for device"))
            }
            guard let schema = schema(model: model, firmware: firmware) else {
                return quarantine(QuarantineVerdict(.unknownFirmware, "no schema for model and firmware"))
            }
            guard let spec = schema.messages[kind] else {
                return quarantine(QuarantineVerdict(.unknownFirmware, "schema \(schema.id) defines no \(kind.rawValue)"))
            }
            let decoded = PayloadDecoder(spec: spec, limits: limits).decode(json, receivedAt: receivedAt)
            switch decoded {
            case .failure(let verdict):
                return quarantine(verdict)
            case .success(let body):
                let reading = Reading(device: device, kind: kind, schemaID: schema.id, model: model,
                                      firmware: firmware, seq: body.seq, deviceTime: body.time,
                                      receivedAt: receivedAt, measurements: body.measurements)
                return .reading(reading, patient: state.patient)
            }
        }
    }

    private mutating func schema(model: String, firmware: String) -> FirmwareSchema? {
        let key = SchemaKey(model: model, firmware: firmware)
        if let schema = resolved[key] { return schema }
        guard let schema = catalog.schema(model: model, firmware: firmware) else { return nil }
        // Devices choose the strings; bound the memo rather than trust them.
        if resolved.count >= Self.resolvedLimit { resolved.removeAll() }
        resolved[key] = schema
        return schema
    }

    static func verdict(for error: JSONError) -> QuarantineVerdict {
        switch error.kind {
        case .invalidUTF8: QuarantineVerdict(.invalidUTF8, error.description)
        case .syntax, .duplicateKey: QuarantineVerdict(.invalidJSON, error.description)
        case .tooDeep: QuarantineVerdict(.excessiveNesting, error.description)
        case .tooLarge: QuarantineVerdict(.oversize, error.description)
        case .trailingGarbage: QuarantineVerdict(.trailingGarbage, error.description)
        }
    }

    // Control messages report their failure through this, keeping `decode` linear.
    private var lastControlError = QuarantineVerdict(.wrongType)

    private mutating func applyInfo(_ json: JSONValue, device: DeviceID) -> DeviceControl? {
        guard let model = json["model"] else { return controlError(.missingField, "model") }
        guard let fw = json["fw"] else { return controlError(.missingField, "fw") }
        guard let modelText = model.stringValue, Self.isShortText(modelText) else {
            return controlError(.wrongType, "model")
        }
        guard let fwText = fw.stringValue, FirmwareVersion(fwText) != nil else {
            return controlError(.wrongType, "fw")
        }
        var serial: String?
        if let s = json["serial"] {
            guard let text = s.stringValue, Self.isShortText(text) else { return controlError(.wrongType, "serial") }
            serial = text
        }
        var state = devices[device] ?? DeviceState()
        state.model = modelText
        state.firmware = fwText
        state.serial = serial
        devices[device] = state
        return .info(model: modelText, firmware: fwText, serial: serial)
    }

    private mutating func applyPair(_ json: JSONValue, device: DeviceID) -> DeviceControl? {
        guard let patient = json["patient"] else { return controlError(.missingField, "patient") }
        var patientID: String?
        switch patient {
        case .null: patientID = nil
        case .string(let s) where Self.isShortText(s): patientID = s
        default: return controlError(.wrongType, "patient")
        }
        var bed: String?
        if let b = json["bed"], !b.isNull {
            guard let text = b.stringValue, Self.isShortText(text) else { return controlError(.wrongType, "bed") }
            bed = text
        }
        var at: Int64?
        if let a = json["at"], !a.isNull {
            guard let text = a.stringValue, let ms = Timestamps.parseISO8601(text) else {
                return controlError(.badTimestamp, "at is not an ISO 8601 date-time")
            }
            at = ms
        }
        var state = devices[device] ?? DeviceState()
        state.patient = patientID
        state.bed = patientID == nil ? nil : bed
        devices[device] = state
        return .pair(patient: patientID, bed: bed, at: at)
    }

    private mutating func controlError(_ reason: QuarantineReason, _ field: String) -> DeviceControl? {
        lastControlError = QuarantineVerdict(reason, field)
        return nil
    }

    /// 1...128 bytes, no control characters.
    static func isShortText(_ s: String) -> Bool {
        let utf8 = s.utf8
        return (1...128).contains(utf8.count) && !utf8.contains { $0 < 0x20 || $0 == 0x7F }
    }
}
