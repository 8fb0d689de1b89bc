import EVMLightClient
import Telemetry
import Testing

/// EIP-1186 verification over state and storage tries built here: presence and absence of
/// accounts and slots, and the step each lie fails at.
@Suite struct AccountProofTests {
    /// A state with `accounts` addresses (address i = 20 bytes of i), the first a contract with
    /// `slots` slots (slot j holds j + 1).
    struct State {
        var state = MerklePatriciaTrie()
        var storage = MerklePatriciaTrie()
        var contract: AccountState

        init(accounts: Int, slots: Int) throws {
            for slot in 0..<UInt64(slots) {
                storage.insert(key: Keccak256.hash(Self.word(slot)), value: RLP.encode(.uint(slot + 1)))
            }
            contract = AccountState(nonce: 1, balance: .zero, storageRoot: storage.rootHash,
                                    codeHash: Keccak256.hash([0x60, 0x00]))
            for index in 0..<UInt64(accounts) {
                let account = index == 0 ? contract
                    : AccountState(nonce: index, balance: Quantity(index * 1000), storageRoot: MerklePatriciaTrie.emptyRootHash,
                                   codeHash: AccountState.emptyCodeHash)
                state.insert(key: Keccak256.hash(try Self.address(index).bytes), value: account.rlpEncoded)
            }
        }

        static func word(_ value: UInt64) -> [UInt8] { [UInt8](repeating: 0, count: 24) + RLP.bigEndianBytes(value).padded(to: 8) }
        static func address(_ index: UInt64) throws -> EthereumAddress {
            try EthereumAddress(bytes: [UInt8](repeating: 0, count: 12) + RLP.bigEndianBytes(index).padded(to: 8))
        }

        /// The answer an honest node gives for `address` and `slots`.
        func answer(_ address: EthereumAddress, slots: [UInt64]) throws -> AccountProof {
            let leaf = state.value(for: Keccak256.hash(address.bytes))
            let account = try leaf.map { try AccountState(rlp: $0) }
            let storageTrie = account?.storageRoot == storage.rootHash ? storage : MerklePatriciaTrie()
            let entries = try slots.map { slot in
                let key = Keccak256.hash(Self.word(slot))
                let value = try storageTrie.value(for: key).map { try RLP.decode($0).asBigEndianInteger() } ?? []
                return try AccountProof.StorageSlot(slot: Self.word(slot), value: try Quantity(bigEndian: value),
                                                    proof: storageTrie.proof(for: key))
            }
            return AccountProof(address: address, accountProof: state.proof(for: Keccak256.hash(address.bytes)),
                                nonce: account?.nonce ?? 0, balance: account?.balance ?? .zero,
                                storageHash: account?.storageRoot ?? MerklePatriciaTrie.emptyRootHash,
                                codeHash: account?.codeHash ?? AccountState.emptyCodeHash, storageProof: entries)
        }
    }

    @Test func presentAccountAndSlotsAndAbsentSlot() throws {
        let state = try State(accounts: 40, slots: 30)
        let answer = try state.answer(try State.address(0), slots: [0, 7, 29, 30, 1000])
        let verified = try answer.verify(stateRoot: state.state.rootHash)
        #expect(verified.account == state.contract)
        #expect(verified.storage[State.word(0)] == Quantity(1))
        #expect(verified.storage[State.word(29)] == Quantity(30))
        #expect(verified.storage[State.word(30)] == .zero)  // proven absent
        #expect(verified.storage[State.word(1000)] == .zero)
        #expect(try #require(answer.storageProof.last).proof.isEmpty == false)
    }

    @Test func absentAccountIsProvenAbsent() throws {
        let state = try State(accounts: 40, slots: 3)
        let missing = try EthereumAddress(bytes: [UInt8](repeating: 0xAB, count: 20))
        let answer = try state.answer(missing, slots: [0])
        #expect(!answer.accountProof.isEmpty)
        let verified = try answer.verify(stateRoot: state.state.rootHash)
        #expect(verified.account == nil)
        #expect(verified.storage[State.word(0)] == .zero)
        // Claiming a balance (or a slot value) for it fails at the named step.
        let rich = AccountProof(address: missing, accountProof: answer.accountProof, nonce: 0, balance: Quantity(5),
                                storageHash: answer.storageHash, codeHash: answer.codeHash, storageProof: [])
        #expect((#expect(throws: LightClientError.self) { try rich.verify(stateRoot: state.state.rootHash) })?.code
                == .accountMismatch)
        let slot = try AccountProof.StorageSlot(slot: State.word(0), value: Quantity(1), proof: [])
        let valued = AccountProof(address: missing, accountProof: answer.accountProof, nonce: 0, balance: .zero,
                                  storageHash: answer.storageHash, codeHash: answer.codeHash, storageProof: [slot])
        #expect((#expect(throws: LightClientError.self) { try valued.verify(stateRoot: state.state.rootHash) })?.code
                == .storageValueMismatch)
        // Dropping the last node of the absence proof is refused.
        let cut = AccountProof(address: missing, accountProof: Array(answer.accountProof.dropLast()), nonce: 0,
                               balance: .zero, storageHash: answer.storageHash, codeHash: answer.codeHash, storageProof: [])
        if answer.accountProof.count > 1 {
            #expect((#expect(throws: LightClientError.self) { try cut.verify(stateRoot: state.state.rootHash) })?
                .stateProofStep == "account-proof")
        }
    }

    @Test func aSlotProvenAbsentCannotBeClaimedAndAPresentOneCannotBeHidden() throws {
        let state = try State(accounts: 5, slots: 20)
        let address = try State.address(0)
        let honest = try state.answer(address, slots: [3, 25])
        // Slot 3's proof offered for slot 25 (claiming 4) and slot 25's absence offered for slot 3.
        let swapped = [try AccountProof.StorageSlot(slot: State.word(25), value: Quantity(4), proof: honest.storageProof[0].proof),
                       try AccountProof.StorageSlot(slot: State.word(3), value: .zero, proof: honest.storageProof[1].proof)]
        for entry in swapped {
            let answer = AccountProof(address: address, accountProof: honest.accountProof, nonce: honest.nonce,
                                      balance: honest.balance, storageHash: honest.storageHash, codeHash: honest.codeHash,
                                      storageProof: [entry])
            let error = #expect(throws: LightClientError.self) { try answer.verify(stateRoot: state.state.rootHash) }
            #expect(error?.stateProofStep == "storage-proof" || error?.stateProofStep == "storage-value")
        }
    }

    @Test func accountRoundTripsAndRejectsMalformedLeaves() throws {
        let account = AccountState(nonce: 7, balance: Quantity(123_456), storageRoot: MerklePatriciaTrie.emptyRootHash,
                                   codeHash: AccountState.emptyCodeHash)
        #expect(try AccountState(rlp: account.rlpEncoded) == account)
        #expect(AccountState.emptyCodeHash == hex("c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470"))
        let threeFields = RLP.encode(.list([.uint(1), .uint(2), .bytes(MerklePatriciaTrie.emptyRootHash)]))
        #expect((#expect(throws: LightClientError.self) { try AccountState(rlp: threeFields) })?.code == .malformedAccount)
        let shortRoot = RLP.encode(.list([.uint(1), .uint(2), .bytes([1, 2]), .bytes(AccountState.emptyCodeHash)]))
        #expect((#expect(throws: LightClientError.self) { try AccountState(rlp: shortRoot) })?.code == .malformedAccount)
    }

    @Test func slotKeysOverThirtyTwoBytesAreRefused() {
        #expect(throws: LightClientError.self) {
            try AccountProof.StorageSlot(slot: [UInt8](repeating: 1, count: 33), value: .zero, proof: [])
        }
    }
}

extension Array where Element == UInt8 {
    /// Left-padded with zeros to `count` bytes.
    func padded(to count: Int) -> [UInt8] { [UInt8](repeating: 0, count: Swift.max(0, count - self.count)) + self }
}
