@testable import EVMLedger
import EVMLightClient
import Foundation
import Ledger
import Secp256k1
import Synchronization
import Telemetry
import Testing

/// The reader behind ``QBFTHeaderSource``, on a QBFT chain the py-evm peer cannot produce: a
/// ``ScriptedNode`` serving a sealed head header whose state root commits to a registry built
/// here (state and storage tries), and `eth_getProof` answers from those tries.
@Suite struct ConsentRegistryQBFTTests {
    let validators = (0..<4).map { _ in PrivateKey() }
    let authority = try! EthereumAddress(hex: "0x1000000000000000000000000000000000000001")
    let registry = try! EthereumAddress(hex: "0x2000000000000000000000000000000000000002")
    let pseudonym = [UInt8](repeating: 0xA1, count: 32)
    let grantee = [UInt8](repeating: 0xB2, count: 32)
    let purpose = ConsentRegistry.purposeWord("TREAT")!

    /// The registry's storage after one grant, and a state trie holding the registry account.
    func tries() -> (state: MerklePatriciaTrie, storage: MerklePatriciaTrie) {
        var storage = MerklePatriciaTrie()
        func put(_ slot: [UInt8], _ word: [UInt8]) {
            storage.insert(key: Keccak256.hash(slot), value: RLP.encode(bytes: word.drop { $0 == 0 }))
        }
        put(ConsentRegistry.authoritySlot, [UInt8](repeating: 0, count: 12) + authority.bytes)
        put(ConsentRegistry.versionSlot(pseudonym: pseudonym, grantee: grantee), [1])
        put(ConsentRegistry.recordSlot(pseudonym: pseudonym, grantee: grantee, purpose: purpose),
            ConsentRegistry.Terms(status: .granted, classes: 5, version: 1).word)
        var state = MerklePatriciaTrie()
        let account = AccountState(nonce: 1, balance: .zero, storageRoot: storage.rootHash,
                                   codeHash: ConsentRegistry.runtimeCodeHash)
        state.insert(key: Keccak256.hash(registry.bytes), value: account.rlpEncoded)
        for index in 0..<30 {  // other accounts, so the proof has branch nodes
            let other = AccountState(nonce: UInt64(index), balance: Quantity(UInt64(index)),
                                     storageRoot: MerklePatriciaTrie.emptyRootHash, codeHash: AccountState.emptyCodeHash)
            state.insert(key: Keccak256.hash([UInt8(index)] + [UInt8](repeating: 7, count: 19)), value: other.rlpEncoded)
        }
        return (state, storage)
    }

    /// A head header at `number` committing to `stateRoot`, sealed by `sealers`.
    func header(stateRoot: [UInt8], sealers: [PrivateKey], number: UInt64 = 500) throws -> BlockHeader {
        var chain = SyntheticChain(request: try sampleRequest())
        chain.qbftKeys = validators
        chain.qbftSealers = sealers
        return try chain.sealedQBFTHeader { extra in
            try BlockHeader(
                parentHash: [UInt8](repeating: 0x99, count: 32), ommersHash: Keccak256.hash([0xC0]),
                beneficiary: [UInt8](repeating: 0x11, count: 20), stateRoot: stateRoot,
                transactionsRoot: MerklePatriciaTrie.emptyRootHash, receiptsRoot: MerklePatriciaTrie.emptyRootHash,
                logsBloom: [UInt8](repeating: 0, count: 256), difficulty: [1], number: number, gasLimit: 30_000_000,
                gasUsed: 0, timestamp: UInt64(EVMLedgerBackend.systemClock() / 1000), extraData: extra,
                mixHash: hex("63746963616c2062797a616e74696e65206661756c7420746f6c6572616e6365"),
                nonce: [UInt8](repeating: 0, count: 8), baseFeePerGas: [7])
        }
    }

    /// A node serving `header` as its head and proofs from `tries`.
    func node(_ header: BlockHeader, _ tries: (state: MerklePatriciaTrie, storage: MerklePatriciaTrie),
              calls: CallLog = CallLog()) throws -> ScriptedNode {
        let registry = registry
        return try ScriptedNode { method, params in
            calls.methods.withLock { $0.append(method) }
            switch method {
            case "debug_getRawHeader": return .result(NodeValues.hex(header.rawRLP))
            case "eth_blockNumber": return .result(NodeValues.quantity(header.number))
            case "eth_getProof":
                let slots = (params.count > 1 ? params[1].arrayValue ?? [] : []).compactMap { Hex.decode($0.stringValue ?? "") }
                let storage: [JSONValue] = slots.map { slot in
                    let key = Keccak256.hash(slot)
                    let value = tries.storage.value(for: key).flatMap { try? RLP.decode($0).bytesValue } ?? []
                    return .object([("key", NodeValues.hex(slot)), ("value", .string(((try? Quantity(bigEndian: value)) ?? .zero).description)),
                                    ("proof", .array(tries.storage.proof(for: key).map(NodeValues.hex)))])
                }
                return .result(.object([
                    ("address", NodeValues.hex(registry.bytes)),
                    ("accountProof", .array(tries.state.proof(for: Keccak256.hash(registry.bytes)).map(NodeValues.hex))),
                    ("balance", .string("0x0")), ("nonce", .string("0x1")),
                    ("codeHash", NodeValues.hex(ConsentRegistry.runtimeCodeHash)),
                    ("storageHash", NodeValues.hex(tries.storage.rootHash)), ("storageProof", .array(storage)),
                ]))
            default: return .error(-32601, "not scripted")
            }
        }
    }

    func reader(_ node: ScriptedNode) throws -> ConsentRegistryReader {
        let rpc = try JSONRPCClient(endpoint: node.endpoint)
        let source = try QBFTHeaderSource(rpc: rpc, validators: validators.map(\.publicKey.ethereumAddress))
        return ConsentRegistryReader(rpc: rpc, headers: source, policy: .init(registry: registry, authority: authority))
    }

    @Test func aQuorumOfSealsMakesTheHeaderTrustedAndTheGrantReadable() async throws {
        let tries = tries()
        let calls = CallLog()
        let node = try node(try header(stateRoot: tries.state.rootHash, sealers: Array(validators.prefix(3))), tries,
                            calls: calls)
        let state = try await reader(node).read(pseudonym: pseudonym, grantee: grantee, purpose: purpose)
        #expect(state.decision == .granted && state.version == 1 && state.classes == [.vitals, .alerts])
        #expect(state.blockNumber == 500)
        // What the read asked the node: the head header, the head number (age), the proofs. No eth_call.
        #expect(calls.methods.withLock { $0 } == ["debug_getRawHeader", "eth_blockNumber", "eth_getProof"])
        let absent = try await reader(node).read(pseudonym: pseudonym, grantee: grantee,
                                                 purpose: ConsentRegistry.purposeWord("HRESCH")!)
        #expect(absent.decision == .absent && absent.pairVersion == 1)
    }

    @Test func withoutAQuorumOfPinnedValidatorsTheHeaderIsNotTrusted() async throws {
        let tries = tries()
        let outsiders = (0..<4).map { _ in PrivateKey() }
        for sealers in [Array(validators.prefix(2)), outsiders, []] {
            let node = try node(try header(stateRoot: tries.state.rootHash, sealers: sealers), tries)
            await expectRefusal(step: "trusted-header") {
                try await reader(node).read(pseudonym: pseudonym, grantee: grantee, purpose: purpose)
            }
        }
    }

    @Test func aSealedHeaderOverAnotherStateRefusesTheProofs() async throws {
        let tries = tries()
        // The validators sealed a block whose state is not the one the node proves from.
        let node = try node(try header(stateRoot: Keccak256.hash([1]), sealers: Array(validators.prefix(3))), tries)
        await expectRefusal(step: "state-root") {
            try await reader(node).read(pseudonym: pseudonym, grantee: grantee, purpose: purpose)
        }
    }
}

/// The JSON-RPC methods a scripted node was asked, in order.
final class CallLog: Sendable {
    let methods = Mutex<[String]>([])
}
