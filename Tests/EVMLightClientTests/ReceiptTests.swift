import EVMLightClient
import Telemetry
import Testing

@Suite struct ReceiptTests {
    static let address = hex("5fbdb2315678afecb367f032d93f642f64180aa3")
    /// keccak256("Anchored(bytes32,uint64)")
    static let topic0 = hex("41c3f410f5c8ac36bb46b1dccef0de0f964087c9e688795fa02ecfa2c20b3fe4")
    static let topic1 = [UInt8](repeating: 0, count: 31) + [7]
    static let log = Log(address: address, topics: [topic0, topic1], data: [UInt8](repeating: 0xAB, count: 64))

    /// Computed independently in Python (pycryptodome keccak, geth's bloom9 bit selection).
    @Test func bloomMatchesIndependentComputation() {
        let expected = "0000000000000000000000000000000000000000000000000000000000000000"
            + "0000000000000000000000000000000000001000000000000000000000002040"
            + "0000200000000000000000000000000000000000000000000000000000000000"
            + "0000004000000000000000000000000000000000000000000000000000000000"
            + "0000000000000000000000000000000000000000000000000000000200000000"
            + "0020000000000000000000000000000000000000000000000000000000000000"
            + "0000004000000000000000000000000000000000000000000000010000000000"
            + "0000000000000000000000000000000000000000000000000000000000000000"
        #expect(Hex.encode(Receipt.bloom(for: [Self.log])) == expected)
        #expect(Receipt.bloom(for: []) == [UInt8](repeating: 0, count: 256))
    }

    @Test(arguments: [UInt8(0), 1, 2, 3, 4])
    func roundTrip(type: UInt8) throws {
        for outcome in [Receipt.Outcome.success, .failure, .postStateRoot([UInt8](repeating: 9, count: 32))] {
            let receipt = Receipt(type: type, outcome: outcome, cumulativeGasUsed: 123_456, logs: [Self.log, Self.log])
            let encoded = receipt.encoded()
            if type == 0 {
                #expect(encoded[0] >= 0xC0)
            } else {
                #expect(encoded[0] == type)
                #expect(try RLP.decode(encoded.dropFirst()).listValue?.count == 4)
            }
            #expect(try Receipt(encoded: encoded) == receipt)
        }
    }

    @Test func rejectsMalformedReceipts() {
        func code(_ bytes: [UInt8]) -> LightClientError.Code? {
            do { _ = try Receipt(encoded: bytes); return nil } catch { return error.code }
        }
        let bloom = RLPItem.bytes([UInt8](repeating: 0, count: 256))
        #expect(code([]) == .malformedReceipt)
        #expect(code([0x02]) == .malformedReceipt)
        #expect(code(RLP.encode(.list([.bytes([1]), .uint(1), bloom]))) == .malformedReceipt)
        #expect(code(RLP.encode(.list([.bytes([2]), .uint(1), bloom, .list([])]))) == .malformedReceipt)
        #expect(code(RLP.encode(.list([.bytes([1]), .uint(1), .bytes([0]), .list([])]))) == .malformedReceipt)
        let shortTopic = RLPItem.list([.bytes(Self.address), .list([.bytes([1, 2])]), .empty])
        #expect(code(RLP.encode(.list([.bytes([1]), .uint(1), bloom, .list([shortTopic])]))) == .malformedReceipt)
        #expect(code(RLP.encode(.list([.bytes([1]), .uint(1), bloom, .list([])]))) == nil)
    }

    /// The anchor flow: prove one receipt against a receipts root, decode it, find the log.
    @Test func receiptProofRoundTrip() throws {
        let receipts = (0..<300).map { (index: Int) -> Receipt in
            let type: UInt8 = index % 3 == 0 ? 0 : 2
            let logs: [Log] = index % 7 == 0 ? [Self.log] : []
            return Receipt(type: type, outcome: .success, cumulativeGasUsed: 21_000 * UInt64(index + 1), logs: logs)
        }
        let root = Receipt.rootHash(receipts)
        let trie = MerklePatriciaTrie(orderedValues: receipts.map { $0.encoded() })
        #expect(trie.rootHash == root)
        for index in [0, 1, 7, 127, 128, 129, 255, 299] {
            let key = RLP.encode(UInt64(index))
            let proven = try MerklePatriciaTrie.verifyProof(root: root, key: key, proof: trie.proof(for: key))
            let value = try #require(proven)
            let receipt = try Receipt(encoded: value)
            #expect(receipt == receipts[index])
            #expect(receipt.logs.contains(Self.log) == (index % 7 == 0))
        }
        let beyond = RLP.encode(UInt64(300))
        #expect(try MerklePatriciaTrie.verifyProof(root: root, key: beyond, proof: trie.proof(for: beyond)) == nil)
    }
}
