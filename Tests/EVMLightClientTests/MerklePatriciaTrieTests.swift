import EVMLightClient
import Telemetry
import Testing

/// ethereum/tests TrieTests. Keys and values are "0x" hex or plain text. In trietest*.json the
/// pairs are applied in order and a null value deletes the key (the trie supports deletion, so the
/// deletes are applied, not pre-folded into a final state). trieanyorder*.json maps keys to
/// values; the root must not depend on insertion order. In *secureTrie* files and
/// hex_encoded_securetrie_test.json the trie key is keccak256(key).
@Suite struct MerklePatriciaTrieVectorTests {
    struct Case: Sendable, CustomTestStringConvertible {
        var file: String
        var name: String
        var secure: Bool
        /// (key, value) in order; nil value = delete.
        var operations: [([UInt8], [UInt8]?)]
        var root: [UInt8]
        var testDescription: String { "\(file):\(name)" }
    }

    static func load(_ file: String, secure: Bool) -> [Case] {
        let object = Vectors.objectOrEmpty("TrieTests/\(file)")
        return object.keys.sorted().compactMap { name in
            guard let test = object[name], let root = test["root"]?.string else { return nil }
            var operations: [([UInt8], [UInt8]?)] = []
            if let pairs = test["in"]?.array {
                for pair in pairs {
                    guard let pair = pair.array, pair.count == 2, let key = trieBytes(pair[0]) else { return nil }
                    operations.append((key, trieBytes(pair[1])))
                }
            } else if let map = test["in"]?.object {
                for key in map.keys.sorted() {
                    guard let keyBytes = trieBytes(.string(key)), let value = map[key] else { return nil }
                    operations.append((keyBytes, trieBytes(value)))
                }
            } else {
                return nil
            }
            return Case(file: file, name: name, secure: secure, operations: operations, root: hex(root))
        }
    }

    static let ordered = load("trietest.json", secure: false) + load("trietest_secureTrie.json", secure: true)
    static let anyOrder = load("trieanyorder.json", secure: false) + load("trieanyorder_secureTrie.json", secure: true)
        + load("hex_encoded_securetrie_test.json", secure: true)

    @Test func vectorCounts() {
        #expect(Self.ordered.count == 5 + 3)
        #expect(Self.anyOrder.count == 7 + 7 + 3)
    }

    static func build(_ test: Case, _ operations: [([UInt8], [UInt8]?)]) -> (MerklePatriciaTrie, [[UInt8]: [UInt8]]) {
        var trie = MerklePatriciaTrie()
        var model: [[UInt8]: [UInt8]] = [:]
        for (key, value) in operations {
            let trieKey = test.secure ? Keccak256.hash(key) : key
            if let value, !value.isEmpty {
                trie.insert(key: trieKey, value: value)
                model[trieKey] = value
            } else {
                trie.remove(key: trieKey)
                model[trieKey] = nil
            }
        }
        return (trie, model)
    }

    @Test(arguments: ordered)
    func orderedVector(test: Case) throws {
        let (trie, model) = Self.build(test, test.operations)
        #expect(Hex.encode(trie.rootHash) == Hex.encode(test.root))
        try Self.checkProofs(trie, model)
    }

    @Test(arguments: anyOrder)
    func anyOrderVector(test: Case) throws {
        let (trie, model) = Self.build(test, test.operations)
        #expect(Hex.encode(trie.rootHash) == Hex.encode(test.root))
        let (reversed, _) = Self.build(test, test.operations.reversed())
        #expect(reversed.rootHash == test.root)
        try Self.checkProofs(trie, model)
    }

    /// Every stored key proves its value; a deleted or unknown key proves absence.
    static func checkProofs(_ trie: MerklePatriciaTrie, _ model: [[UInt8]: [UInt8]]) throws {
        let root = trie.rootHash
        for (key, value) in model {
            #expect(trie.value(for: key) == value)
            #expect(try MerklePatriciaTrie.verifyProof(root: root, key: key, proof: trie.proof(for: key)) == value)
        }
        for absent in [[UInt8](), [0x00], Array("doge-not-there".utf8), [UInt8](repeating: 0xEE, count: 32)]
        where model[absent] == nil {
            #expect(trie.value(for: absent) == nil)
            #expect(try MerklePatriciaTrie.verifyProof(root: root, key: absent, proof: trie.proof(for: absent)) == nil)
        }
    }
}

@Suite struct MerklePatriciaTrieTests {
    @Test func emptyTrie() throws {
        let trie = MerklePatriciaTrie()
        #expect(Hex.encode(trie.rootHash) == "56e81f171bcc55a6ff8345e692c0f86e5b48e01b996cadc001622fb5e363b421")
        #expect(MerklePatriciaTrie.emptyRootHash == trie.rootHash)
        #expect(trie.proof(for: [1]).isEmpty)
        #expect(try MerklePatriciaTrie.verifyProof(root: trie.rootHash, key: [1], proof: []) == nil)
        #expect(try MerklePatriciaTrie.verifyProof(root: trie.rootHash, key: [1], proof: [[0x80]]) == nil)
        #expect(throws: LightClientError.self) {
            try MerklePatriciaTrie.verifyProof(root: Keccak256.hash([1]), key: [1], proof: [])
        }
    }

    @Test func insertThenDeleteEverythingIsEmpty() {
        var trie = MerklePatriciaTrie()
        let keys = (0..<50).map { Keccak256.hash([UInt8($0)]).prefix(Int($0 % 5) + 1).map { $0 } }
        for key in keys { trie.insert(key: key, value: key + [1]) }
        #expect(!trie.isEmpty)
        for key in keys.reversed() { trie.remove(key: key) }
        #expect(trie.isEmpty)
        #expect(trie.rootHash == MerklePatriciaTrie.emptyRootHash)
    }

    @Test func emptyValueDeletes() {
        var trie = MerklePatriciaTrie()
        trie.insert(key: [1, 2], value: [3])
        trie.insert(key: [1, 3], value: [4])
        let single = MerklePatriciaTrie([(key: [1, 2], value: [3])])
        trie.insert(key: [1, 3], value: [])
        #expect(trie.rootHash == single.rootHash)
        #expect(trie.value(for: [1, 3]) == nil)
    }

    @Test func hexPrefix() {
        #expect(HexPrefix.encode([1, 2, 3, 4, 5], isLeaf: false) == [0x11, 0x23, 0x45])
        #expect(HexPrefix.encode([0, 1, 2, 3, 4, 5], isLeaf: false) == [0x00, 0x01, 0x23, 0x45])
        #expect(HexPrefix.encode([0, 0xF, 1, 0xC, 0xB, 8], isLeaf: true) == [0x20, 0x0F, 0x1C, 0xB8])
        #expect(HexPrefix.encode([0xF, 1, 0xC, 0xB, 8], isLeaf: true) == [0x3F, 0x1C, 0xB8])
        #expect(HexPrefix.encode([], isLeaf: true) == [0x20])
        #expect(HexPrefix.decode([0x3F, 0x1C, 0xB8])! == ([0xF, 1, 0xC, 0xB, 8], true))
        #expect(HexPrefix.decode([0x00, 0x01])! == ([0, 1], false))
        #expect(HexPrefix.decode([0x01]) == nil)  // even flag with non-zero padding
        #expect(HexPrefix.decode([0x40]) == nil)  // unknown flag
        #expect(HexPrefix.decode([]) == nil)
    }
}
