/// An EIP-1186 `eth_getProof` answer for one account: the node's claims, not yet verified.
///
/// ``verify(stateRoot:)`` checks it against a state root the caller trusts (from a header it has
/// verified): the account proof along `keccak256(address)` in the state trie, then each storage
/// proof along `keccak256(slot)` in the account's storage trie. Absence is proven too: an account
/// the state trie does not hold, a slot the storage trie does not hold (value zero). Nothing the
/// node answered besides the proof nodes is believed; the answered fields must equal the proven
/// ones.
public struct AccountProof: Sendable, Hashable {
    /// One storage slot of the answer.
    public struct StorageSlot: Sendable, Hashable {
        /// The 32-byte slot (`key` of the answer, left-padded).
        public let slot: [UInt8]
        /// The value the node claims for the slot.
        public let value: Quantity
        /// The storage trie nodes from the storage root toward `keccak256(slot)`.
        public let proof: [[UInt8]]

        /// A slot of the answer. `slot` of fewer than 32 bytes is left-padded with zeros.
        /// - Throws: ``LightClientError`` `.storageProofInvalid` if `slot` is longer than 32 bytes.
        public init(slot: [UInt8], value: Quantity, proof: [[UInt8]]) throws(LightClientError) {
            guard slot.count <= 32 else {
                throw LightClientError(.storageProofInvalid, "a storage key of \(slot.count) bytes exceeds 32")
            }
            self.slot = [UInt8](repeating: 0, count: 32 - slot.count) + slot
            self.value = value
            self.proof = proof
        }
    }

    /// The account the answer is about.
    public let address: EthereumAddress
    /// The state trie nodes from the state root toward `keccak256(address)`.
    public let accountProof: [[UInt8]]
    /// Claimed nonce.
    public let nonce: UInt64
    /// Claimed balance.
    public let balance: Quantity
    /// Claimed storage root (`storageHash`).
    public let storageHash: [UInt8]
    /// Claimed code hash.
    public let codeHash: [UInt8]
    /// The storage slots asked for.
    public let storageProof: [StorageSlot]

    /// An answer from its fields.
    public init(address: EthereumAddress, accountProof: [[UInt8]], nonce: UInt64, balance: Quantity,
                storageHash: [UInt8], codeHash: [UInt8], storageProof: [StorageSlot]) {
        self.address = address
        self.accountProof = accountProof
        self.nonce = nonce
        self.balance = balance
        self.storageHash = storageHash
        self.codeHash = codeHash
        self.storageProof = storageProof
    }

    /// What a verified answer proves.
    public struct Verified: Sendable, Hashable {
        /// The account, or nil when the state trie proves it absent.
        public let account: AccountState?
        /// The proven value of every slot asked for (zero when absent), by 32-byte slot.
        public let storage: [[UInt8]: Quantity]
    }

    /// Verifies the answer against `stateRoot` and returns what it proves.
    ///
    /// Steps, each with its own error code: the first account proof node must hash to
    /// `stateRoot` (`.stateRootMismatch`); the account proof must verify (`.accountProofInvalid`)
    /// and its leaf decode (`.malformedAccount`); the claimed fields must equal the proven
    /// account, or for a proven absence be those of an empty account (`.accountMismatch`); each
    /// storage proof must verify from the proven storage root (`.storageProofInvalid`) and its
    /// value equal the claimed one (`.storageValueMismatch`).
    public func verify(stateRoot: [UInt8]) throws(LightClientError) -> Verified {
        guard stateRoot.count == 32 else {
            throw LightClientError(.invalidRoot, "state root must be 32 bytes, found \(stateRoot.count)")
        }
        if let first = accountProof.first, Keccak256.hash(first) != stateRoot {
            throw LightClientError(.stateRootMismatch, "the account proof does not start at the trusted state root")
        }
        let leaf: [UInt8]?
        do {
            leaf = try MerklePatriciaTrie.verifyProof(root: stateRoot, key: Keccak256.hash(address.bytes),
                                                     proof: accountProof)
        } catch {
            throw LightClientError(.accountProofInvalid, "account proof: \(error.reason) (\(error.code))")
        }
        let account = try leaf.map { bytes throws(LightClientError) in try AccountState(rlp: bytes) }
        try checkClaims(against: account)
        let storageRoot = account?.storageRoot ?? MerklePatriciaTrie.emptyRootHash
        var storage: [[UInt8]: Quantity] = [:]
        for (index, entry) in storageProof.enumerated() {
            let proven: [UInt8]?
            do {
                proven = try MerklePatriciaTrie.verifyProof(root: storageRoot, key: Keccak256.hash(entry.slot),
                                                           proof: entry.proof)
            } catch {
                throw LightClientError(.storageProofInvalid,
                                       "storage proof \(index): \(error.reason) (\(error.code))")
            }
            let value = try Self.slotValue(proven, index: index)
            guard value == entry.value else {
                throw LightClientError(.storageValueMismatch, "storage slot \(index) differs from its proven value")
            }
            storage[entry.slot] = value
        }
        return Verified(account: account, storage: storage)
    }

    /// The claimed fields must be the proven account's, or an empty account's for an absence
    /// (nodes answer zero or the empty-trie/empty-code hashes for a missing account).
    private func checkClaims(against account: AccountState?) throws(LightClientError) {
        if let account {
            guard account.nonce == nonce, account.balance == balance, account.storageRoot == storageHash,
                  account.codeHash == codeHash else {
                throw LightClientError(.accountMismatch, "the answered account fields differ from the proven account")
            }
            return
        }
        let zero = [UInt8](repeating: 0, count: 32)
        guard nonce == 0, balance == .zero,
              storageHash == zero || storageHash == MerklePatriciaTrie.emptyRootHash,
              codeHash == zero || codeHash == AccountState.emptyCodeHash else {
            throw LightClientError(.accountMismatch, "the answer describes an account the proof shows absent")
        }
    }

    /// A storage trie value is `RLP(minimal big-endian word)`; absence is zero.
    private static func slotValue(_ proven: [UInt8]?, index: Int) throws(LightClientError) -> Quantity {
        guard let proven else { return .zero }
        do throws(RLPError) {
            let bytes = try RLP.decode(proven).asBigEndianInteger(maxBytes: 32, "storage value")
            guard !bytes.isEmpty else {
                throw RLPError(.nonCanonicalInteger, "storage value: zero is stored as absence")
            }
            return Quantity(unchecked: bytes)
        } catch {
            throw LightClientError(.storageProofInvalid, "storage proof \(index): the value is not a storage word",
                                   underlying: error)
        }
    }
}

extension LightClientError {
    /// The name of the failed step of an EIP-1186 verification (`state-root`, `account-proof`,
    /// `account`, `storage-proof`, `storage-value`), or nil for other errors.
    public var stateProofStep: String? {
        switch code {
        case .stateRootMismatch, .invalidRoot: "state-root"
        case .accountProofInvalid: "account-proof"
        case .malformedAccount, .accountMismatch: "account"
        case .storageProofInvalid: "storage-proof"
        case .storageValueMismatch: "storage-value"
        default: nil
        }
    }
}
