public import Cryptography

/// Verification of a run of signed batch headers as one chain.
///
/// Each header must carry a valid signature under the pinned gateway key, the same gateway id
/// as the first, the sequence one above its predecessor's and the predecessor's ``BatchHeader/hash``.
/// The chain starts at genesis (sequence 0, previous hash all zeros) unless the caller
/// passes the trusted header that precedes the run.
///
/// Tampering is located at the first index where a rule breaks: an altered header fails its
/// signature there; a removed header leaves a sequence gap where its successor now stands; an
/// inserted header (forged or replayed) breaks the signature or the sequence at its own index.
public enum BatchChain {
    /// The first place a chain breaks.
    public struct Break: Sendable, Equatable, CustomStringConvertible {
        /// Which rule broke.
        public enum Kind: String, Sendable, Equatable {
            /// The header's signature does not verify under the pinned key.
            case signature
            /// The header's gateway id differs from the chain's.
            case gateway
            /// The sequence is not one above the predecessor's (or not 0 at genesis).
            case sequence
            /// The previous-header hash is not the predecessor's hash (or not zeros at genesis).
            case previousHash
        }

        /// Index into the array passed to ``verify(_:publicKey:after:)``.
        public let index: Int
        /// Which rule broke.
        public let kind: Kind
        /// A short explanation.
        public let reason: String

        public var description: String { "batch chain broken at index \(index) (\(kind.rawValue)): \(reason)" }
    }

    /// Checks `headers` in order and returns the first break, or `nil` if the chain is intact.
    ///
    /// - Parameters:
    ///   - publicKey: the pinned gateway identity key.
    ///   - previous: the trusted header just before `headers[0]`; `nil` means `headers[0]` must
    ///     be the genesis header (sequence 0, previous hash all zeros).
    public static func verify(_ headers: [SignedBatchHeader], publicKey: Ed25519.PublicKey,
                              after previous: BatchHeader? = nil) -> Break? {
        var expectedSequence = previous.map { $0.sequence &+ 1 } ?? 0
        var expectedPrevious = previous?.hash ?? BatchHeader.genesisPreviousHash
        let gateway = previous?.gatewayID ?? headers.first?.header.gatewayID
        for (index, signed) in headers.enumerated() {
            let header = signed.header
            guard signed.isValid(publicKey: publicKey) else {
                return Break(index: index, kind: .signature,
                             reason: "signature of header with sequence \(header.sequence) does not verify")
            }
            guard header.gatewayID == gateway else {
                return Break(index: index, kind: .gateway, reason: "header names another gateway")
            }
            guard header.sequence == expectedSequence else {
                return Break(index: index, kind: .sequence,
                             reason: "sequence \(header.sequence), expected \(expectedSequence)")
            }
            guard header.previousHash == expectedPrevious else {
                return Break(index: index, kind: .previousHash,
                             reason: "previous hash does not match header \(index == 0 ? "before the run" : "at index \(index - 1)")")
            }
            expectedSequence = header.sequence &+ 1
            expectedPrevious = header.hash
        }
        return nil
    }
}
