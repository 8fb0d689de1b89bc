/// One EIP-2930 access-list entry: an address and the storage slots a transaction pre-declares.
public struct AccessListEntry: Sendable, Hashable {
    /// The account whose storage is accessed.
    public let address: EthereumAddress
    /// 32-byte storage keys.
    public let storageKeys: [[UInt8]]

    /// Creates an entry.
    /// - Throws: ``LightClientError`` `.malformedTransaction` if a storage key is not 32 bytes.
    public init(address: EthereumAddress, storageKeys: [[UInt8]] = []) throws(LightClientError) {
        for key in storageKeys where key.count != 32 {
            throw LightClientError(.malformedTransaction, "storage key is \(key.count) bytes, expected 32")
        }
        self.address = address
        self.storageKeys = storageKeys
    }

    /// `[address, [storageKey, ...]]`.
    public var rlpItem: RLPItem {
        .list([.bytes(address.bytes), .list(storageKeys.map(RLPItem.bytes))])
    }

    /// Decodes `[address(20), [key(32), ...]]`.
    init(item: RLPItem) throws(RLPError) {
        let fields = try item.asList(count: 2, "access list entry")
        let address = try fields[0].asFixedBytes(count: 20, "access list address")
        let keys = try fields[1].asList("storage keys").map { key throws(RLPError) in
            try key.asFixedBytes(count: 32, "storage key")
        }
        self.address = EthereumAddress(checkedBytes: address)
        self.storageKeys = keys
    }
}
