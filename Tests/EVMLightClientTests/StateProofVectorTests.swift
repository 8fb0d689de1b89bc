import EVMLightClient
import Foundation
import Telemetry
import Testing

/// The ethereum/execution-apis `eth_getProof` fixtures (CC0), verified against the state roots of
/// the headers of the chain they were served from (`Vectors/execution-apis/chain.rlp`).
@Suite struct StateProofVectorTests {
    static let folder: URL = {
        guard let url = Bundle.module.url(forResource: "Vectors", withExtension: nil) else {
            fatalError("Vectors resource folder missing from the test bundle")
        }
        return url.appendingPathComponent("execution-apis")
    }()

    static let proofFiles = ["get-account-proof-blockhash.io", "get-account-proof-default-block.io",
                             "get-account-proof-latest.io", "get-account-proof-with-storage.io"]

    /// The blocks of chain.rlp, in order (one RLP list after another).
    static func chain() throws -> [Block] {
        let bytes = try [UInt8](Data(contentsOf: folder.appendingPathComponent("chain.rlp")))
        var blocks: [Block] = []
        var offset = 0
        while offset < bytes.count {
            let prefix = bytes[offset]
            guard prefix >= 0xF8 else { throw VectorError("chain.rlp: block at \(offset) is not a long list") }
            let lengthOfLength = Int(prefix - 0xF7)
            let length = bytes[(offset + 1)..<(offset + 1 + lengthOfLength)].reduce(0) { $0 << 8 | Int($1) }
            let end = offset + 1 + lengthOfLength + length
            blocks.append(try Block(rlp: bytes[offset..<end]))
            offset = end
        }
        return blocks
    }

    /// The request and answer of a `.io` fixture.
    static func exchange(_ path: String) throws -> (request: [String: Any], answer: [String: Any]) {
        let text = try String(contentsOf: folder.appendingPathComponent(path), encoding: .utf8)
        func object(_ marker: String) throws -> [String: Any] {
            guard let line = text.split(separator: "\n").first(where: { $0.hasPrefix(marker) }),
                  let object = try JSONSerialization.jsonObject(with: Data(line.dropFirst(3).utf8)) as? [String: Any]
            else { throw VectorError("\(path): no \(marker) line") }
            return object
        }
        return (try object(">>"), try object("<<"))
    }

    /// The answer of an `eth_getProof` fixture as an ``AccountProof``.
    static func proof(_ file: String) throws -> (AccountProof, blockParameter: String?) {
        let (request, answer) = try exchange("eth_getProof/" + file)
        guard let result = answer["result"] as? [String: Any], let params = request["params"] as? [Any] else {
            throw VectorError("\(file): no result")
        }
        func text(_ object: [String: Any], _ key: String) throws -> String {
            guard let value = object[key] as? String else { throw VectorError("\(file): no \(key)") }
            return value
        }
        func quantity(_ object: [String: Any], _ key: String) throws -> Quantity {
            guard let value = Quantity(hexQuantity: try text(object, key)) else { throw VectorError("\(file): \(key)") }
            return value
        }
        let slots = try (result["storageProof"] as? [[String: Any]] ?? []).map { entry in
            try AccountProof.StorageSlot(slot: try quantity(entry, "key").bigEndianBytes,
                                         value: try quantity(entry, "value"),
                                         proof: (entry["proof"] as? [String] ?? []).map(hex))
        }
        let proof = AccountProof(
            address: try EthereumAddress(hex: try text(result, "address")),
            accountProof: (result["accountProof"] as? [String] ?? []).map(hex),
            nonce: try quantity(result, "nonce").uint64Value ?? .max,
            balance: try quantity(result, "balance"),
            storageHash: hex(try text(result, "storageHash")),
            codeHash: hex(try text(result, "codeHash")),
            storageProof: slots)
        return (proof, params.count > 2 ? params[2] as? String : nil)
    }

    /// The header the fixture's block parameter names: `latest` (or omitted) is the last block.
    static func header(for parameter: String?, in chain: [Block]) throws -> BlockHeader {
        guard let parameter, parameter != "latest" else { return chain[chain.count - 1].header }
        guard let header = chain.first(where: { $0.header.hash == hex(parameter) })?.header else {
            throw VectorError("no block \(parameter) in chain.rlp")
        }
        return header
    }

    @Test func chainDecodesAndLinks() throws {
        let chain = try Self.chain()
        #expect(chain.count == 54)
        for (index, block) in chain.enumerated() {
            #expect(block.header.number == UInt64(index + 1))
            if index > 0 { #expect(block.header.parentHash == chain[index - 1].header.hash) }
        }
        // The raw headers a node served for the same chain: block 3, and genesis as block 1's parent.
        let (_, third) = try Self.exchange("debug_getRawHeader/get-block-n.io")
        #expect(hex(third["result"] as? String ?? "") == chain[2].header.rawRLP)
        let (_, genesis) = try Self.exchange("debug_getRawHeader/get-genesis.io")
        let genesisHeader = try BlockHeader(rlp: hex(genesis["result"] as? String ?? ""))
        #expect(genesisHeader.number == 0 && genesisHeader.hash == chain[0].header.parentHash)
    }

    @Test(arguments: proofFiles) func proofVerifiesAgainstTheChainsStateRoot(file: String) throws {
        let chain = try Self.chain()
        let (proof, parameter) = try Self.proof(file)
        let header = try Self.header(for: parameter, in: chain)
        let verified = try proof.verify(stateRoot: header.stateRoot)
        let account = try #require(verified.account)
        #expect(account.balance == proof.balance && account.codeHash == proof.codeHash)
        #expect(account.storageRoot == proof.storageHash && account.nonce == proof.nonce)
        for slot in proof.storageProof {
            #expect(verified.storage[slot.slot] == slot.value)
            #expect(slot.value != .zero)  // the fixture's slot 0 holds 0x38
        }
        #expect(verified.storage.count == proof.storageProof.count)
    }

    @Test(arguments: proofFiles) func everyAlteredAccountProofNodeFails(file: String) throws {
        let chain = try Self.chain()
        let (proof, parameter) = try Self.proof(file)
        let root = try Self.header(for: parameter, in: chain).stateRoot
        #expect(proof.accountProof.count >= 3)
        for index in proof.accountProof.indices {
            for position in [0, proof.accountProof[index].count / 2, proof.accountProof[index].count - 1] {
                var nodes = proof.accountProof
                nodes[index][position] ^= 0x01
                let altered = AccountProof(address: proof.address, accountProof: nodes, nonce: proof.nonce,
                                           balance: proof.balance, storageHash: proof.storageHash,
                                           codeHash: proof.codeHash, storageProof: proof.storageProof)
                let error = #expect(throws: LightClientError.self) { try altered.verify(stateRoot: root) }
                #expect(error?.stateProofStep == (index == 0 ? "state-root" : "account-proof"))
            }
        }
    }

    @Test func everyAlteredStorageProofNodeFails() throws {
        let chain = try Self.chain()
        let (proof, parameter) = try Self.proof("get-account-proof-with-storage.io")
        let root = try Self.header(for: parameter, in: chain).stateRoot
        let slot = try #require(proof.storageProof.first)
        #expect(slot.proof.count >= 2)
        for index in slot.proof.indices {
            for position in [0, slot.proof[index].count / 2, slot.proof[index].count - 1] {
                var nodes = slot.proof
                nodes[index][position] ^= 0x80
                let altered = try AccountProof.StorageSlot(slot: slot.slot, value: slot.value, proof: nodes)
                let error = #expect(throws: LightClientError.self) {
                    try Self.replacingStorage(proof, with: [altered]).verify(stateRoot: root)
                }
                #expect(error?.stateProofStep == "storage-proof")
            }
        }
        // A node dropped, a node added, and a value other than the proven one.
        let shortened = try AccountProof.StorageSlot(slot: slot.slot, value: slot.value, proof: Array(slot.proof.dropLast()))
        #expect(throws: LightClientError.self) { try Self.replacingStorage(proof, with: [shortened]).verify(stateRoot: root) }
        let lengthened = try AccountProof.StorageSlot(slot: slot.slot, value: slot.value,
                                                      proof: slot.proof + [slot.proof[0]])
        #expect(throws: LightClientError.self) { try Self.replacingStorage(proof, with: [lengthened]).verify(stateRoot: root) }
        let lying = try AccountProof.StorageSlot(slot: slot.slot, value: Quantity(0x39), proof: slot.proof)
        let error = #expect(throws: LightClientError.self) {
            try Self.replacingStorage(proof, with: [lying]).verify(stateRoot: root)
        }
        #expect(error?.code == .storageValueMismatch)
    }

    @Test(arguments: proofFiles) func anotherStateRootFails(file: String) throws {
        let chain = try Self.chain()
        let (proof, parameter) = try Self.proof(file)
        let header = try Self.header(for: parameter, in: chain)
        var wrong = header.stateRoot
        wrong[31] ^= 0x01
        let error = #expect(throws: LightClientError.self) { try proof.verify(stateRoot: wrong) }
        #expect(error?.code == .stateRootMismatch)
        // The parent's state root differs (the account changed since), and is refused too.
        let parent = try #require(chain.first { $0.header.hash == header.parentHash })
        if parent.header.stateRoot != header.stateRoot {
            #expect(throws: LightClientError.self) { try proof.verify(stateRoot: parent.header.stateRoot) }
        }
    }

    @Test func answeredFieldsMustMatchTheProvenAccount() throws {
        let chain = try Self.chain()
        let (proof, parameter) = try Self.proof("get-account-proof-latest.io")
        let root = try Self.header(for: parameter, in: chain).stateRoot
        let variants = [
            AccountProof(address: proof.address, accountProof: proof.accountProof, nonce: proof.nonce + 1,
                         balance: proof.balance, storageHash: proof.storageHash, codeHash: proof.codeHash, storageProof: []),
            AccountProof(address: proof.address, accountProof: proof.accountProof, nonce: proof.nonce,
                         balance: Quantity(1_000_000), storageHash: proof.storageHash, codeHash: proof.codeHash,
                         storageProof: []),
            AccountProof(address: proof.address, accountProof: proof.accountProof, nonce: proof.nonce,
                         balance: proof.balance, storageHash: MerklePatriciaTrie.emptyRootHash, codeHash: proof.codeHash,
                         storageProof: []),
        ]
        for variant in variants {
            let error = #expect(throws: LightClientError.self) { try variant.verify(stateRoot: root) }
            #expect(error?.code == .accountMismatch)
        }
        // The same nodes for another address do not prove it (the path is keccak256(address)).
        let other = AccountProof(address: try EthereumAddress(hex: "0x7dcd17433742f4c0ca53122ab541d0ba67fc27de"),
                                 accountProof: proof.accountProof, nonce: proof.nonce, balance: proof.balance,
                                 storageHash: proof.storageHash, codeHash: proof.codeHash, storageProof: [])
        #expect(throws: LightClientError.self) { try other.verify(stateRoot: root) }
    }

    static func replacingStorage(_ proof: AccountProof, with slots: [AccountProof.StorageSlot]) -> AccountProof {
        AccountProof(address: proof.address, accountProof: proof.accountProof, nonce: proof.nonce, balance: proof.balance,
                     storageHash: proof.storageHash, codeHash: proof.codeHash, storageProof: slots)
    }
}
