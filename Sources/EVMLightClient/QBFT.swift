/// Besu QBFT header hashing.
///
/// A QBFT header's `extraData` carries the committed seals, which are signatures over the header
/// and so cannot be part of what they sign, and the round, which differs between proposals for the
/// same height. Besu (`BftBlockHashing`) therefore hashes a re-encoded header:
///
/// - ``hashForCommittedSeal(_:)``: the header with `extraData` re-encoded with an empty seal list
///   and the round kept. Each committed seal is a secp256k1 signature over this 32-byte hash
///   (no message prefix).
/// - ``blockHash(_:)``: the header with `extraData` re-encoded with an empty seal list and round 0.
///   This is the hash Besu reports as the block hash and that the next header's `parentHash`
///   refers to. It differs from `keccak256(rawRLP)` of a sealed header.
///
/// For the genesis block (number 0) Besu keeps the raw `extraData`, so both hashes equal
/// `keccak256(rawRLP)`. All other header fields, including the fork-dependent optional ones,
/// are re-encoded unchanged.
public enum QBFT {
    /// The hash each committed seal signs: seals emptied, round kept.
    public static func hashForCommittedSeal(_ header: BlockHeader) throws(LightClientError) -> [UInt8] {
        let extra = try QBFTExtraData(extraData: header.extraData)
        return hash(header, extraData: extra.encoded(round: extra.round, includeSeals: false))
    }

    /// Besu's on-chain block hash: seals emptied, round set to 0.
    public static func blockHash(_ header: BlockHeader) throws(LightClientError) -> [UInt8] {
        let extra = try QBFTExtraData(extraData: header.extraData)
        return hash(header, extraData: extra.encoded(round: 0, includeSeals: false))
    }

    private static func hash(_ header: BlockHeader, extraData: [UInt8]) -> [UInt8] {
        if header.number == 0 { return header.hash }
        return header.replacingExtraData(extraData).hash
    }
}
