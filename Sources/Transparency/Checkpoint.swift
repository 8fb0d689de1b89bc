import Telemetry

/// The body of a transparency log checkpoint (c2sp.org/tlog-checkpoint):
///
/// ```
/// <origin>
/// <tree size, decimal, no leading zeroes>
/// <base64 root hash>
/// [extension lines]
/// ```
///
/// Each line ends with a newline. A checkpoint is signed as a ``Note`` whose text is
/// ``body``; see ``SignedCheckpoint``.
public struct Checkpoint: Sendable, Hashable {
    /// The log's identity, e.g. `example.com/log42`. Non-empty.
    public let origin: String
    /// The number of leaves in the tree.
    public let size: UInt64
    /// The RFC 6962 root hash at ``size`` (32 bytes).
    public let rootHash: [UInt8]
    /// Optional, opaque, non-empty extension lines (not auditable; avoid).
    public let extensions: [String]

    /// Creates a checkpoint.
    /// - Throws: ``NoteError`` `.malformedCheckpoint` for an empty origin, a root hash that is
    ///   not 32 bytes, or an extension line that is empty or contains a newline or control
    ///   character.
    public init(origin: String, size: UInt64, rootHash: [UInt8], extensions: [String] = []) throws(NoteError) {
        for (index, line) in ([origin] + extensions).enumerated() {
            guard !line.isEmpty, !line.utf8.contains(where: { $0 < 0x20 }) else {
                throw NoteError(code: .malformedCheckpoint,
                                reason: "checkpoint line \(index == 0 ? 1 : index + 3) is empty or has a control character")
            }
        }
        guard rootHash.count == MerkleHasher.hashByteCount else {
            throw NoteError(code: .malformedCheckpoint, reason: "root hash is \(rootHash.count) bytes, expected 32")
        }
        self.origin = origin
        self.size = size
        self.rootHash = rootHash
        self.extensions = extensions
    }

    /// Parses a checkpoint body strictly (the text of a signed note).
    ///
    /// - Throws: ``NoteError`` `.malformedCheckpoint` unless the text is at least three
    ///   newline-terminated non-empty lines, the size is a canonical decimal that fits in 64 bits,
    ///   and the root hash is canonical base64 of 32 bytes.
    public init(parsing body: String) throws(NoteError) {
        let bytes = Array(body.utf8)
        guard bytes.last == UInt8(ascii: "\n") else {
            throw NoteError(code: .malformedCheckpoint, reason: "checkpoint body does not end with a newline")
        }
        let lines = bytes.dropLast().split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false)
        guard lines.count >= 3 else {
            throw NoteError(code: .malformedCheckpoint, reason: "checkpoint has \(lines.count) lines, expected at least 3")
        }
        guard let size = Checkpoint.parseSize(Array(lines[1])) else {
            throw NoteError(code: .malformedCheckpoint, reason: "tree size is not a canonical decimal below 2^64")
        }
        guard let rootHash = Base64.decode(canonical: Array(lines[2])) else {
            throw NoteError(code: .malformedCheckpoint, reason: "root hash is not canonical base64")
        }
        try self.init(origin: String(decoding: lines[0], as: UTF8.self), size: size, rootHash: rootHash,
                      extensions: lines.dropFirst(3).map { String(decoding: $0, as: UTF8.self) })
    }

    /// The note text: origin, size, root hash and extension lines, each ending with a newline.
    public var body: String {
        var text = "\(origin)\n\(size)\n\(Base64.encode(rootHash))\n"
        for line in extensions {
            text += line + "\n"
        }
        return text
    }

    /// Parses ASCII decimal digits with no sign and no leading zero (except `0` itself).
    static func parseSize(_ digits: [UInt8]) -> UInt64? {
        guard let first = digits.first, digits.count <= 20 else { return nil }
        guard first != UInt8(ascii: "0") || digits.count == 1 else { return nil }
        var value: UInt64 = 0
        for digit in digits {
            guard digit >= UInt8(ascii: "0"), digit <= UInt8(ascii: "9") else { return nil }
            let (times10, overflow1) = value.multipliedReportingOverflow(by: 10)
            let (sum, overflow2) = times10.addingReportingOverflow(UInt64(digit - UInt8(ascii: "0")))
            guard !overflow1, !overflow2 else { return nil }
            value = sum
        }
        return value
    }
}
