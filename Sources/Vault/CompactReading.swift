public import Telemetry

/// The body of a stored reading's plaintext v3 (rows of `format` 3; docs/CANONICAL-READING.md,
/// "Stored plaintext v3"): the firmware and the measurements, without the header fields the row
/// already holds in clear columns (device, kind, seq, device time, model, schema id), which the
/// ciphertext's associated data binds instead.
///
/// It is not what is committed to: the canonical bytes (JSON v1) are re-derived from the decoded
/// reading, and they equal the stored ones because every value comes back bit for bit (numbers
/// are kept as exact decimals or raw IEEE 754 bits). A reading the body cannot hold so (a
/// repeated channel name) is stored as plaintext v2 instead.
public enum CompactReading {
    /// Appends the body of `reading` to `out`; returns `false` (leaving `out` as it was) when the
    /// reading must be stored in the v2 plaintext instead.
    public static func writeBody(_ reading: Reading, into out: inout [UInt8]) -> Bool {
        let start = out.count
        let ordered = reading.measurements.isSortedByUTF8 ? reading.measurements
            : reading.measurements.sorted { $0.channel.utf8.lexicographicallyPrecedes($1.channel.utf8) }
        writeString(reading.firmware, into: &out)
        writeVarint(UInt64(ordered.count), into: &out)
        var previous: String?
        for m in ordered {
            if m.channel == previous { out.removeSubrange(start...); return false }  // not canonical JSON
            previous = m.channel
            if let label = labelIndex(channel: m.channel, unit: m.unit) {
                writeVarint(UInt64(label + 1), into: &out)
            } else {
                out.append(0)
                writeString(m.channel, into: &out)
                writeString(m.unit, into: &out)
            }
            let quality: UInt8 = m.quality == nil ? 0 : 0x08
            switch m.value {
            case .noSignal: out.append(Tag.noSignal | quality)
            case .number: out.append(Tag.number | quality)
            case .text: out.append(Tag.text | quality)
            case .flag(let b): out.append((b ? Tag.flagTrue : Tag.flagFalse) | quality)
            case .series: out.append(Tag.series | quality)
            case .samples: out.append(Tag.samples | quality)
            }
            if let q = m.quality { writeNumber(q, into: &out) }
            switch m.value {
            case .number(let x): writeNumber(x, into: &out)
            case .text(let s): writeString(s, into: &out)
            case .series(let xs):
                writeVarint(UInt64(xs.count), into: &out)
                for x in xs { writeNumber(x, into: &out) }
            case .samples(let xs):
                writeVarint(UInt64(xs.count), into: &out)
                for x in xs { out.append(UInt8(truncatingIfNeeded: x)); out.append(UInt8(truncatingIfNeeded: x >> 8)) }
            case .noSignal, .flag: break
            }
        }
        return true
    }

    /// Decodes a body written by ``writeBody(_:into:)`` into the reading whose header fields the
    /// row's clear columns give. Strict: unknown tags and labels, non-minimal numbers and
    /// trailing bytes are errors.
    public static func reading(body: ArraySlice<UInt8>, device: DeviceID, kind: MessageKind, schemaID: String,
                               model: String, seq: UInt32, deviceTime: Int64, receivedAt: Int64)
        throws(CompactDecodingError) -> Reading {
        var reader = Reader(bytes: body)
        let firmware = try reader.string()
        let count = try reader.count()
        var measurements: [Measurement] = []
        measurements.reserveCapacity(count)
        for _ in 0..<count {
            let label = try reader.varint()
            let channel: String, unit: String
            if label == 0 {
                channel = try reader.string()
                unit = try reader.string()
            } else {
                guard label <= UInt64(labels.count) else { throw CompactDecodingError(detail: "unknown label \(label)") }
                (channel, unit) = labels[Int(label - 1)]
            }
            let tag = try reader.byte()
            guard tag & 0xF0 == 0 else { throw CompactDecodingError(detail: "unknown tag \(tag)") }
            let quality = tag & 0x08 != 0 ? try reader.number() : nil
            let value: MeasurementValue
            switch tag & 0x07 {
            case Tag.noSignal: value = .noSignal
            case Tag.number: value = .number(try reader.number())
            case Tag.text: value = .text(try reader.string())
            case Tag.flagFalse: value = .flag(false)
            case Tag.flagTrue: value = .flag(true)
            case Tag.series:
                let n = try reader.count()
                var xs: [Double] = []
                xs.reserveCapacity(n)
                for _ in 0..<n { xs.append(try reader.number()) }
                value = .series(xs)
            case Tag.samples:
                let n = try reader.count()
                let raw = try reader.bytes(n * 2)
                var xs = [Int16](repeating: 0, count: n)
                var i = raw.startIndex
                for j in 0..<n {
                    xs[j] = Int16(bitPattern: UInt16(raw[i]) | UInt16(raw[i + 1]) << 8)
                    i += 2
                }
                value = .samples(xs)
            default: throw CompactDecodingError(detail: "unknown tag \(tag)")
            }
            measurements.append(Measurement(channel: channel, value: value, unit: unit, quality: quality))
        }
        guard reader.isAtEnd else { throw CompactDecodingError(detail: "trailing bytes") }
        return Reading(device: device, kind: kind, schemaID: schemaID, model: model, firmware: firmware, seq: seq,
                       deviceTime: deviceTime, receivedAt: receivedAt, measurements: measurements)
    }

    /// Value tags (bits 0-2 of a measurement's tag byte; bit 3: a quality follows).
    enum Tag {
        static let noSignal: UInt8 = 0
        static let number: UInt8 = 1
        static let text: UInt8 = 2
        static let flagFalse: UInt8 = 3
        static let flagTrue: UInt8 = 4
        static let series: UInt8 = 5
        static let samples: UInt8 = 6
    }

    /// The label table of plaintext v3: (channel, unit) pairs of the shipped schemas, written as
    /// their index + 1. Frozen: rows written with it are decoded with it for ever, so an entry is
    /// never changed, removed or added (other pairs are written inline, label 0).
    public static let labels: [(channel: String, unit: String)] = [
        ("spo2", "%"), ("pulse_rate", "/min"), ("perfusion_index", "%"), ("battery", "%"),
        ("heart_rate", "/min"), ("rr_intervals", "ms"), ("lead_off", ""), ("sampling_rate", "Hz"),
        ("ecg_lead", ""), ("ecg", "uV"), ("cuff_status", ""), ("systolic_pressure", "mm[Hg]"),
        ("diastolic_pressure", "mm[Hg]"), ("mean_arterial_pressure", "mm[Hg]"), ("respiratory_rate", "/min"),
        ("posture", ""), ("fall", ""), ("acceleration", "[g]"), ("body_temperature", "Cel"),
        ("temperature_site", ""),
    ]

    private static let labelsByChannel: [String: (unit: String, index: Int)] = {
        var map: [String: (unit: String, index: Int)] = [:]
        for (index, label) in labels.enumerated() { map[label.channel] = (label.unit, index) }
        return map
    }()

    static func labelIndex(channel: String, unit: String) -> Int? {
        guard let entry = labelsByChannel[channel], entry.unit == unit else { return nil }
        return entry.index
    }

    /// Powers of ten that are exact doubles, the divisors of scaled decimals.
    private static let powersOfTen: [Double] = (0...15).map { (0..<$0).reduce(1.0) { acc, _ in acc * 10 } }

    /// The raw-bits marker of a number (in place of a decimal scale 0...15).
    static let rawNumber: UInt8 = 0xFF

    /// A number: a scale byte `s` in 0...15 and the zigzag varint of an integer `m` with
    /// `Double(m) / 10^s` bit for bit the value (|m| < 2^53), using the smallest such `s` up to 6;
    /// otherwise `0xFF` and the value's 8 bytes of IEEE 754 bits, little-endian.
    static func writeNumber(_ x: Double, into out: inout [UInt8]) {
        if x.isFinite && x.magnitude < 9.0e15 {
            for s in 0...6 {
                let m = (x * powersOfTen[s]).rounded()
                guard m.magnitude < 9_007_199_254_740_992 else { break }
                let i = Int64(m)  // exact: |m| < 2^53 (and -0 becomes 0, so -0 fails the check below)
                if (Double(i) / powersOfTen[s]).bitPattern == x.bitPattern {
                    out.append(UInt8(s))
                    writeVarint(UInt64(bitPattern: (i << 1) ^ (i >> 63)), into: &out)
                    return
                }
            }
        }
        out.append(rawNumber)
        withUnsafeBytes(of: x.bitPattern.littleEndian) { out.append(contentsOf: $0) }
    }

    static func writeString(_ s: String, into out: inout [UInt8]) {
        var s = s
        s.withUTF8 { utf8 in
            writeVarint(UInt64(utf8.count), into: &out)
            out.append(contentsOf: utf8)
        }
    }

    /// Unsigned LEB128: 7 bits a byte, least significant first, high bit set on all but the last.
    static func writeVarint(_ value: UInt64, into out: inout [UInt8]) {
        var v = value
        while v >= 0x80 {
            out.append(UInt8(truncatingIfNeeded: v) | 0x80)
            v >>= 7
        }
        out.append(UInt8(v))
    }

    struct Reader {
        var bytes: ArraySlice<UInt8>
        var isAtEnd: Bool { bytes.isEmpty }

        mutating func byte() throws(CompactDecodingError) -> UInt8 {
            guard let b = bytes.popFirst() else { throw CompactDecodingError(detail: "truncated") }
            return b
        }

        mutating func bytes(_ n: Int) throws(CompactDecodingError) -> ArraySlice<UInt8> {
            guard n <= bytes.count else { throw CompactDecodingError(detail: "truncated") }
            let taken = bytes.prefix(n)
            bytes.removeFirst(n)
            return taken
        }

        /// A minimal LEB128 varint of at most 64 bits.
        mutating func varint() throws(CompactDecodingError) -> UInt64 {
            var value: UInt64 = 0
            var shift: UInt64 = 0
            while true {
                let b = try byte()
                guard shift < 64, shift < 63 || b <= 1 else { throw CompactDecodingError(detail: "varint overflow") }
                value |= UInt64(b & 0x7F) << shift
                if b & 0x80 == 0 {
                    guard b != 0 || shift == 0 else { throw CompactDecodingError(detail: "non-minimal varint") }
                    return value
                }
                shift += 7
            }
        }

        /// A count of items that must each still fit in the remaining bytes.
        mutating func count() throws(CompactDecodingError) -> Int {
            let n = try varint()
            guard n <= UInt64(bytes.count) else { throw CompactDecodingError(detail: "count beyond the body") }
            return Int(n)
        }

        mutating func string() throws(CompactDecodingError) -> String {
            let raw = try bytes(try count())
            guard let s = String(validating: raw, as: UTF8.self) else {
                throw CompactDecodingError(detail: "string is not UTF-8")
            }
            return s
        }

        mutating func number() throws(CompactDecodingError) -> Double {
            let s = try byte()
            if s == CompactReading.rawNumber {
                var bits: UInt64 = 0
                for (i, b) in try bytes(8).enumerated() { bits |= UInt64(b) << (8 * UInt64(i)) }
                let x = Double(bitPattern: bits)
                guard x.isFinite else { throw CompactDecodingError(detail: "number is not finite") }
                return x
            }
            guard s <= 15 else { throw CompactDecodingError(detail: "number scale \(s)") }
            let z = try varint()
            let m = Int64(bitPattern: (z >> 1) ^ (0 &- (z & 1)))
            guard m.magnitude < 9_007_199_254_740_992 else { throw CompactDecodingError(detail: "number mantissa") }
            return Double(m) / CompactReading.powersOfTen[Int(s)]
        }
    }
}

extension [Measurement] {
    fileprivate var isSortedByUTF8: Bool {
        var previous: String?
        for m in self {
            if let p = previous, m.channel.utf8.lexicographicallyPrecedes(p.utf8) { return false }
            previous = m.channel
        }
        return true
    }
}

/// A plaintext v3 body that does not decode (corruption, or a label or tag this build does not know).
public struct CompactDecodingError: Error, Sendable, CustomStringConvertible {
    public var detail: String
    public var description: String { "compact reading body: \(detail)" }
}
