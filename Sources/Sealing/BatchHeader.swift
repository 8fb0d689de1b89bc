public import Cryptography

/// The header of one sealed batch: what the gateway signs and what the log records (its hash).
///
/// Encoded deterministically (``encoded``, format in docs/PROOF-BUNDLE.md, "Batch header
/// encoding v1"); ``hash`` is `SHA-256(encoding)`. Headers form a chain: each names the hash
/// of the previous one (32 zero bytes for sequence 0).
public struct BatchHeader: Sendable, Hashable {
    /// The encoding version this build writes and reads.
    public static let currentVersion: UInt8 = 1
    /// The hash that the first header (sequence 0) names as its predecessor: 32 zero bytes.
    public static let genesisPreviousHash = [UInt8](repeating: 0, count: 32)
    /// The longest gateway id or config version string: 255 UTF-8 bytes.
    public static let maximumStringByteCount = 255

    /// Encoding version (1).
    public let version: UInt8
    /// The gateway's id (as in its MQTT topics).
    public let gatewayID: String
    /// The batch's position in the gateway's chain, from 0.
    public let sequence: UInt64
    /// Earliest gateway arrival time of a reading in the batch (ms since the Unix epoch).
    public let firstReceivedAt: Int64
    /// Latest gateway arrival time of a reading in the batch (ms since the Unix epoch).
    public let lastReceivedAt: Int64
    /// The number of readings (Merkle leaves), at least 1.
    public let size: UInt32
    /// RFC 6962 root of the batch's commitments (leaf `i` = commitment `i`'s 32 bytes).
    public let root: [UInt8]
    /// ``hash`` of the previous header, or ``genesisPreviousHash`` for sequence 0.
    public let previousHash: [UInt8]
    /// The schema/config version in force when the batch was sealed (e.g. `seal-v1;config=7`).
    public let configVersion: String

    /// Creates a header, checking every field.
    /// - Throws: ``SealingError`` `.invalidHeader` for an empty batch, `first > last`, an empty
    ///   or over-long string or one with control characters, `.invalidLength` for a root or
    ///   previous hash that is not 32 bytes, `.unsupportedVersion` for another version.
    public init(version: UInt8 = BatchHeader.currentVersion, gatewayID: String, sequence: UInt64,
                firstReceivedAt: Int64, lastReceivedAt: Int64, size: UInt32, root: [UInt8],
                previousHash: [UInt8], configVersion: String) throws(SealingError) {
        guard version == Self.currentVersion else {
            throw SealingError(code: .unsupportedVersion, reason: "batch header version \(version) is not supported")
        }
        try Self.checkString(gatewayID, "gateway id")
        try Self.checkString(configVersion, "config version")
        guard size >= 1 else { throw SealingError(code: .invalidHeader, reason: "a batch holds at least one reading") }
        guard firstReceivedAt <= lastReceivedAt else {
            throw SealingError(code: .invalidHeader, reason: "first arrival time is after the last")
        }
        guard root.count == 32 else {
            throw SealingError(code: .invalidLength, reason: "batch root is \(root.count) bytes, expected 32")
        }
        guard previousHash.count == 32 else {
            throw SealingError(code: .invalidLength, reason: "previous header hash is \(previousHash.count) bytes, expected 32")
        }
        self.version = version
        self.gatewayID = gatewayID
        self.sequence = sequence
        self.firstReceivedAt = firstReceivedAt
        self.lastReceivedAt = lastReceivedAt
        self.size = size
        self.root = root
        self.previousHash = previousHash
        self.configVersion = configVersion
    }

    /// `SHA-256(encoded)`: the header's identity, the next header's ``previousHash`` and the
    /// leaf this batch adds to the log.
    public var hash: [UInt8] { SHA256.hash(encoded) }

    /// Signs the encoding with the gateway identity key.
    /// - Throws: ``SealingError`` `.signingFailure`.
    public func signed(with identityKey: Ed25519.PrivateKey) throws(SealingError) -> SignedBatchHeader {
        do {
            return SignedBatchHeader(header: self, signature: try identityKey.signature(for: encoded))
        } catch {
            throw SealingError(code: .signingFailure, reason: "cannot sign batch header \(sequence)", underlying: error)
        }
    }

    private static func checkString(_ value: String, _ what: String) throws(SealingError) {
        let count = value.utf8.count
        guard (1...maximumStringByteCount).contains(count) else {
            throw SealingError(code: .invalidHeader, reason: "\(what) must be 1...255 UTF-8 bytes, got \(count)")
        }
        guard !value.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) else {
            throw SealingError(code: .invalidHeader, reason: "\(what) contains a control character")
        }
    }
}
