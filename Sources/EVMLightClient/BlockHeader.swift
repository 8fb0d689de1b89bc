/// An Ethereum execution-layer block header, decoded from (and keeping) its RLP encoding.
///
/// The header is the RLP list of 15 legacy fields followed by the fork-dependent optional
/// fields, each present only if all before it are: `baseFeePerGas` (London),
/// `withdrawalsRoot` (Shanghai), `blobGasUsed`, `excessBlobGas`, `parentBeaconBlockRoot`
/// (Cancun) and `requestsHash` (Prague). The standard block hash is `keccak256(rawRLP)`; Besu's
/// BFT chains hash a modified encoding instead (see ``QBFT``).
public struct BlockHeader: Sendable, Hashable {
    /// 32 bytes: the parent block's hash.
    public let parentHash: [UInt8]
    /// 32 bytes: `keccak256(RLP(ommers))`.
    public let ommersHash: [UInt8]
    /// 20 bytes: the fee recipient (coinbase).
    public let beneficiary: [UInt8]
    /// 32 bytes: root of the state trie after the block.
    public let stateRoot: [UInt8]
    /// 32 bytes: root of the transactions trie.
    public let transactionsRoot: [UInt8]
    /// 32 bytes: root of the receipts trie.
    public let receiptsRoot: [UInt8]
    /// 256-byte bloom filter over the block's log addresses and topics.
    public let logsBloom: [UInt8]
    /// Big-endian, without leading zeros (empty for zero).
    public let difficulty: [UInt8]
    /// The block height.
    public let number: UInt64
    /// The block gas limit.
    public let gasLimit: UInt64
    /// Gas used by all transactions in the block.
    public let gasUsed: UInt64
    /// Seconds since the Unix epoch.
    public let timestamp: UInt64
    /// Free-form on Ethereum; the QBFT structure on Besu BFT chains (see ``QBFTExtraData``).
    public let extraData: [UInt8]
    /// 32 bytes: PoW mix hash, `prevRandao` after the merge, a fixed marker on BFT chains.
    public let mixHash: [UInt8]
    /// 8 bytes.
    public let nonce: [UInt8]
    /// London: big-endian, without leading zeros.
    public let baseFeePerGas: [UInt8]?
    /// Shanghai.
    public let withdrawalsRoot: [UInt8]?
    /// Cancun.
    public let blobGasUsed: UInt64?
    /// Cancun.
    public let excessBlobGas: UInt64?
    /// Cancun.
    public let parentBeaconBlockRoot: [UInt8]?
    /// Prague.
    public let requestsHash: [UInt8]?

    /// The header's RLP encoding, exactly as decoded (or as encoded by the memberwise init).
    public let rawRLP: [UInt8]

    /// The number of fields in a header before any optional (fork) field.
    public static let legacyFieldCount = 15
    /// The number of fields with every optional field known to this type present.
    public static let maximumFieldCount = 21

    /// The standard block hash, `keccak256(rawRLP)`.
    public var hash: [UInt8] { Keccak256.hash(rawRLP) }

    /// Decodes a header from its RLP encoding.
    public init(rlp: some Collection<UInt8>) throws(LightClientError) {
        let item: RLPItem
        do {
            item = try RLP.decode(rlp)
        } catch {
            throw LightClientError(.malformedHeader, "header is not valid RLP", underlying: error)
        }
        try self.init(item: item)
    }

    /// Decodes a header from an already decoded RLP list.
    public init(item: RLPItem) throws(LightClientError) {
        do throws(RLPError) {
            let fields = try item.asList("header")
            guard (Self.legacyFieldCount...Self.maximumFieldCount).contains(fields.count) else {
                throw RLPError(.wrongItemCount, "header has \(fields.count) fields, expected 15 to 21")
            }
            parentHash = try fields[0].asFixedBytes(count: 32, "parentHash")
            ommersHash = try fields[1].asFixedBytes(count: 32, "ommersHash")
            beneficiary = try fields[2].asFixedBytes(count: 20, "beneficiary")
            stateRoot = try fields[3].asFixedBytes(count: 32, "stateRoot")
            transactionsRoot = try fields[4].asFixedBytes(count: 32, "transactionsRoot")
            receiptsRoot = try fields[5].asFixedBytes(count: 32, "receiptsRoot")
            logsBloom = try fields[6].asFixedBytes(count: 256, "logsBloom")
            difficulty = try fields[7].asBigEndianInteger(maxBytes: 32, "difficulty")
            number = try fields[8].asUInt64("number")
            gasLimit = try fields[9].asUInt64("gasLimit")
            gasUsed = try fields[10].asUInt64("gasUsed")
            timestamp = try fields[11].asUInt64("timestamp")
            extraData = try fields[12].asBytes("extraData")
            mixHash = try fields[13].asFixedBytes(count: 32, "mixHash")
            nonce = try fields[14].asFixedBytes(count: 8, "nonce")
            let count = fields.count
            baseFeePerGas = count > 15 ? try fields[15].asBigEndianInteger(maxBytes: 32, "baseFeePerGas") : nil
            withdrawalsRoot = count > 16 ? try fields[16].asFixedBytes(count: 32, "withdrawalsRoot") : nil
            blobGasUsed = count > 17 ? try fields[17].asUInt64("blobGasUsed") : nil
            excessBlobGas = count > 18 ? try fields[18].asUInt64("excessBlobGas") : nil
            parentBeaconBlockRoot = count > 19 ? try fields[19].asFixedBytes(count: 32, "parentBeaconBlockRoot") : nil
            requestsHash = count > 20 ? try fields[20].asFixedBytes(count: 32, "requestsHash") : nil
        } catch {
            throw LightClientError(.malformedHeader, "header fields do not decode", underlying: error)
        }
        rawRLP = RLP.encode(item)  // strict decoding makes this the exact input bytes
    }

    /// Builds a header from its fields and encodes it. Optional fields must be given as a
    /// prefix: a field may be non-nil only if every optional field before it is.
    public init(parentHash: [UInt8], ommersHash: [UInt8], beneficiary: [UInt8], stateRoot: [UInt8],
                transactionsRoot: [UInt8], receiptsRoot: [UInt8], logsBloom: [UInt8], difficulty: [UInt8],
                number: UInt64, gasLimit: UInt64, gasUsed: UInt64, timestamp: UInt64, extraData: [UInt8],
                mixHash: [UInt8], nonce: [UInt8], baseFeePerGas: [UInt8]? = nil,
                withdrawalsRoot: [UInt8]? = nil, blobGasUsed: UInt64? = nil, excessBlobGas: UInt64? = nil,
                parentBeaconBlockRoot: [UInt8]? = nil, requestsHash: [UInt8]? = nil) throws(LightClientError) {
        var fields: [RLPItem] = [
            .bytes(parentHash), .bytes(ommersHash), .bytes(beneficiary), .bytes(stateRoot),
            .bytes(transactionsRoot), .bytes(receiptsRoot), .bytes(logsBloom), .bigEndianInteger(difficulty),
            .uint(number), .uint(gasLimit), .uint(gasUsed), .uint(timestamp), .bytes(extraData),
            .bytes(mixHash), .bytes(nonce),
        ]
        let optionals: [RLPItem?] = [
            baseFeePerGas.map { .bigEndianInteger($0) }, withdrawalsRoot.map { .bytes($0) },
            blobGasUsed.map { .uint($0) }, excessBlobGas.map { .uint($0) },
            parentBeaconBlockRoot.map { .bytes($0) }, requestsHash.map { .bytes($0) },
        ]
        let present = optionals.prefix { $0 != nil }.compactMap { $0 }
        guard present.count == optionals.compactMap({ $0 }).count else {
            throw LightClientError(.malformedHeader, "an optional header field is set after a missing one")
        }
        fields.append(contentsOf: present)
        try self.init(item: .list(fields))
    }

    /// The header as an RLP list (decoded from ``rawRLP``).
    public var rlpItem: RLPItem {
        // rawRLP was produced or validated by this type, so it always decodes.
        (try? RLP.decode(rawRLP)) ?? .list([])
    }

    /// The same header with a different `extraData`, re-encoded (all other fields unchanged).
    public func replacingExtraData(_ newExtraData: [UInt8]) -> BlockHeader {
        guard case .list(var fields) = rlpItem else { return self }
        fields[12] = .bytes(newExtraData)
        return (try? BlockHeader(item: .list(fields))) ?? self
    }
}
