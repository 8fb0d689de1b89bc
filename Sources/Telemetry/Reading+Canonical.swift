/// The canonical byte encoding of a reading, version 1 (see docs/CANONICAL-READING.md).
///
/// Canonical JSON (keys sorted by UTF-8 bytes, no whitespace, integers without a fraction,
/// other numbers in Swift's shortest round-trip form) of
/// `{"device","fw","kind","m":{channel:{"nosig"?,"q"?,"samples"?,"u","v"?}},"model","schema","seq","t","v":1}`.
/// Waveform samples are base64 of little-endian int16 (`samples`). The gateway's arrival time
/// is not part of the reading's content (a redelivered copy has the same bytes); the vault
/// keeps it beside the ciphertext.
extension Reading {
    public static let canonicalVersion = 1

    /// Canonical bytes: what is encrypted in the vault and committed to when sealing.
    public var canonicalBytes: [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(kind == .waveform ? 900 : 256)
        writeCanonical(into: &out)
        return out
    }

    public func writeCanonical(into out: inout [UInt8]) {
        func key(_ k: StaticString) {
            out.append(UInt8(ascii: "\""))
            out.append(contentsOf: UnsafeBufferPointer(start: k.utf8Start, count: k.utf8CodeUnitCount))
            out.append(contentsOf: "\":".utf8)
        }
        out.append(UInt8(ascii: "{"))
        key("device"); JSONWriter.writeString(device.rawValue, into: &out)
        out.append(UInt8(ascii: ",")); key("fw"); JSONWriter.writeString(firmware, into: &out)
        out.append(UInt8(ascii: ",")); key("kind"); JSONWriter.writeString(kind.rawValue, into: &out)
        out.append(UInt8(ascii: ",")); key("m"); out.append(UInt8(ascii: "{"))
        let ordered = measurements.isSorted { $0.channel.utf8.lexicographicallyPrecedes($1.channel.utf8) }
            ? measurements : measurements.sorted { $0.channel.utf8.lexicographicallyPrecedes($1.channel.utf8) }
        for (i, m) in ordered.enumerated() {
            if i > 0 { out.append(UInt8(ascii: ",")) }
            JSONWriter.writeString(m.channel, into: &out)
            out.append(contentsOf: ":{".utf8)
            var first = true
            func sep() { if !first { out.append(UInt8(ascii: ",")) }; first = false }
            if case .noSignal = m.value { sep(); key("nosig"); out.append(contentsOf: "true".utf8) }
            if let q = m.quality { sep(); key("q"); JSONWriter.writeNumber(q, into: &out) }
            if case .samples(let xs) = m.value {
                sep(); key("samples")
                out.append(UInt8(ascii: "\""))
                var bytes: [UInt8] = []
                bytes.reserveCapacity(xs.count * 2)
                for x in xs { bytes.append(UInt8(truncatingIfNeeded: x)); bytes.append(UInt8(truncatingIfNeeded: x >> 8)) }
                Base64.encode(bytes, into: &out)
                out.append(UInt8(ascii: "\""))
            }
            sep(); key("u"); JSONWriter.writeString(m.unit, into: &out)
            switch m.value {
            case .number(let n): sep(); key("v"); JSONWriter.writeNumber(n, into: &out)
            case .text(let s): sep(); key("v"); JSONWriter.writeString(s, into: &out)
            case .flag(let b): sep(); key("v"); out.append(contentsOf: (b ? "true" : "false").utf8)
            case .series(let xs):
                sep(); key("v"); out.append(UInt8(ascii: "["))
                for (j, x) in xs.enumerated() {
                    if j > 0 { out.append(UInt8(ascii: ",")) }
                    JSONWriter.writeNumber(x, into: &out)
                }
                out.append(UInt8(ascii: "]"))
            case .noSignal, .samples: break
            }
            out.append(UInt8(ascii: "}"))
        }
        out.append(UInt8(ascii: "}"))
        out.append(UInt8(ascii: ",")); key("model"); JSONWriter.writeString(model, into: &out)
        out.append(UInt8(ascii: ",")); key("schema"); JSONWriter.writeString(schemaID, into: &out)
        out.append(UInt8(ascii: ",")); key("seq"); JSONWriter.writeNumber(Double(seq), into: &out)
        out.append(UInt8(ascii: ",")); key("t"); JSONWriter.writeNumber(Double(deviceTime), into: &out)
        out.append(UInt8(ascii: ",")); key("v"); JSONWriter.writeNumber(Double(Self.canonicalVersion), into: &out)
        out.append(UInt8(ascii: "}"))
    }

    /// The canonical form as a JSON value (for export and inspection).
    public var canonicalJSON: JSONValue {
        // The bytes are valid canonical JSON by construction.
        (try? JSONParser(maxBytes: 1 << 22, maxDepth: 8).parse(canonicalBytes)) ?? .null
    }

    /// Decodes canonical bytes written by `canonicalBytes`; `receivedAt` comes from the vault row.
    public init(canonical bytes: [UInt8], receivedAt: Int64) throws(CanonicalDecodingError) {
        let json: JSONValue
        do { json = try JSONParser(maxBytes: 1 << 22, maxDepth: 8).parse(bytes) } catch {
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
              let channels = try field("m").objectValue
        else { throw CanonicalDecodingError(detail: "malformed header fields") }
        var measurements: [Measurement] = []
        for (channel, body) in channels {
            guard let unit = body["u"]?.stringValue else { throw CanonicalDecodingError(detail: "unit of \(channel)") }
            let quality = body["q"]?.numberValue
            let value: MeasurementValue
            if body["nosig"]?.boolValue == true {
                value = .noSignal
            } else if let encoded = body["samples"]?.stringValue {
                guard let raw = Base64.decode(encoded), raw.count % 2 == 0 else {
                    throw CanonicalDecodingError(detail: "samples of \(channel)")
                }
                value = .samples(stride(from: 0, to: raw.count, by: 2).map {
                    Int16(bitPattern: UInt16(raw[$0]) | UInt16(raw[$0 + 1]) << 8)
                })
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
                  deviceTime: t, receivedAt: receivedAt, measurements: measurements)
    }
}

/// Canonical bytes that do not decode (corruption or a version this build does not know).
public struct CanonicalDecodingError: Error, Sendable, CustomStringConvertible {
    public var detail: String
    public var description: String { "canonical reading: \(detail)" }
}

extension Collection {
    func isSorted(by areInIncreasingOrder: (Element, Element) -> Bool) -> Bool {
        var previous: Element?
        for element in self {
            if let p = previous, areInIncreasingOrder(element, p) { return false }
            previous = element
        }
        return true
    }
}
