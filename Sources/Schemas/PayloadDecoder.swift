import Telemetry

/// Applies one `MessageSpec` to a parsed payload object.
struct PayloadDecoder {
    struct Body {
        var seq: UInt32
        var time: Int64
        var measurements: [Measurement]
    }

    let spec: MessageSpec
    let limits: DecodeLimits

    func decode(_ json: JSONValue, receivedAt: Int64) -> Result<Body, QuarantineVerdict> {
        do throws(QuarantineVerdict) {
            return .success(try decodeBody(json, receivedAt: receivedAt))
        } catch {
            return .failure(error)
        }
    }

    private func decodeBody(_ json: JSONValue, receivedAt: Int64) throws(QuarantineVerdict) -> Body {
        if spec.unknownFields == .reject, let members = json.objectValue {
            let allowed = spec.allowedTopLevelKeys
            for (key, _) in members where !allowed.contains(key) {
                throw QuarantineVerdict(.wrongType, "unexpected field \(Self.safeName(key))")
            }
        }
        let seq = try sequence(json)
        let time = try timestamp(json, receivedAt: receivedAt)
        var measurements: [Measurement] = []
        measurements.reserveCapacity(spec.fields.count)
        // Each field borrowed in place: a `for field in` loop copied every FieldSpec (a dozen
        // references to retain and release) per field per message.
        try spec.fields.withUnsafeBufferPointer { fields throws(QuarantineVerdict) in
            for index in fields.indices {
                if let measurement = try decodeField(fields[index], in: json) { measurements.append(measurement) }
            }
        }
        for check in spec.lengthChecks {
            guard let expected = json.value(at: check.equalsField)?.numberValue else {
                throw QuarantineVerdict(.missingField, check.equalsField)
            }
            let actual = count(of: check.field, in: json, decoded: measurements)
            guard Double(actual) == expected else {
                throw QuarantineVerdict(.waveformLengthMismatch, "\(check.field) length differs from \(check.equalsField)")
            }
        }
        for (a, b) in spec.equalFields {
            guard json.value(at: a)?.numberValue == json.value(at: b)?.numberValue else {
                throw QuarantineVerdict(.waveformLengthMismatch, "\(a) differs from \(b)")
            }
        }
        return Body(seq: seq, time: time, measurements: measurements)
    }

    /// Element count of an array or sample field (samples are counted after decoding, not re-decoded).
    private func count(of path: String, in json: JSONValue, decoded: [Measurement]) -> Int {
        guard let field = spec.fields.first(where: { $0.path == path }) else { return -1 }
        if field.type == .samplesInt16LE, let channel = field.channel,
           case .samples(let xs)? = decoded.first(where: { $0.channel == channel })?.value {
            return xs.count
        }
        if case .array(let xs)? = json.value(at: field.pathComponents) { return xs.count }
        return -1
    }

    private func sequence(_ json: JSONValue) throws(QuarantineVerdict) -> UInt32 {
        guard let value = json.value(at: spec.sequenceField) else {
            throw QuarantineVerdict(.missingField, spec.sequenceField)
        }
        guard let number = value.numberValue, let seq = UInt32(exactly: number) else {
            throw QuarantineVerdict(.wrongType, "\(spec.sequenceField) is not a uint32")
        }
        return seq
    }

    private func timestamp(_ json: JSONValue, receivedAt: Int64) throws(QuarantineVerdict) -> Int64 {
        let name = spec.timestampField
        guard let value = json.value(at: name) else { throw QuarantineVerdict(.missingField, name) }
        let ms: Int64
        switch spec.timestampFormat {
        case .epochMilliseconds:
            guard let n = value.numberValue, let t = Int64(exactly: n) else {
                throw QuarantineVerdict(.badTimestamp, "\(name) is not integer milliseconds")
            }
            ms = t
        case .iso8601:
            guard let text = value.stringValue, let t = Timestamps.parseISO8601(text) else {
                throw QuarantineVerdict(.badTimestamp, "\(name) is not an ISO 8601 date-time")
            }
            ms = t
        }
        if ms < limits.earliestValidTimestamp {
            throw QuarantineVerdict(.timestampUnsynced, "\(name) precedes the device's first clock sync")
        }
        if ms > receivedAt + limits.maxFutureSkewMs {
            throw QuarantineVerdict(.timestampFuture, "\(name) is ahead of the gateway clock")
        }
        return ms
    }

    private func holds(_ condition: FieldSpec.Condition?, in json: JSONValue) -> Bool {
        guard let condition else { return false }
        return json.value(at: condition.field) == condition.equals
    }

    private func decodeField(_ field: FieldSpec, in json: JSONValue) throws(QuarantineVerdict) -> Measurement? {
        let raw = json.value(at: field.pathComponents)
        let quality = try qualityValue(field, in: json)
        func measurement(_ value: MeasurementValue) -> Measurement? {
            guard let channel = field.channel else { return nil }
            return Measurement(channel: channel, value: value, unit: field.unit, quality: quality)
        }
        if holds(field.noSignalWhen, in: json) { return measurement(.noSignal) }
        guard let raw else {
            if field.required || holds(field.requiredWhen, in: json) {
                throw QuarantineVerdict(.missingField, field.path)
            }
            return nil
        }
        if raw.isNull {
            if field.nullIsNoSignal { return measurement(.noSignal) }
            throw QuarantineVerdict(.wrongType, "\(field.path) is null")
        }
        switch field.type {
        case .integer, .number:
            guard let n = raw.numberValue else { throw QuarantineVerdict(.wrongType, "\(field.path) is not a number") }
            if field.type == .integer, n.rounded() != n {
                throw QuarantineVerdict(.wrongType, "\(field.path) is not an integer")
            }
            if field.sentinels.contains(n) { return measurement(.noSignal) }
            let value = field.convert(n)
            // A conversion (s -> ms, degF -> Cel) can overflow a huge value to infinity, which a
            // schema without a range would otherwise let through to the canonical writer.
            guard value.isFinite else { throw QuarantineVerdict(.implausibleValue, "\(field.path) overflows its unit") }
            if let range = field.range, !range.contains(value) {
                throw QuarantineVerdict(.implausibleValue, "\(field.path) outside plausible range")
            }
            return measurement(.number(value))
        case .boolean:
            guard let b = raw.boolValue else { throw QuarantineVerdict(.wrongType, "\(field.path) is not a boolean") }
            return measurement(.flag(b))
        case .string:
            guard let s = raw.stringValue else { throw QuarantineVerdict(.wrongType, "\(field.path) is not a string") }
            if let allowed = field.allowed, !allowed.contains(s) {
                throw QuarantineVerdict(.wrongType, "\(field.path) is not an allowed value")
            }
            return measurement(.text(s))
        case .numberArray:
            guard let elements = raw.arrayValue else {
                throw QuarantineVerdict(.wrongType, "\(field.path) is not an array")
            }
            try checkLength(elements.count, field)
            var values: [Double] = []
            values.reserveCapacity(elements.count)
            for element in elements {
                guard let n = element.numberValue else {
                    throw QuarantineVerdict(.wrongType, "\(field.path) has a non-number element")
                }
                let value = field.convert(n)
                guard value.isFinite else {
                    throw QuarantineVerdict(.implausibleValue, "\(field.path) element overflows its unit")
                }
                if let range = field.range, !range.contains(value) {
                    throw QuarantineVerdict(.implausibleValue, "\(field.path) element outside plausible range")
                }
                values.append(value)
            }
            return measurement(.series(values))
        case .samplesInt16LE:
            guard let text = raw.stringValue, let bytes = Base64.decode(text) else {
                throw QuarantineVerdict(.wrongType, "\(field.path) is not base64")
            }
            guard bytes.count % 2 == 0 else {
                throw QuarantineVerdict(.waveformLengthMismatch, "\(field.path) has an odd byte count")
            }
            try checkLength(bytes.count / 2, field)
            let samples = bytes.withUnsafeBufferPointer { bytes in
                [Int16](unsafeUninitializedCapacity: bytes.count / 2) { samples, count in
                    for j in 0..<bytes.count / 2 {
                        samples[j] = Int16(bitPattern: UInt16(bytes[2 * j]) | UInt16(bytes[2 * j + 1]) << 8)
                    }
                    count = bytes.count / 2
                }
            }
            if let range = field.range, samples.contains(where: { !range.contains(Double($0)) }) {
                throw QuarantineVerdict(.implausibleValue, "\(field.path) sample outside plausible range")
            }
            return measurement(.samples(samples))
        }
    }

    private func checkLength(_ count: Int, _ field: FieldSpec) throws(QuarantineVerdict) {
        let reason: QuarantineReason = field.type == .samplesInt16LE ? .waveformLengthMismatch : .wrongType
        if let min = field.minLength, count < min { throw QuarantineVerdict(reason, "\(field.path) too short") }
        if let max = field.maxLength, count > max { throw QuarantineVerdict(reason, "\(field.path) too long") }
    }

    private func qualityValue(_ field: FieldSpec, in json: JSONValue) throws(QuarantineVerdict) -> Double? {
        guard let path = field.qualityPath, let raw = json.value(at: path), !raw.isNull else { return nil }
        guard let q = raw.numberValue else { throw QuarantineVerdict(.wrongType, "\(path) is not a number") }
        guard (0...1).contains(q) else { throw QuarantineVerdict(.implausibleValue, "\(path) outside 0...1") }
        return q
    }

    /// Field names from the payload are attacker-controlled: bound and sanitise before
    /// they go into a quarantine detail.
    static func safeName(_ key: String) -> String {
        let cleaned = key.unicodeScalars.prefix(32).map { scalar -> Character in
            scalar.isASCII && scalar.value >= 0x20 && scalar.value < 0x7F ? Character(scalar) : "?"
        }
        return String(cleaned)
    }
}
