public import Telemetry

/// Everything an auditor needs to prove one stored reading offline, with only pinned keys
/// (``TrustAnchors``): reading → commitment → batch Merkle path → signed batch header → log
/// inclusion proof → signed checkpoint (→ cosignatures) (→ anchors).
///
/// Serialised as versioned canonical JSON (``json``, ``init(json:)``); format in
/// docs/PROOF-BUNDLE.md. Nothing in a bundle is trusted: ``BundleVerifier`` recomputes every
/// hash and checks every signature against the pinned keys.
public struct ProofBundle: Sendable, Equatable {
    /// The bundle format version this build writes and reads.
    public static let currentVersion = 1
    /// The value of the `type` member.
    public static let typeName = "vitalgate.proof-bundle"
    /// The largest bundle accepted: 4 MiB.
    public static let maximumByteCount = 4 << 20
    /// The longest Merkle path accepted (batch audit path and log inclusion path): 64 hashes.
    public static let maximumPathLength = 64

    /// The reading and, unless erased, the opening of its commitment.
    public struct ReadingSection: Sendable, Equatable {
        /// The vault's id for the reading (informational: not covered by any signature).
        public var id: UInt64
        /// The 32-byte commitment: the batch Merkle leaf.
        public var commitment: [UInt8]
        /// The 32-byte salt; `nil` after erasure.
        public var salt: [UInt8]?
        /// The reading's canonical bytes (docs/CANONICAL-READING.md); `nil` after erasure.
        public var canonical: [UInt8]?
        /// Whether the reading's content was crypto-erased (salt and canonical bytes destroyed).
        public var erased: Bool
        /// Whether the reading's content was pruned by the gateway's retention policy (salt and
        /// canonical bytes removed; the commitment stays in its batch).
        public var pruned: Bool = false

        /// A reading whose content is present.
        public init(id: UInt64, commitment: [UInt8], salt: [UInt8], canonical: [UInt8]) {
            self.init(id: id, commitment: commitment, salt: salt, canonical: canonical, erased: false)
        }

        /// A reading whose content was erased.
        public init(erasedID id: UInt64, commitment: [UInt8]) {
            self.init(id: id, commitment: commitment, salt: nil, canonical: nil, erased: true)
        }

        /// A reading whose content was pruned (retention, or eviction at the byte budget).
        public init(prunedID id: UInt64, commitment: [UInt8]) {
            self.init(id: id, commitment: commitment, salt: nil, canonical: nil, erased: false)
            pruned = true
        }

        /// Whether the salt and canonical bytes are gone (erased or pruned).
        public var contentRemoved: Bool { erased || pruned }

        /// Any combination (the parser only produces consistent ones).
        public init(id: UInt64, commitment: [UInt8], salt: [UInt8]?, canonical: [UInt8]?, erased: Bool) {
            self.id = id
            self.commitment = commitment
            self.salt = salt
            self.canonical = canonical
            self.erased = erased
        }
    }

    /// The batch: its signed header and the commitment's audit path under the header's root.
    public struct BatchSection: Sendable, Equatable {
        /// The header fields (gateway, sequence, time range, size, root, previous hash, config).
        public var header: BatchHeader
        /// The gateway's Ed25519 signature of the header encoding (64 bytes).
        public var signature: [UInt8]
        /// The commitment's leaf index in the batch tree.
        public var leafIndex: UInt64
        /// RFC 6962 audit path from the leaf's sibling up.
        public var auditPath: [[UInt8]]

        /// Creates the section.
        public init(header: BatchHeader, signature: [UInt8], leafIndex: UInt64, auditPath: [[UInt8]]) {
            self.header = header
            self.signature = signature
            self.leafIndex = leafIndex
            self.auditPath = auditPath
        }

        /// The signed header.
        public var signedHeader: SignedBatchHeader { SignedBatchHeader(header: header, signature: signature) }
    }

    /// The log: the header hash's inclusion in the embedded log and the signed checkpoint.
    public struct LogSection: Sendable, Equatable {
        /// The log's origin line (also pinned in ``TrustAnchors``).
        public var origin: String
        /// The batch header hash's leaf index in the log.
        public var leafIndex: UInt64
        /// The tree size the proof is for; must equal the checkpoint's size.
        public var treeSize: UInt64
        /// RFC 6962 inclusion path from the leaf's sibling up.
        public var inclusionPath: [[UInt8]]
        /// The signed checkpoint: a C2SP signed note with the log signature and any cosignatures.
        public var checkpoint: String

        /// Creates the section.
        public init(origin: String, leafIndex: UInt64, treeSize: UInt64, inclusionPath: [[UInt8]], checkpoint: String) {
            self.origin = origin
            self.leafIndex = leafIndex
            self.treeSize = treeSize
            self.inclusionPath = inclusionPath
            self.checkpoint = checkpoint
        }
    }

    /// Format version (1).
    public var version: Int
    /// The reading.
    public var reading: ReadingSection
    /// The batch.
    public var batch: BatchSection
    /// The log.
    public var log: LogSection
    /// External anchors (e.g. an EVM receipt proof), kept opaque in version 1 and reported as
    /// skipped by the verifier.
    public var anchors: [JSONValue]

    /// Creates a bundle of the current version.
    public init(reading: ReadingSection, batch: BatchSection, log: LogSection, anchors: [JSONValue] = []) {
        self.version = Self.currentVersion
        self.reading = reading
        self.batch = batch
        self.log = log
        self.anchors = anchors
    }
}
