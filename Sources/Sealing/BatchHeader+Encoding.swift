/// Batch header encoding v1 (docs/PROOF-BUNDLE.md, "Batch header encoding v1"): a domain tag,
/// then fixed-width big-endian integers and length-prefixed UTF-8 strings, nothing optional,
/// so every header has exactly one encoding.
///
/// ```
/// "vitalgate.batch-header" 0x00      23 bytes, domain separation
/// version                  u8        0x01
/// gateway id               u8 length ‖ UTF-8 (1...255 bytes)
/// sequence                 u64
/// first received ms        i64 (two's complement)
/// last received ms         i64
/// size                     u32
/// root                     32 bytes
/// previous header hash     32 bytes
/// config version           u8 length ‖ UTF-8 (1...255 bytes)
/// ```
extension BatchHeader {
    /// The domain tag that starts every encoding: `vitalgate.batch-header` and a zero byte. The
    /// zero byte also keeps the signed message from ever being a valid C2SP note text.
    public static let domainTag: [UInt8] = Array("vitalgate.batch-header".utf8) + [0]

    /// The canonical encoding: what is signed and hashed.
    public var encoded: [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(Self.domainTag.count + 1 + 2 + 28 + 64 + gatewayID.utf8.count + configVersion.utf8.count)
        out.append(contentsOf: Self.domainTag)
        out.append(version)
        appendString(gatewayID, to: &out)
        appendInteger(sequence, to: &out)
        appendInteger(UInt64(bitPattern: firstReceivedAt), to: &out)
        appendInteger(UInt64(bitPattern: lastReceivedAt), to: &out)
        appendInteger(size, to: &out)
        out.append(contentsOf: root)
        out.append(contentsOf: previousHash)
        appendString(configVersion, to: &out)
        return out
    }

    /// Decodes an encoding, strictly: the tag, version 1, valid UTF-8 strings, every field
    /// rule of ``init(version:gatewayID:sequence:firstReceivedAt:lastReceivedAt:size:root:previousHash:configVersion:)``
    /// and no trailing bytes.
    /// - Throws: ``SealingError`` `.malformedHeader`, `.unsupportedVersion`, `.invalidHeader`.
    public init(encoded bytes: [UInt8]) throws(SealingError) {
        var reader = ByteReader(bytes)
        guard try reader.take(Self.domainTag.count) == Self.domainTag else {
            throw SealingError(code: .malformedHeader, reason: "not a batch header (domain tag)")
        }
        let version = try reader.take(1)[0]
        guard version == Self.currentVersion else {
            throw SealingError(code: .unsupportedVersion, reason: "batch header version \(version) is not supported")
        }
        let gatewayID = try reader.string("gateway id")
        let sequence = try reader.integer(UInt64.self)
        let first = Int64(bitPattern: try reader.integer(UInt64.self))
        let last = Int64(bitPattern: try reader.integer(UInt64.self))
        let size = try reader.integer(UInt32.self)
        let root = try reader.take(32)
        let previous = try reader.take(32)
        let configVersion = try reader.string("config version")
        guard reader.isAtEnd else {
            throw SealingError(code: .malformedHeader, reason: "trailing bytes after the batch header")
        }
        try self.init(version: version, gatewayID: gatewayID, sequence: sequence, firstReceivedAt: first,
                      lastReceivedAt: last, size: size, root: root, previousHash: previous,
                      configVersion: configVersion)
    }
}

private func appendInteger<T: FixedWidthInteger & UnsignedInteger>(_ value: T, to out: inout [UInt8]) {
    for shift in stride(from: T.bitWidth - 8, through: 0, by: -8) {
        out.append(UInt8(truncatingIfNeeded: value >> shift))
    }
}

private func appendString(_ value: String, to out: inout [UInt8]) {
    let utf8 = Array(value.utf8)
    precondition(utf8.count <= 255, "header strings are validated to at most 255 bytes")
    out.append(UInt8(utf8.count))
    out.append(contentsOf: utf8)
}

/// A bounds-checked cursor over untrusted bytes.
private struct ByteReader {
    let bytes: [UInt8]
    var position = 0

    init(_ bytes: [UInt8]) {
        self.bytes = bytes
    }

    var isAtEnd: Bool { position == bytes.count }

    mutating func take(_ count: Int) throws(SealingError) -> [UInt8] {
        guard count <= bytes.count - position else {
            throw SealingError(code: .malformedHeader, reason: "batch header truncated at byte \(position)")
        }
        defer { position += count }
        return Array(bytes[position..<position + count])
    }

    mutating func integer<T: FixedWidthInteger & UnsignedInteger>(_: T.Type) throws(SealingError) -> T {
        try take(T.bitWidth / 8).reduce(T(0)) { $0 << 8 | T($1) }
    }

    mutating func string(_ what: String) throws(SealingError) -> String {
        let length = Int(try take(1)[0])
        let raw = try take(length)
        guard let text = String(validating: raw, as: UTF8.self) else {
            throw SealingError(code: .malformedHeader, reason: "\(what) is not valid UTF-8")
        }
        return text
    }
}
