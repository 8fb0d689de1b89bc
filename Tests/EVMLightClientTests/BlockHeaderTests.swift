import EVMLightClient
import Telemetry
import Testing

/// ethereum/tests BlockchainTests/ValidBlocks/bcExample: every genesis header and block is
/// decoded from its RLP, hashed, and checked field by field against the JSON, with parent links
/// and rebuilt transactions, withdrawals and (reconstructed) receipts roots.
@Suite struct BlockHeaderVectorTests {
    struct BlockVector: Sendable, CustomTestStringConvertible {
        var file: String
        var index: Int  // -1 for genesis
        var rlp: [UInt8]
        var header: [String: String]
        var transactionTypes: [UInt8]
        var testDescription: String { "\(file)#\(index < 0 ? "genesis" : String(index + 1))" }
    }

    struct Chain: Sendable, CustomTestStringConvertible {
        var file: String
        var blocks: [BlockVector]  // genesis first
        var testDescription: String { file }
    }

    static let chains: [Chain] = {
        let files = (try? Vectors.files(in: "BlockchainTests/ValidBlocks/bcExample")) ?? []
        return files.flatMap { file -> [Chain] in
            let object = Vectors.objectOrEmpty("BlockchainTests/ValidBlocks/bcExample/\(file)")
            return object.keys.sorted().compactMap { name -> Chain? in
                guard let test = object[name], let genesisRLP = test["genesisRLP"]?.string,
                      let genesis = test["genesisBlockHeader"]?.object, let blocks = test["blocks"]?.array
                else { return nil }
                var vectors = [BlockVector(file: file, index: -1, rlp: hex(genesisRLP),
                                           header: genesis.compactMapValues(\.string), transactionTypes: [])]
                for (index, block) in blocks.enumerated() {
                    guard let rlp = block["rlp"]?.string, let header = block["blockHeader"]?.object else { return nil }
                    let types = (block["transactions"]?.array ?? []).map { tx in
                        UInt8(tx["type"]?.string.flatMap { UInt8($0.dropFirst(2), radix: 16) } ?? 0)
                    }
                    vectors.append(BlockVector(file: file, index: index, rlp: hex(rlp),
                                               header: header.compactMapValues(\.string), transactionTypes: types))
                }
                return Chain(file: "\(file):\(name)", blocks: vectors)
            }
        }
    }()

    static var allBlocks: [BlockVector] { chains.flatMap(\.blocks) }

    @Test func vectorCounts() {
        #expect(Self.chains.count == 4)
        #expect(Self.allBlocks.count == 4 + 7)  // 4 genesis headers, 7 blocks
    }

    static func uint(_ header: [String: String], _ field: String) -> UInt64? {
        header[field].flatMap { UInt64($0.dropFirst(2), radix: 16) }
    }

    static func integerBytes(_ header: [String: String], _ field: String) -> [UInt8]? {
        header[field].map { Array(hex($0).drop { $0 == 0 }) }
    }

    @Test(arguments: allBlocks)
    func headerHashAndFields(vector: BlockVector) throws {
        let block = try Block(rlp: vector.rlp)
        let header = block.header
        let json = vector.header
        #expect(Hex.encode(header.hash, prefix: true) == json["hash"])
        #expect(RLP.encode(header.rlpItem) == header.rawRLP)
        #expect(header.parentHash == json["parentHash"].map(hex))
        #expect(header.ommersHash == json["uncleHash"].map(hex))
        #expect(header.beneficiary == json["coinbase"].map(hex))
        #expect(header.stateRoot == json["stateRoot"].map(hex))
        #expect(header.transactionsRoot == json["transactionsTrie"].map(hex))
        #expect(header.receiptsRoot == json["receiptTrie"].map(hex))
        #expect(header.logsBloom == json["bloom"].map(hex))
        #expect(header.difficulty == Self.integerBytes(json, "difficulty"))
        #expect(header.number == Self.uint(json, "number"))
        #expect(header.gasLimit == Self.uint(json, "gasLimit"))
        #expect(header.gasUsed == Self.uint(json, "gasUsed"))
        #expect(header.timestamp == Self.uint(json, "timestamp"))
        #expect(header.extraData == json["extraData"].map(hex))
        #expect(header.mixHash == json["mixHash"].map(hex))
        #expect(header.nonce == json["nonce"].map(hex))
        #expect(header.baseFeePerGas == Self.integerBytes(json, "baseFeePerGas"))
        #expect(header.withdrawalsRoot == json["withdrawalsRoot"].map(hex))
        #expect(header.blobGasUsed == Self.uint(json, "blobGasUsed"))
        #expect(header.excessBlobGas == Self.uint(json, "excessBlobGas"))
        #expect(header.parentBeaconBlockRoot == json["parentBeaconBlockRoot"].map(hex))
        #expect(header.requestsHash == json["requestsHash"].map(hex))

        // Decoding the header on its own gives the same header and hash.
        #expect(try BlockHeader(rlp: header.rawRLP) == header)

        // Body roots rebuilt from the block's own contents.
        #expect(block.computedTransactionsRoot() == header.transactionsRoot)
        #expect(block.computedOmmersHash() == header.ommersHash)
        #expect(block.computedWithdrawalsRoot() == header.withdrawalsRoot)
        #expect(block.transactions.map { $0[0] <= 0x7F ? $0[0] : 0 } == vector.transactionTypes)
    }

    @Test(arguments: chains)
    func parentLinks(chain: Chain) throws {
        let headers = try chain.blocks.map { vector throws(LightClientError) in try Block(rlp: vector.rlp).header }
        for (parent, child) in zip(headers, headers.dropFirst()) {
            #expect(child.parentHash == parent.hash)
            #expect(child.number == parent.number + 1)
        }
    }

    /// The JSON has no receipts, but every bcExample block has an all-zero logs bloom (no logs)
    /// and only successful transactions, and the two-transaction block uses 2 × 0xa8f1 gas split
    /// evenly (each single-transaction block with the same transaction uses 0xa8f1). So the
    /// receipts can be rebuilt from the header and the transaction types, and their trie root
    /// must equal the header's receiptsRoot.
    @Test(arguments: allBlocks.filter { $0.index >= 0 })
    func reconstructedReceiptsRoot(vector: BlockVector) throws {
        let header = try Block(rlp: vector.rlp).header
        try #require(header.logsBloom.allSatisfy { $0 == 0 })
        let count = UInt64(vector.transactionTypes.count)
        let perTransaction = count == 0 ? 0 : header.gasUsed / count
        let receipts = vector.transactionTypes.enumerated().map { index, type in
            Receipt(type: type, outcome: .success, cumulativeGasUsed: perTransaction * UInt64(index + 1))
        }
        #expect(Receipt.rootHash(receipts) == header.receiptsRoot)
        for receipt in receipts {
            #expect(try Receipt(encoded: receipt.encoded()) == receipt)
        }
    }
}

@Suite struct BlockHeaderTests {
    /// The first non-genesis bcExample header (Cancun, 20 fields).
    static let sample: BlockHeader = {
        guard let vector = BlockHeaderVectorTests.allBlocks.first(where: { $0.index == 0 }),
              let block = try? Block(rlp: vector.rlp) else { fatalError("bcExample vectors missing") }
        return block.header
    }()

    @Test func rejectsMalformedHeaders() throws {
        let header = Self.sample
        guard case .list(let fields) = header.rlpItem else { Issue.record("not a list"); return }
        func code(_ item: RLPItem) -> LightClientError.Code? {
            do { _ = try BlockHeader(item: item); return nil } catch { return error.code }
        }
        #expect(code(.list(Array(fields.prefix(14)))) == .malformedHeader)
        #expect(code(.list(fields + [.bytes([UInt8](repeating: 0, count: 32)), .empty])) == .malformedHeader)
        var badHash = fields
        badHash[0] = .bytes([1, 2, 3])
        #expect(code(.list(badHash)) == .malformedHeader)
        var badNumber = fields
        badNumber[8] = .bytes([0, 1])
        #expect(code(.list(badNumber)) == .malformedHeader)
        #expect(code(.bytes([1])) == .malformedHeader)
        #expect(code(.list(Array(fields.prefix(15)))) == nil)  // pre-London header
        #expect(throws: LightClientError.self) { try BlockHeader(rlp: header.rawRLP + [0]) }
    }

    @Test func memberwiseInitEncodesTheSameHeader() throws {
        let h = Self.sample
        let rebuilt = try BlockHeader(
            parentHash: h.parentHash, ommersHash: h.ommersHash, beneficiary: h.beneficiary, stateRoot: h.stateRoot,
            transactionsRoot: h.transactionsRoot, receiptsRoot: h.receiptsRoot, logsBloom: h.logsBloom,
            difficulty: h.difficulty, number: h.number, gasLimit: h.gasLimit, gasUsed: h.gasUsed,
            timestamp: h.timestamp, extraData: h.extraData, mixHash: h.mixHash, nonce: h.nonce,
            baseFeePerGas: h.baseFeePerGas, withdrawalsRoot: h.withdrawalsRoot, blobGasUsed: h.blobGasUsed,
            excessBlobGas: h.excessBlobGas, parentBeaconBlockRoot: h.parentBeaconBlockRoot,
            requestsHash: h.requestsHash)
        #expect(rebuilt.rawRLP == h.rawRLP)
        #expect(throws: LightClientError.self) {
            try BlockHeader(
                parentHash: h.parentHash, ommersHash: h.ommersHash, beneficiary: h.beneficiary,
                stateRoot: h.stateRoot, transactionsRoot: h.transactionsRoot, receiptsRoot: h.receiptsRoot,
                logsBloom: h.logsBloom, difficulty: h.difficulty, number: h.number, gasLimit: h.gasLimit,
                gasUsed: h.gasUsed, timestamp: h.timestamp, extraData: h.extraData, mixHash: h.mixHash,
                nonce: h.nonce, baseFeePerGas: nil, withdrawalsRoot: h.withdrawalsRoot)
        }
    }
}
