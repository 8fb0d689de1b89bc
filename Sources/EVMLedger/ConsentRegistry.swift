import EVMLightClient

/// The consent registry contract (`Contracts/ConsentRegistry/`): its storage layout, the terms
/// word, write calldata and event.
///
/// An authority (the deployer, kept in slot 0) records grants and revocations keyed by patient
/// pseudonym, grantee and purpose. The layout lets a reader prove one decision with
/// `eth_getProof` at computable slots (docs/CONSENT-REGISTRY.md):
///
/// | slot | value |
/// | --- | --- |
/// | `0` | the authority (left-padded address) |
/// | `keccak256(pseudonym ‖ grantee)` | the pair's version counter (writes so far) |
/// | `keccak256(pseudonym ‖ grantee ‖ purpose)` | the record: ``Terms`` with the version written |
public enum ConsentRegistry {
    /// Calldata of a write: `pseudonym ‖ grantee ‖ purpose ‖ terms`, 32 bytes each.
    public static let calldataByteCount = 128

    /// `keccak256("ConsentRecorded(bytes32,bytes32,bytes32,uint256)")`, the event's topic 0.
    public static let eventTopic: [UInt8] =
        Keccak256.hash(Array("ConsentRecorded(bytes32,bytes32,bytes32,uint256)".utf8))

    /// The slot holding the authority.
    public static let authoritySlot = [UInt8](repeating: 0, count: 32)

    /// The slot of the pair's version counter: `keccak256(pseudonym ‖ grantee)`.
    public static func versionSlot(pseudonym: [UInt8], grantee: [UInt8]) -> [UInt8] {
        Keccak256.hash(pseudonym + grantee)
    }

    /// The slot of a record: `keccak256(pseudonym ‖ grantee ‖ purpose)`.
    public static func recordSlot(pseudonym: [UInt8], grantee: [UInt8], purpose: [UInt8]) -> [UInt8] {
        Keccak256.hash(pseudonym + grantee + purpose)
    }

    /// A PurposeOfUse code (`TREAT`, `ETREAT`, `HRESCH`, …) as the registry keys it: ASCII,
    /// left-aligned and zero-padded to 32 bytes (Solidity's `bytes32("TREAT")`). Nil for a code
    /// that is empty, longer than 32 bytes or not printable ASCII.
    public static func purposeWord(_ code: String) -> [UInt8]? {
        let bytes = Array(code.utf8)
        guard !bytes.isEmpty, bytes.count <= 32, bytes.allSatisfy({ (0x21...0x7E).contains($0) }) else { return nil }
        return bytes + [UInt8](repeating: 0, count: 32 - bytes.count)
    }

    /// The calldata recording `terms` for (pseudonym, grantee, purpose). The contract ignores
    /// `terms.version` and writes the pair's next version instead.
    public static func calldata(pseudonym: [UInt8], grantee: [UInt8], purpose: [UInt8], terms: Terms) -> [UInt8] {
        pseudonym + grantee + purpose + terms.word
    }

    /// The registry's 32-byte record word, big-endian: version (bytes 0–7), notBefore (8–15),
    /// notAfter (16–23), classes (24–27), reserved zeros (28–30), status (31).
    public struct Terms: Sendable, Hashable {
        /// The status byte.
        public enum Status: UInt8, Sendable {
            /// Permitted.
            case granted = 1
            /// Withdrawn.
            case revoked = 2
        }

        /// Granted or revoked.
        public var status: Status
        /// Data classes, a bitmask (``DataClass``).
        public var classes: UInt32
        /// The period's start, Unix seconds (0: none).
        public var notBefore: UInt64
        /// The period's end, Unix seconds (0: open-ended).
        public var notAfter: UInt64
        /// The pair's version at this write (set by the contract).
        public var version: UInt64

        /// Terms from their fields.
        public init(status: Status, classes: UInt32, notBefore: UInt64 = 0, notAfter: UInt64 = 0, version: UInt64 = 0) {
            self.status = status
            self.classes = classes
            self.notBefore = notBefore
            self.notAfter = notAfter
            self.version = version
        }

        /// Decodes a stored record word (32 bytes); nil when the status byte is not 1 or 2 or the
        /// reserved bytes are not zero.
        public init?(word: [UInt8]) {
            guard word.count == 32, word[28..<31].allSatisfy({ $0 == 0 }), let status = Status(rawValue: word[31])
            else { return nil }
            self.status = status
            version = Self.uint(word[0..<8])
            notBefore = Self.uint(word[8..<16])
            notAfter = Self.uint(word[16..<24])
            classes = UInt32(Self.uint(word[24..<28]))
        }

        /// The 32-byte word.
        public var word: [UInt8] {
            Self.bytes(version, 8) + Self.bytes(notBefore, 8) + Self.bytes(notAfter, 8) + Self.bytes(UInt64(classes), 4)
                + [0, 0, 0, status.rawValue]
        }

        private static func uint(_ bytes: ArraySlice<UInt8>) -> UInt64 { bytes.reduce(0) { $0 << 8 | UInt64($1) } }
        private static func bytes(_ value: UInt64, _ count: Int) -> [UInt8] {
            (0..<count).map { UInt8(truncatingIfNeeded: value >> (8 * UInt64(count - 1 - $0))) }
        }
    }

    /// The data class bits of ``Terms/classes``.
    public struct DataClass: OptionSet, Sendable, Hashable {
        /// The raw bitmask.
        public let rawValue: UInt32
        /// A mask from its raw bits.
        public init(rawValue: UInt32) { self.rawValue = rawValue }
        /// Bit 0: vital-sign readings.
        public static let vitals = DataClass(rawValue: 1 << 0)
        /// Bit 1: waveforms.
        public static let waveform = DataClass(rawValue: 1 << 1)
        /// Bit 2: alerts.
        public static let alerts = DataClass(rawValue: 1 << 2)
        /// Bit 3: identity (MRN, names).
        public static let identity = DataClass(rawValue: 1 << 3)
    }
}
