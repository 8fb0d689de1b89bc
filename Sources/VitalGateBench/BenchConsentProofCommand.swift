import VitalGateCommands
public import ArgumentParser
import EVMLightClient
import Telemetry

/// `vitalgate-bench consent-proof`: the time to verify the EIP-1186 proofs of one consent read
/// (the registry account in the state trie, then its storage slots), against the time to hash
/// the same proof nodes, side by side in one process (five alternating pairs of timings).
///
/// The state is built in memory: `accounts` accounts beside the registry, whose storage holds
/// `records` (pseudonym, grantee, purpose) records with their version counters, so the proofs have
/// the depth of a state of that size. Hashing every node once is the floor of any verification:
/// the ratio says what decoding and walking the paths add.
public struct BenchConsentProofCommand: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "consent-proof",
        abstract: "Time to verify one consent read's account and storage proofs, against hashing the proof nodes.")

    @Option(name: .long, help: "Accounts in the state trie besides the registry.") var accounts = 100_000
    @Option(name: .long, help: "Consent records in the registry's storage.") var records = 10_000
    @Option(name: .long, help: "Seconds spent timing each case.") var seconds = 1.0
    @Flag(name: .long, help: "Print one JSON object per case.") var json = false

    public init() {}

    public func run() throws {
        let buildStart = ContinuousClock.now
        let registry = try EthereumAddress(bytes: [UInt8](repeating: 0x2A, count: 20))
        var storage = MerklePatriciaTrie()
        storage.insert(key: Keccak256.hash([UInt8](repeating: 0, count: 32)), value: RLP.encode(bytes: registry.bytes))
        var slots: [[UInt8]] = []
        for index in 0..<max(records, 1) {
            let pair = Keccak256.hash(Self.bytes(index, salt: 1))  // keccak256(pseudonym ‖ grantee)
            let record = Keccak256.hash(Self.bytes(index, salt: 2))  // keccak256(pseudonym ‖ grantee ‖ purpose)
            storage.insert(key: Keccak256.hash(pair), value: RLP.encode(bytes: [1]))
            storage.insert(key: Keccak256.hash(record), value: RLP.encode(bytes: [UInt8](repeating: 0x11, count: 31) + [1]))
            if index == records / 2 { slots = [[UInt8](repeating: 0, count: 32), pair, record] }
        }
        var state = MerklePatriciaTrie()
        let account = AccountState(nonce: 1, balance: .zero, storageRoot: storage.rootHash, codeHash: Keccak256.hash([0x00]))
        state.insert(key: Keccak256.hash(registry.bytes), value: account.rlpEncoded)
        for index in 0..<accounts {
            let other = AccountState(nonce: UInt64(index), balance: Quantity(UInt64(index) * 1_000_000_007),
                                     storageRoot: MerklePatriciaTrie.emptyRootHash, codeHash: AccountState.emptyCodeHash)
            state.insert(key: Keccak256.hash(Self.bytes(index, salt: 3)), value: other.rlpEncoded)
        }
        let stateRoot = state.rootHash
        let buildSeconds = Double((ContinuousClock.now - buildStart).components.seconds)
        let accountProof = state.proof(for: Keccak256.hash(registry.bytes))
        func answer(_ asked: [[UInt8]]) throws -> AccountProof {
            let entries = try asked.map { slot in
                let key = Keccak256.hash(slot)
                let value = try storage.value(for: key).map { try RLP.decode($0).asBigEndianInteger() } ?? []
                return try AccountProof.StorageSlot(slot: slot, value: try Quantity(bigEndian: value), proof: storage.proof(for: key))
            }
            return AccountProof(address: registry, accountProof: accountProof, nonce: account.nonce, balance: account.balance,
                                storageHash: account.storageRoot, codeHash: account.codeHash, storageProof: entries)
        }
        if !json {
            print("state: \(accounts + 1) accounts, registry storage \(2 * max(records, 1) + 1) slots (built in \(Int(buildSeconds)) s)")
            print("case                       nodes  bytes   us/verify  us/hash-nodes  ratio")
        }
        let cases = [("account + 1 storage slot", try answer([slots[2]])),
                     ("account + 3 slots (a read)", try answer(slots))]
        for (name, proof) in cases {
            _ = try proof.verify(stateRoot: stateRoot)  // an invalid proof would time the error path
            let nodes = proof.accountProof + proof.storageProof.flatMap(\.proof)
            // Five alternating pairs of timings, so both sides see the same load; medians of each.
            var verifyTimes: [Double] = [], hashTimes: [Double] = []
            for _ in 0..<5 {
                verifyTimes.append(MedianTimer.microsPerCall(seconds: seconds / 5) { _ = try? proof.verify(stateRoot: stateRoot) })
                hashTimes.append(MedianTimer.microsPerCall(seconds: seconds / 5) { for node in nodes { _ = Keccak256.hash(node) } })
            }
            let verify = verifyTimes.sorted()[2], hash = hashTimes.sorted()[2]
            let bytes = nodes.reduce(0) { $0 + $1.count }
            if json {
                print(JSONWriter.canonicalString(.object([
                    ("case", .string(name)), ("accounts", .number(Double(accounts + 1))), ("records", .number(Double(records))),
                    ("proof_nodes", .number(Double(nodes.count))), ("proof_bytes", .number(Double(bytes))),
                    ("us_per_verify", .number((verify * 100).rounded() / 100)),
                    ("us_per_hash_of_nodes", .number((hash * 100).rounded() / 100)),
                    ("ratio", .number((verify / hash * 100).rounded() / 100)),
                ])))
            } else {
                print(name.padding(26) + String(printf: " %5d %6d %11.2f %14.2f %6.2fx", nodes.count, bytes, verify, hash,
                                                verify / hash))
            }
        }
    }

    /// 32 distinct bytes per (index, salt).
    private static func bytes(_ index: Int, salt: UInt8) -> [UInt8] {
        Keccak256.hash([salt] + RLP.bigEndianBytes(UInt64(index)))
    }
}
