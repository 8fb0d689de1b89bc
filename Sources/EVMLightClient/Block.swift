/// A full block as carried in RLP: `[header, transactions, ommers]`, plus `withdrawals` from
/// Shanghai on.
///
/// Transactions are kept in their EIP-2718 binary form, which is also their value in the
/// transactions trie: the RLP list of a legacy transaction, or `type ‖ payload` of a typed one
/// (a byte string inside the block RLP).
public struct Block: Sendable, Hashable {
    /// The decoded header (its `rawRLP` is the header bytes from the block).
    public let header: BlockHeader
    /// EIP-2718 binary encodings, in block order.
    public let transactions: [[UInt8]]
    /// Ommer (uncle) headers; always empty after the merge.
    public let ommers: [BlockHeader]
    /// Present from Shanghai on.
    public let withdrawals: [Withdrawal]?

    /// Decodes a block from its RLP encoding.
    public init(rlp: some Collection<UInt8>) throws(LightClientError) {
        let fields: [RLPItem]
        do {
            fields = try RLP.decode(rlp).asList("block")
        } catch {
            throw LightClientError(.malformedBlock, "block is not an RLP list", underlying: error)
        }
        guard fields.count == 3 || fields.count == 4 else {
            throw LightClientError(.malformedBlock, "block has \(fields.count) elements, expected 3 or 4")
        }
        header = try BlockHeader(item: fields[0])
        do throws(RLPError) {
            transactions = try fields[1].asList("transactions").enumerated().map { (index, item) throws(RLPError) in
                try Self.transactionBinary(item, index: index)
            }
            var ommers: [BlockHeader] = []
            for item in try fields[2].asList("ommers") {
                do {
                    ommers.append(try BlockHeader(item: item))
                } catch {
                    throw error.underlying ?? RLPError(.unexpectedType, "ommer header does not decode")
                }
            }
            self.ommers = ommers
            withdrawals = fields.count == 4
                ? try fields[3].asList("withdrawals").map { item throws(RLPError) in try Withdrawal(item: item) }
                : nil
        } catch {
            throw LightClientError(.malformedBlock, "block body does not decode", underlying: error)
        }
    }

    /// The transactions trie root rebuilt from ``transactions``; compare with
    /// `header.transactionsRoot`.
    public func computedTransactionsRoot() -> [UInt8] {
        MerklePatriciaTrie.orderedRootHash(transactions)
    }

    /// The withdrawals trie root rebuilt from ``withdrawals`` (nil before Shanghai).
    public func computedWithdrawalsRoot() -> [UInt8]? {
        withdrawals.map { list in MerklePatriciaTrie.orderedRootHash(list.map { RLP.encode($0.rlpItem) }) }
    }

    /// `keccak256(RLP(ommers))`; compare with `header.ommersHash`.
    public func computedOmmersHash() -> [UInt8] {
        Keccak256.hash(RLP.encode(.list(ommers.map(\.rlpItem))))
    }

    private static func transactionBinary(_ item: RLPItem, index: Int) throws(RLPError) -> [UInt8] {
        switch item {
        case .list:
            return RLP.encode(item)
        case .bytes(let bytes):
            guard let type = bytes.first, type <= 0x7F else {
                throw RLPError(.unexpectedType, "transaction \(index) is neither a list nor a typed envelope")
            }
            _ = try RLP.decode(bytes.dropFirst()).asList("typed transaction \(index) payload")
            return bytes
        }
    }
}
