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
        var out = ByteWriter(capacity: kind == .waveform ? 1024 : 384)
        writeCanonical(into: &out)
        return out.bytes
    }

    /// Appends the canonical bytes to `out`.
    public func writeCanonical(into out: inout [UInt8]) {
        var writer = ByteWriter(capacity: kind == .waveform ? 1024 : 384)
        writeCanonical(into: &writer)
        writer.append(to: &out)
    }

    /// Appends the canonical bytes to `out`. Runs once per stored reading: literal runs (keys
    /// with their quotes, colons and commas) are appended whole.
    public func writeCanonical(into out: inout ByteWriter) {
        out.append("{\"device\":"); JSONWriter.writeString(device.rawValue, into: &out)
        out.append(",\"fw\":"); JSONWriter.writeString(firmware, into: &out)
        out.append(",\"kind\":"); JSONWriter.writeString(kind.rawValue, into: &out)
        out.append(",\"m\":{")
        let ordered = measurements.isSorted { $0.channel.utf8.lexicographicallyPrecedes($1.channel.utf8) }
            ? measurements : measurements.sorted { $0.channel.utf8.lexicographicallyPrecedes($1.channel.utf8) }
        ordered.withUnsafeBufferPointer { ordered in
            for i in ordered.indices {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                Self.writeMeasurement(ordered[i], into: &out)
            }
        }
        out.append("},\"model\":"); JSONWriter.writeString(model, into: &out)
        out.append(",\"schema\":"); JSONWriter.writeString(schemaID, into: &out)
        out.append(",\"seq\":"); JSONWriter.writeInteger(Int64(seq), into: &out)
        out.append(",\"t\":"); JSONWriter.writeNumber(Double(deviceTime), into: &out)
        out.append(",\"v\":1}")  // canonicalVersion
        assert(Self.canonicalVersion == 1, "the literal above writes version 1")
    }

    /// `"channel":{...}` with the members in key order (nosig, q, samples, u, v); "u" is always present.
    private static func writeMeasurement(_ m: borrowing Measurement, into out: inout ByteWriter) {
        JSONWriter.writeString(m.channel, into: &out)
        out.append(UInt8(ascii: ":"))
        var opener: StaticString = "{"
        if case .noSignal = m.value { out.append("{\"nosig\":true"); opener = "," }
        if let q = m.quality { out.append(opener); out.append("\"q\":"); JSONWriter.writeNumber(q, into: &out); opener = "," }
        if case .samples(let xs) = m.value {
            out.append(opener); out.append("\"samples\":\"")
            writeSamples(xs, into: &out)
            out.append(UInt8(ascii: "\""))
            opener = ","
        }
        out.append(opener); out.append("\"u\":"); JSONWriter.writeString(m.unit, into: &out)
        switch m.value {
        case .number(let n): out.append(",\"v\":"); JSONWriter.writeNumber(n, into: &out)
        case .text(let s): out.append(",\"v\":"); JSONWriter.writeString(s, into: &out)
        case .flag(let b): if b { out.append(",\"v\":true") } else { out.append(",\"v\":false") }
        case .series(let xs):
            out.append(",\"v\":[")
            for (j, x) in xs.enumerated() {
                if j > 0 { out.append(UInt8(ascii: ",")) }
                JSONWriter.writeNumber(x, into: &out)
            }
            out.append(UInt8(ascii: "]"))
        case .noSignal, .samples: break
        }
        out.append(UInt8(ascii: "}"))
    }

    /// Base64 of the samples as little-endian int16.
    private static func writeSamples(_ samples: [Int16], into out: inout ByteWriter) {
        #if _endian(little)
        // In memory the samples already are little-endian int16.
        samples.withUnsafeBytes { Base64.encode($0, into: &out) }
        #else
        var bytes: [UInt8] = []
        bytes.reserveCapacity(samples.count * 2)
        for x in samples { bytes.append(UInt8(truncatingIfNeeded: x)); bytes.append(UInt8(truncatingIfNeeded: x >> 8)) }
        bytes.withUnsafeBytes { Base64.encode($0, into: &out) }
        #endif
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
