/// The canonical byte encoding of a reading, version 1 (see docs/CANONICAL-READING.md).
///
/// Canonical JSON (`JSONWriter`) of:
/// `{"device","fw","kind","m":{channel:{"q"?,"u","v"|"nosig":true}},"model","received_at","schema","seq","t","v":1}`
/// Numbers use the writer's canonical form; samples are integer arrays. The same reading
/// always yields the same bytes, and `Reading(canonical:)` inverts it exactly.
extension Reading {
    public static let canonicalVersion = 1

    public var canonicalJSON: JSONValue {
        var channels: [(key: String, value: JSONValue)] = []
        for m in measurements {
            var fields: [(key: String, value: JSONValue)] = [("u", .string(m.unit))]
            if let q = m.quality { fields.append(("q", .number(q))) }
            switch m.value {
            case .number(let n): fields.append(("v", .number(n)))
            case .noSignal: fields.append(("nosig", .bool(true)))
            case .text(let s): fields.append(("v", .string(s)))
            case .flag(let b): fields.append(("v", .bool(b)))
            case .series(let xs): fields.append(("v", .array(xs.map { .number($0) })))
            case .samples(let xs): fields.append(("samples", .array(xs.map { .number(Double($0)) })))
            }
            channels.append((m.channel, .object(fields)))
        }
        return .object([
            ("v", .number(Double(Self.canonicalVersion))),
            ("device", .string(device.rawValue)),
            ("kind", .string(kind.rawValue)),
            ("schema", .string(schemaID)),
            ("model", .string(model)),
            ("fw", .string(firmware)),
            ("seq", .number(Double(seq))),
            ("t", .number(Double(deviceTime))),
            ("received_at", .number(Double(receivedAt))),
            ("m", .object(channels)),
        ])
    }

    /// Canonical bytes: what is encrypted in the vault and committed to when sealing.
    public var canonicalBytes: [UInt8] { JSONWriter.canonicalBytes(canonicalJSON) }

    /// Decodes canonical bytes written by `canonicalBytes`.
    public init(canonical bytes: [UInt8]) throws(CanonicalDecodingError) {
        let json: JSONValue
        do { json = try JSONParser(maxBytes: 1 << 20, maxDepth: 8).parse(bytes) } catch {
            throw CanonicalDecodingError(detail: "not canonical JSON: \(error)")
        }
        func field(_ key: String) throws(CanonicalDecodingError) -> JSONValue {
            guard let value = json[key] else { throw CanonicalDecodingError(detail: "missing \(key)") }
            return value
        }
        guard try field("v").numberValue == Double(Self.canonicalVersion) else {
            throw CanonicalDecodingError(detail: "unsupported canonical version")
        }
        guard let device = try field("device").stringValue.flatMap(DeviceID.init),
              let kind = try field("kind").stringValue.flatMap(MessageKind.init(rawValue:)),
              let schema = try field("schema").stringValue,
              let model = try field("model").stringValue,
              let fw = try field("fw").stringValue,
              let seq = try field("seq").numberValue.flatMap({ UInt32(exactly: $0) }),
              let t = try field("t").numberValue.flatMap({ Int64(exactly: $0) }),
              let received = try field("received_at").numberValue.flatMap({ Int64(exactly: $0) }),
              let channels = try field("m").objectValue
        else { throw CanonicalDecodingError(detail: "malformed header fields") }
        var measurements: [Measurement] = []
        for (channel, body) in channels {
            guard let unit = body["u"]?.stringValue else { throw CanonicalDecodingError(detail: "unit of \(channel)") }
            let quality = body["q"]?.numberValue
            let value: MeasurementValue
            if body["nosig"]?.boolValue == true {
                value = .noSignal
            } else if let samples = body["samples"]?.arrayValue {
                var xs: [Int16] = []
                xs.reserveCapacity(samples.count)
                for s in samples {
                    guard let x = s.numberValue.flatMap({ Int16(exactly: $0) }) else {
                        throw CanonicalDecodingError(detail: "samples of \(channel)")
                    }
                    xs.append(x)
                }
                value = .samples(xs)
            } else {
                switch body["v"] {
                case .number(let n)?: value = .number(n)
                case .string(let s)?: value = .text(s)
                case .bool(let b)?: value = .flag(b)
                case .array(let xs)?:
                    let numbers = xs.compactMap(\.numberValue)
                    guard numbers.count == xs.count else { throw CanonicalDecodingError(detail: "series of \(channel)") }
                    value = .series(numbers)
                default: throw CanonicalDecodingError(detail: "value of \(channel)")
                }
            }
            measurements.append(Measurement(channel: channel, value: value, unit: unit, quality: quality))
        }
        self.init(device: device, kind: kind, schemaID: schema, model: model, firmware: fw, seq: seq,
                  deviceTime: t, receivedAt: received, measurements: measurements)
    }
}

/// Canonical bytes that do not decode (corruption or a version this build does not know).
public struct CanonicalDecodingError: Error, Sendable, CustomStringConvertible {
    public var detail: String
    public var description: String { "canonical reading: \(detail)" }
}
