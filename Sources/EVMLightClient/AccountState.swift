/// An account as the state trie stores it under `keccak256(address)`:
/// `RLP([nonce, balance, storageRoot, codeHash])`.
public struct AccountState: Sendable, Hashable {
    /// Transactions sent (or contracts created, for a contract).
    public let nonce: UInt64
    /// Wei.
    public let balance: Quantity
    /// 32 bytes: root of the account's storage trie (``MerklePatriciaTrie/emptyRootHash`` when
    /// it stores nothing).
    public let storageRoot: [UInt8]
    /// 32 bytes: `keccak256` of the account's code (``emptyCodeHash`` for no code).
    public let codeHash: [UInt8]

    /// `keccak256` of empty code, the code hash of every account without code.
    public static let emptyCodeHash: [UInt8] = Keccak256.hash([])

    /// An account from its fields.
    public init(nonce: UInt64, balance: Quantity, storageRoot: [UInt8], codeHash: [UInt8]) {
        self.nonce = nonce
        self.balance = balance
        self.storageRoot = storageRoot
        self.codeHash = codeHash
    }

    /// Decodes the state trie's leaf value.
    /// - Throws: ``LightClientError`` `.malformedAccount` (the RLP cause attached when it has one).
    public init(rlp: some Collection<UInt8>) throws(LightClientError) {
        do throws(RLPError) {
            let fields = try RLP.decode(rlp).asList(count: 4, "account")
            nonce = try fields[0].asUInt64("account nonce")
            balance = Quantity(unchecked: try fields[1].asBigEndianInteger(maxBytes: 32, "account balance"))
            storageRoot = try fields[2].asFixedBytes(count: 32, "account storageRoot")
            codeHash = try fields[3].asFixedBytes(count: 32, "account codeHash")
        } catch {
            throw LightClientError(.malformedAccount, "the proven account is not [nonce, balance, storageRoot, codeHash]",
                                   underlying: error)
        }
    }

    /// The state trie's leaf value for this account.
    public var rlpEncoded: [UInt8] {
        RLP.encode(.list([.uint(nonce), balance.rlpItem, .bytes(storageRoot), .bytes(codeHash)]))
    }
}

extension Quantity {
    /// A value already known to be minimal big-endian bytes of at most 32 bytes.
    init(unchecked minimal: [UInt8]) {
        // `init(bigEndian:)` only throws above 32 bytes, which the caller has ruled out.
        self = (try? Quantity(bigEndian: minimal)) ?? .zero
    }
}
